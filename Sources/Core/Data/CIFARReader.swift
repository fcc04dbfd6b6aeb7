import Foundation

/// Reads the binary versions of CIFAR-10 and CIFAR-100.
///
/// Each file is a sequence of fixed-size records: CIFAR-10 records are one
/// label byte (0…9) and 3072 pixel bytes; CIFAR-100 records are a coarse
/// label byte (0…19), a fine label byte (0…99) and 3072 pixel bytes. The
/// pixels are channel-major (1024 red, 1024 green, 1024 blue, each 32×32
/// row-major) and are kept in that order. CIFAR-100 uses the fine label.
/// Checked: the file length is a non-zero multiple of the record size, the
/// number of records is the standard one when `expectedRecords` is given
/// (10,000 per CIFAR-10 batch; CIFAR-100: 50,000 in train.bin, 10,000 in
/// test.bin), and every label is in range.
enum CIFARReader {
    /// Record layout of one of the two formats.
    struct Layout {
        /// Label bytes before the pixels.
        let labelBytes: Int
        /// Which of those bytes is the class label used.
        let labelOffset: Int
        /// Number of classes of that label.
        let classCount: Int
        /// Range of the other label byte, when there is one (CIFAR-100's coarse label).
        let otherLabel: (offset: Int, classCount: Int)?

        static let pixelBytes = 3 * 32 * 32

        /// Records per file in the standard release: each CIFAR-10 batch (five training, one test)
        /// holds 10,000; CIFAR-100's train.bin 50,000 and test.bin 10,000.
        func standardRecords(_ partition: DatasetPartition) -> Int {
            labelBytes == 1 || partition == .test ? 10_000 : 50_000
        }
        var recordSize: Int { labelBytes + Layout.pixelBytes }

        static let cifar10 = Layout(labelBytes: 1, labelOffset: 0, classCount: 10, otherLabel: nil)
        static let cifar100 = Layout(labelBytes: 2, labelOffset: 1, classCount: 100, otherLabel: (offset: 0, classCount: 20))
    }

    /// Reads `files` in order into one dataset with pixels scaled to [0, 1].
    /// `expectedRecords` is the record count every file must have (nil: any count).
    static func readDataset(files: [URL], layout: Layout, name: DatasetName, partition: DatasetPartition,
                            expectedRecords: Int? = nil) throws -> Dataset {
        let contents = try files.map { url -> (url: URL, bytes: FileBytes, count: Int) in
            let bytes = try FileBytes.read(url)
            let count = try recordCount(bytes, url: url, layout: layout)
            if let expectedRecords, count != expectedRecords {
                throw DatasetError.corrupt(path: url.path, reason: "it holds \(count) records of \(layout.recordSize) bytes, but a \(name.displayName) "
                    + "\(url.lastPathComponent) holds exactly \(expectedRecords) (the file is truncated, padded or not the standard one)")
            }
            return (url, bytes, count)
        }
        let total = contents.reduce(0) { $0 + $1.count }
        let featureCount = Layout.pixelBytes
        var labels: [Int] = []
        labels.reserveCapacity(total)
        for content in contents {
            if let other = layout.otherLabel {
                _ = try LabelDecoding.labels(content.bytes.buffer, stride: layout.recordSize, offset: other.offset,
                                             count: content.count, classCount: other.classCount, url: content.url)
            }
            labels += try LabelDecoding.labels(content.bytes.buffer, stride: layout.recordSize, offset: layout.labelOffset,
                                               count: content.count, classCount: layout.classCount, url: content.url)
        }
        let features = [Float](unsafeUninitializedCapacity: total * featureCount) { output, initialised in
            var row = 0
            for content in contents {
                guard let source = content.bytes.buffer.baseAddress, let target = output.baseAddress else { continue }
                for record in 0..<content.count {
                    PixelScaling.scale(source + record * layout.recordSize + layout.labelBytes,
                                       into: target + row * featureCount, count: featureCount)
                    row += 1
                }
            }
            initialised = total * featureCount
        }
        return Dataset(name: name, partition: partition,
                       features: Matrix(rows: total, columns: featureCount, storage: features),
                       labels: labels, classCount: layout.classCount, imageShape: name.imageShape)
    }

    /// Number of records in a file, which must be a non-zero multiple of the record size long.
    private static func recordCount(_ bytes: FileBytes, url: URL, layout: Layout) throws -> Int {
        guard bytes.count > 0 else {
            throw DatasetError.corrupt(path: url.path, reason: "the file is empty")
        }
        guard bytes.count % layout.recordSize == 0 else {
            throw DatasetError.corrupt(path: url.path,
                                       reason: "its length \(bytes.count) is not a multiple of the \(layout.recordSize)-byte record size (truncated or not a CIFAR binary file)")
        }
        return bytes.count / layout.recordSize
    }
}
