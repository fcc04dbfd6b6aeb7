import Foundation

/// Errors raised while reading or writing the project's files.
public enum FileError: Error, CustomStringConvertible, Equatable {
    /// The directory cannot be created or written.
    case unwritableDirectory(path: String, reason: String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)
    /// A file could not be read.
    case unreadable(path: String, reason: String)
    /// A file exists but its content is not what it should be.
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unwritableDirectory(path, reason):
            return "cannot write to directory '\(path)': \(reason)"
        case let .writeFailed(path, reason):
            return "could not write '\(path)': \(reason)"
        case let .unreadable(path, reason):
            return "could not read '\(path)': \(reason)"
        case let .corrupt(path, reason):
            return "'\(path)' is corrupt: \(reason)"
        }
    }
}

/// Writes files so that a reader never sees a half-written one: the data go to
/// a temporary file in the same directory, which is flushed and then renamed
/// over the destination (rename is atomic on POSIX file systems).
public enum AtomicFile {
    /// Writes `data` to `url` atomically, creating parent directories.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try ensureWritableDirectory(directory)
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw FileError.writeFailed(path: url.path, reason: "cannot create a temporary file in \(directory.path) (\(SystemErrorText.posix(errno)))")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, url.path) != 0 {
                throw FileError.writeFailed(path: url.path, reason: SystemErrorText.posix(errno))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let fileError = error as? FileError { throw fileError }
            throw FileError.writeFailed(path: url.path, reason: SystemErrorText.describe(error, path: url.path)
                                        + "; free some space or choose another directory")
        }
    }

    /// Writes a UTF-8 string atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Creates `directory` (and parents) if needed and checks that it can be written.
    public static func ensureWritableDirectory(_ directory: URL) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw FileError.unwritableDirectory(path: directory.path, reason: "a file with that name exists")
            }
        } else {
            do {
                try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw FileError.unwritableDirectory(path: directory.path, reason: "it cannot be created (\(describe(error)))")
            }
        }
        guard manager.isWritableFile(atPath: directory.path) else {
            throw FileError.unwritableDirectory(path: directory.path, reason: "permission denied")
        }
    }

    private static func describe(_ error: Error) -> String {
        SystemErrorText.describe(error)
    }
}
