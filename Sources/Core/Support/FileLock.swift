import Foundation

/// An exclusive advisory lock (`flock`) on a small lock file, held for the duration of a closure.
///
/// Used for read–modify–write of files that several processes update (e.g. `results.json`
/// when two figure commands share one `--out`). The kernel releases the lock when the process
/// dies, so a killed writer never leaves it held. The lock file itself is left in place (removing
/// it would let two processes lock two different files of the same name).
public enum FileLock {
    /// Runs `body` while holding an exclusive lock on `lockURL` (created when absent), waiting for
    /// other holders to finish.
    /// - Throws: `FileError.unwritableDirectory` when the lock file cannot be created; whatever `body` throws.
    public static func withExclusiveLock<T>(_ lockURL: URL, _ body: () throws -> T) throws -> T {
        try AtomicFile.ensureWritableDirectory(lockURL.deletingLastPathComponent())
        let descriptor = open(lockURL.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileError.unwritableDirectory(path: lockURL.deletingLastPathComponent().path,
                                                reason: "the lock file \(lockURL.lastPathComponent) cannot be created (\(SystemErrorText.posix(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw FileError.unwritableDirectory(path: lockURL.path, reason: "it cannot be locked (\(SystemErrorText.posix(errno)))")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
