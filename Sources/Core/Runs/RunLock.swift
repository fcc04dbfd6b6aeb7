import Dispatch
import Foundation

/// Who holds a run lock.
public struct RunLockOwner: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Host name of the machine.
    public var host: String
    /// Process id on that machine.
    public var pid: Int32
    /// ISO 8601 time the lock was taken.
    public var started: String
    /// A random token, so that a lock can be told from a later one of the same process.
    public var token: String

    /// This process, now.
    static func current() -> RunLockOwner {
        RunLockOwner(host: RunLock.hostName, pid: getpid(), started: ISO8601DateFormatter().string(from: Date()),
                     token: String(UInt64.random(in: 0...UInt64.max), radix: 16))
    }

    public var description: String { "process \(pid) on \(host) (since \(started))" }
}

/// A lock file that makes "two processes, one run" train once: `<hash>.lock` in the cache holds
/// the owner (host, pid, start time) as JSON and is created exclusively (`O_EXCL`); while the run
/// trains, the owner refreshes the file's modification time every `heartbeat` seconds. A lock is
/// stale, and is taken over, when its heartbeat is older than `staleAfter` or its owner is a dead
/// process on this host (a killed run); taking over renames the stale file away and checks that
/// it was the stale one, so two processes never both take it.
public final class RunLock: @unchecked Sendable {
    /// The lock file.
    public let url: URL
    /// This process's ownership.
    public let owner: RunLockOwner
    private var timer: DispatchSourceTimer?

    /// The outcome of one attempt.
    public enum Attempt {
        /// This process holds the lock now.
        case acquired(RunLock)
        /// Another live process holds it; its heartbeat is `age` seconds old.
        case held(by: RunLockOwner?, age: Double)
    }

    private init(url: URL, owner: RunLockOwner) {
        self.url = url
        self.owner = owner
    }

    /// This machine's host name.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown-host" }
        return String(cString: buffer)
    }

    /// Tries once to take the lock at `url`, taking over a stale one.
    /// - Throws: `FileError.unwritableDirectory` when the lock file cannot be created.
    public static func attempt(_ url: URL, heartbeat: TimeInterval, staleAfter: TimeInterval) throws -> Attempt {
        for _ in 0..<5 {
            let owner = RunLockOwner.current()
            let descriptor = open(url.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
            if descriptor >= 0 {
                let data = (try? JSONEncoder().encode(owner)) ?? Data()
                _ = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                close(descriptor)
                let lock = RunLock(url: url, owner: owner)
                lock.startHeartbeat(every: heartbeat)
                return .acquired(lock)
            }
            guard errno == EEXIST else {
                throw FileError.unwritableDirectory(path: url.deletingLastPathComponent().path,
                                                    reason: "the run lock \(url.lastPathComponent) cannot be created (\(SystemErrorText.posix(errno)))")
            }
            guard let seen = inspect(url) else { continue }  // released meanwhile: try again
            if !isStale(seen, staleAfter: staleAfter) { return .held(by: seen.owner, age: seen.age) }
            takeOver(url, seen: seen)
        }
        return .held(by: inspect(url)?.owner, age: inspect(url)?.age ?? 0)
    }

    /// Stops the heartbeat and removes the lock file (when it is still this process's).
    public func release() {
        timer?.cancel()
        timer = nil
        if Self.inspect(url)?.owner?.token == owner.token { unlink(url.path) }
    }

    deinit { timer?.cancel() }

    private func startHeartbeat(every seconds: TimeInterval) {
        let source = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        source.schedule(deadline: .now() + seconds, repeating: seconds)
        let path = url.path
        source.setEventHandler { _ = utimes(path, nil) }
        source.resume()
        timer = source
    }

    /// A lock file's owner (nil when its contents cannot be parsed, e.g. while being written) and heartbeat age.
    struct Seen {
        var owner: RunLockOwner?
        var age: Double
        var inode: UInt64
    }

    static func inspect(_ url: URL) -> Seen? {
        var status = stat()
        guard stat(url.path, &status) == 0 else { return nil }
        let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        let owner = (try? Data(contentsOf: url)).flatMap { try? JSONDecoder().decode(RunLockOwner.self, from: $0) }
        return Seen(owner: owner, age: max(0, Date().timeIntervalSince1970 - modified), inode: UInt64(status.st_ino))
    }

    /// Stale: the heartbeat stopped, or the owner is a process of this host that no longer runs
    /// (or this very process, which holds no lock it does not know of).
    static func isStale(_ seen: Seen, staleAfter: TimeInterval) -> Bool {
        if seen.age > staleAfter { return true }
        guard let owner = seen.owner, owner.host == hostName else { return false }
        if owner.pid == getpid() { return true }
        return kill(owner.pid, 0) != 0 && errno == ESRCH
    }

    /// Moves a stale lock aside; if what was moved is not the lock inspected (another process
    /// took over in between), it is put back.
    private static func takeOver(_ url: URL, seen: Seen) {
        let aside = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).stale-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard rename(url.path, aside.path) == 0 else { return }
        if let moved = inspect(aside), moved.inode != seen.inode {
            _ = link(aside.path, url.path)  // fails harmlessly when a newer lock exists
        }
        unlink(aside.path)
    }
}
