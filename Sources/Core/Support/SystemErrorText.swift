import Foundation

/// Plain sentences for the errors Foundation and the C library report, so that a message
/// never shows "NSCocoaErrorDomain error 256" but says what happened ("it is a directory,
/// not a file", "permission denied", "no space left on the device").
public enum SystemErrorText {
    /// The reason `error` gives, in words. `path`, when known, lets a failure on a
    /// directory be named as such.
    public static func describe(_ error: Error, path: String? = nil) -> String {
        if let fileError = error as? FileError { return fileError.description }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return posix(Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return posix(Int32(underlying.code))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
            case .fileWriteOutOfSpace: return "no space left on the device"
            case .fileWriteVolumeReadOnly: return "the file system is read-only"
            case .fileWriteFileExists: return "a file with that name already exists"
            case .fileReadCorruptFile: return "the file cannot be read as expected"
            default: break
            }
        }
        if let path, isDirectory(path) { return "it is a directory, not a file" }
        let text = ns.localizedFailureReason ?? ns.localizedDescription
        if text.contains("NSCocoaErrorDomain") || text.hasPrefix("The operation could not be completed") {
            return ns.code >= 512 && ns.code < 1024 ? "the file could not be written" : "the file could not be read"
        }
        return text
    }

    /// `strerror` for an errno value, with the clearer wording for the common cases.
    public static func posix(_ code: Int32) -> String {
        switch code {
        case EISDIR: return "it is a directory, not a file"
        case ENOTDIR: return "a part of the path is a file, not a directory"
        case EACCES, EPERM: return "permission denied"
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "the disk quota is exceeded"
        case EROFS: return "the file system is read-only"
        case ENOENT: return "no such file or directory"
        default: return String(cString: strerror(code)).lowercased()
        }
    }

    /// Whether `path` names an existing directory.
    public static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// Whether a write failure (errno) means the storage is full or otherwise refuses data.
    public static func isOutOfSpace(_ code: Int32) -> Bool { code == ENOSPC || code == EDQUOT || code == EFBIG }
}
