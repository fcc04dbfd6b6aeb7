import Foundation

/// Whether a dataset's files are on this machine, found without reading them.
public enum DatasetAvailability: Equatable, Sendable, CustomStringConvertible {
    /// All files were found in `directory`.
    case present(directory: URL)
    /// Some or all files are missing: `lookedFor` lists the paths that were
    /// tried and not found (empty when there was nowhere to look, i.e. no
    /// `--data-dir` for a dataset without a system location); `howTo` is one
    /// sentence saying how to provide the files.
    case missing(lookedFor: [String], howTo: String)

    /// True when every file is present.
    public var isPresent: Bool {
        if case .present = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .present(directory):
            return "available in \(directory.path)"
        case let .missing(lookedFor, howTo):
            if lookedFor.isEmpty { return "missing (no --data-dir given). \(howTo)" }
            return "missing (looked for \(lookedFor.joined(separator: ", "))). \(howTo)"
        }
    }
}

/// One file a dataset needs, found under any of its accepted names.
struct RequiredFile: Equatable {
    /// The standard name, e.g. "train-images-idx3-ubyte" or "data_batch_1.bin".
    let baseName: String
    /// Whether a gzipped copy (`baseName.gz`) is accepted, tried before the raw file.
    let acceptsGzip: Bool

    /// The names tried, in order.
    var acceptedNames: [String] { acceptsGzip ? [baseName + ".gz", baseName] : [baseName] }

    /// How the file is named in messages: "name[.gz]" when both forms are accepted.
    var displayName: String { acceptsGzip ? baseName + "[.gz]" : baseName }

    /// The first accepted name that is a regular file in `directory`.
    func resolve(in directory: URL) -> URL? {
        for name in acceptedNames {
            let candidate = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        return nil
    }
}

/// The files of one dataset, found in one directory.
struct DatasetFiles {
    let directory: URL
    /// Training files in reading order.
    let train: [URL]
    /// Test files in reading order.
    let test: [URL]
}

/// Where each dataset's files are looked for and what they are called.
///
/// Accepted layouts (`D` is the `--data-dir` directory):
/// - Fashion-MNIST: `D/fashion-mnist/`, then `D/`, then the Debian package's
///   `/usr/share/datasets/fashion-mnist/` (`apt-get install dataset-fashion-mnist`).
/// - MNIST: `D/mnist/`, then `D/`.
/// - KMNIST: `D/kmnist/` only (its IDX files have MNIST's names; the `.npz`
///   files of the KMNIST release are not read).
/// - CIFAR-10: `D/cifar-10-batches-bin/`, then `D/` (the unpacked binary version).
/// - CIFAR-100: `D/cifar-100-binary/`, then `D/`.
///
/// The MNIST-family files are `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each gzipped (`.gz`,
/// preferred) or raw. Because MNIST and Fashion-MNIST use the same file names,
/// files placed directly in `D/` are taken for whichever of the two is asked
/// for; use the subfolders to keep them apart.
public enum DatasetLocator {
    /// Where the Debian package `dataset-fashion-mnist` installs its files.
    public static let systemFashionMNISTDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist", isDirectory: true)

    /// Reports, without reading any file, whether `name` is available.
    public static func availability(of name: DatasetName, dataDirectory: URL?) -> DatasetAvailability {
        switch locate(name, dataDirectory: dataDirectory) {
        case let .success(files):
            return .present(directory: files.directory)
        case let .failure(missing):
            if missing.incomplete != nil || missing.unreadableDirectory != nil {
                return .missing(lookedFor: missing.lookedFor, howTo: error(for: name, missing).description)
            }
            return .missing(lookedFor: missing.lookedFor, howTo: howTo(name))
        }
    }

    /// The error for a dataset whose files are only partly in a candidate directory, or whose
    /// directory cannot be listed; nil when it is complete or wholly absent (a missing dataset
    /// makes a figure "not run", while a partial copy is an error, never silently skipped).
    public static func partialCopyError(of name: DatasetName, dataDirectory: URL?) -> DatasetError? {
        guard case let .failure(missing) = locate(name, dataDirectory: dataDirectory),
              missing.incomplete != nil || missing.unreadableDirectory != nil else { return nil }
        return error(for: name, missing)
    }

    /// The directories tried for `name`, most specific first.
    static func candidateDirectories(for name: DatasetName, dataDirectory: URL?) -> [URL] {
        var directories: [URL] = []
        if let root = dataDirectory {
            switch name {
            case .fashionMNIST: directories += [root.appendingPathComponent("fashion-mnist"), root]
            case .mnist: directories += [root.appendingPathComponent("mnist"), root]
            case .kmnist: directories += [root.appendingPathComponent("kmnist")]
            case .cifar10: directories += [root.appendingPathComponent("cifar-10-batches-bin"), root]
            case .cifar100: directories += [root.appendingPathComponent("cifar-100-binary"), root]
            }
        }
        if name == .fashionMNIST { directories.append(systemFashionMNISTDirectory) }
        return directories
    }

    /// The files of the training and test parts, in reading order.
    static func requiredFiles(for name: DatasetName) -> (train: [RequiredFile], test: [RequiredFile]) {
        switch name {
        case .fashionMNIST, .mnist, .kmnist:
            return (train: [RequiredFile(baseName: "train-images-idx3-ubyte", acceptsGzip: true),
                            RequiredFile(baseName: "train-labels-idx1-ubyte", acceptsGzip: true)],
                    test: [RequiredFile(baseName: "t10k-images-idx3-ubyte", acceptsGzip: true),
                           RequiredFile(baseName: "t10k-labels-idx1-ubyte", acceptsGzip: true)])
        case .cifar10:
            return (train: (1...5).map { RequiredFile(baseName: "data_batch_\($0).bin", acceptsGzip: false) },
                    test: [RequiredFile(baseName: "test_batch.bin", acceptsGzip: false)])
        case .cifar100:
            return (train: [RequiredFile(baseName: "train.bin", acceptsGzip: false)],
                    test: [RequiredFile(baseName: "test.bin", acceptsGzip: false)])
        }
    }

    /// What was not found: the paths tried, and the first missing file with
    /// the directories it was looked for in; `incomplete` when a `--data-dir`
    /// directory holds only some of the files (which is an error, never a reason
    /// to fall back to another copy); `unreadableDirectory` when a candidate
    /// directory exists but cannot be listed.
    struct Missing: Error {
        let lookedFor: [String]
        let firstMissingFile: String
        let directories: [String]
        var incomplete: (directory: URL, missing: [String])? = nil
        var unreadableDirectory: String? = nil
    }

    /// Finds a directory holding all of `name`'s files.
    ///
    /// Candidates are tried in order (see the layouts above). The first that holds every file
    /// wins. A candidate under `--data-dir` that holds some but not all of them stops the search:
    /// the missing files are reported, and no later candidate (e.g. the system copy of
    /// Fashion-MNIST) is used instead, since that would silently train on other data than the
    /// ones the user pointed to. When no candidate holds any, every path tried is reported.
    static func locate(_ name: DatasetName, dataDirectory: URL?) -> Result<DatasetFiles, Missing> {
        let required = requiredFiles(for: name)
        let all = required.train + required.test
        let directories = candidateDirectories(for: name, dataDirectory: dataDirectory)
        for directory in directories {
            if SystemErrorText.isDirectory(directory.path), access(directory.path, R_OK | X_OK) != 0 {
                return .failure(Missing(lookedFor: [directory.path], firstMissingFile: all[0].displayName, directories: [directory.path],
                                        unreadableDirectory: directory.path))
            }
            let train = required.train.compactMap { $0.resolve(in: directory) }
            let test = required.test.compactMap { $0.resolve(in: directory) }
            let found = train.count + test.count
            if found == all.count {
                return .success(DatasetFiles(directory: directory, train: train, test: test))
            }
            if found > 0 {
                let missing = all.filter { $0.resolve(in: directory) == nil }
                return .failure(Missing(lookedFor: missing.map { directory.appendingPathComponent($0.displayName).path },
                                        firstMissingFile: missing[0].displayName, directories: [directory.path],
                                        incomplete: (directory, missing.map(\.displayName))))
            }
        }
        return .failure(Missing(lookedFor: directories.flatMap { directory in all.map { directory.appendingPathComponent($0.displayName).path } },
                                firstMissingFile: all[0].displayName,
                                directories: directories.map(\.path)))
    }

    /// The error for a dataset that cannot be located.
    static func error(for name: DatasetName, _ missing: Missing) -> DatasetError {
        if let directory = missing.unreadableDirectory {
            return .unreadable(path: directory, reason: "the directory cannot be listed: permission denied")
        }
        if let incomplete = missing.incomplete {
            return .incomplete(dataset: name, directory: incomplete.directory.path, missing: incomplete.missing)
        }
        return .fileNotFound(dataset: name, file: missing.firstMissingFile, directories: missing.directories, howTo: howTo(name))
    }

    /// One sentence telling a person how to make `name` available.
    static func howTo(_ name: DatasetName) -> String {
        let idxNames = "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (gzipped or not)"
        switch name {
        case .fashionMNIST:
            return "Install it with `apt-get install dataset-fashion-mnist`, or put \(idxNames) in <dir>/fashion-mnist and pass --data-dir <dir>."
        case .mnist:
            return "Put the standard MNIST files \(idxNames) in <dir>/mnist and pass --data-dir <dir>."
        case .kmnist:
            return "Put the KMNIST IDX files \(idxNames) in <dir>/kmnist and pass --data-dir <dir> (the .npz release files are not read)."
        case .cifar10:
            return "Unpack the CIFAR-10 binary version (cifar-10-binary.tar.gz) into <dir>, so that <dir>/cifar-10-batches-bin/data_batch_1.bin exists, and pass --data-dir <dir>."
        case .cifar100:
            return "Unpack the CIFAR-100 binary version (cifar-100-binary.tar.gz) into <dir>, so that <dir>/cifar-100-binary/train.bin exists, and pass --data-dir <dir>."
        }
    }
}
