import Foundation

/// Errors raised while locating, reading or sampling a dataset.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// A required file is in none of the directories looked in.
    case fileNotFound(dataset: DatasetName, file: String, directories: [String], howTo: String)
    /// A `--data-dir` directory holds only some of a dataset's files (`missing` are absent). It is
    /// never silently replaced by another copy of the dataset.
    case incomplete(dataset: DatasetName, directory: String, missing: [String])
    /// A file exists but cannot be opened or read.
    case unreadable(path: String, reason: String)
    /// A file was read but its content is not a valid dataset file.
    case corrupt(path: String, reason: String)
    /// A class-balanced subset asks for more samples of a class than there are.
    case classTooSmall(label: Int, available: Int, requested: Int)
    /// A whole split of a standard dataset has fewer samples of a class than the standard
    /// release (`standard`): the files are deficient (a data fault, not a usage error).
    case tooFewSamples(dataset: DatasetName, partition: DatasetPartition, label: Int, available: Int, standard: Int)
    /// A sampling request is malformed (negative size, fraction outside [0, 1], …).
    case invalidRequest(String)

    public var description: String {
        switch self {
        case let .fileNotFound(dataset, file, directories, howTo):
            let places: String
            switch directories.count {
            case 0: places = "no directory (no --data-dir was given)"
            case 1: places = directories[0]
            default: places = directories.dropLast().joined(separator: ", ") + " or " + (directories.last ?? "")
            }
            return "\(dataset.displayName) file '\(file)' was not found in \(places). \(howTo)"
        case let .incomplete(dataset, directory, missing):
            return "\(directory) holds only part of \(dataset.displayName): \(missing.joined(separator: ", ")) "
                + (missing.count == 1 ? "is" : "are") + " missing; add the missing files there, or remove the partial copy or point --data-dir "
                + "elsewhere (another copy of the dataset is never used instead of an incomplete one)."
        case let .unreadable(path, reason):
            return "cannot read '\(path)' (\(reason)); check that the file exists and is readable."
        case let .corrupt(path, reason):
            return "\(path): \(reason); replace it with an intact copy of the file."
        case let .classTooSmall(label, available, requested):
            return "class \(label) has only \(available) samples but \(requested) were requested; ask for at most \(available) per class."
        case let .tooFewSamples(dataset, partition, label, available, standard):
            return "the \(dataset.displayName) \(partition.rawValue) files hold only \(available) samples of class \(label), while the standard "
                + "dataset has at least \(standard): the files are incomplete or altered; replace them with intact copies."
        case let .invalidRequest(message):
            return message
        }
    }
}
