import Foundation

/// Finds and loads whole datasets.
public enum DatasetLoader {
    /// Reports, without reading any file, whether `name` is available; see
    /// ``DatasetLocator`` for the directories and file names accepted.
    public static func availability(of name: DatasetName, dataDirectory: URL?) -> DatasetAvailability {
        DatasetLocator.availability(of: name, dataDirectory: dataDirectory)
    }

    /// Loads the training and test parts of `name`.
    ///
    /// Pixels are scaled to [0, 1] (b / 255); when `standardise` is true (the
    /// default, matching the authors' PyTorch pipeline) both parts are then
    /// standardised per channel with the mean and population standard
    /// deviation of the full training part, which are returned in
    /// `normalisation`. Rows keep the file order; CIFAR images are flattened in
    /// the files' channel-major order.
    ///
    /// - Throws: `DatasetError.fileNotFound` naming the first missing file, the
    ///   directories looked in and how to get the data; `DatasetError.incomplete`
    ///   when a `--data-dir` directory holds only some of the files;
    ///   `DatasetError.corrupt` saying what is wrong with a damaged file (including a
    ///   CIFAR file without its standard record count);
    ///   `DatasetError.unreadable` when a file cannot be opened.
    public static func load(_ name: DatasetName, dataDirectory: URL?, standardise: Bool = true) throws -> DatasetSplit {
        try load(name, dataDirectory: dataDirectory, standardise: standardise, standardRecordCounts: true)
    }

    /// ``load(_:dataDirectory:standardise:)``; `standardRecordCounts` false accepts CIFAR files of any
    /// record count (for small test fixtures).
    static func load(_ name: DatasetName, dataDirectory: URL?, standardise: Bool, standardRecordCounts: Bool) throws -> DatasetSplit {
        let files: DatasetFiles
        switch DatasetLocator.locate(name, dataDirectory: dataDirectory) {
        case let .success(found):
            files = found
        case let .failure(missing):
            throw DatasetLocator.error(for: name, missing)
        }
        let train: Dataset, test: Dataset
        switch name {
        case .fashionMNIST, .mnist, .kmnist:
            train = try IDXReader.readDataset(images: files.train[0], labels: files.train[1], name: name, partition: .train)
            test = try IDXReader.readDataset(images: files.test[0], labels: files.test[1], name: name, partition: .test)
        case .cifar10, .cifar100:
            let layout: CIFARReader.Layout = name == .cifar10 ? .cifar10 : .cifar100
            train = try CIFARReader.readDataset(files: files.train, layout: layout, name: name, partition: .train,
                                                expectedRecords: standardRecordCounts ? layout.standardRecords(.train) : nil)
            test = try CIFARReader.readDataset(files: files.test, layout: layout, name: name, partition: .test,
                                               expectedRecords: standardRecordCounts ? layout.standardRecords(.test) : nil)
        }
        var split = DatasetSplit(train: train, test: test)
        if standardise { split.standardise() }
        return split
    }
}
