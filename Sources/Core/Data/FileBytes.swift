import CZlib
import Foundation

/// The whole content of a file, decompressed when it is gzip-compressed, held
/// in one heap block that is freed with this object.
///
/// Reading goes through zlib's `gzread`, which inflates gzip data and passes
/// any other file through unchanged, so `.gz` and raw files are read alike.
final class FileBytes {
    private let base: UnsafeMutablePointer<UInt8>
    /// Number of bytes.
    let count: Int

    private init(base: UnsafeMutablePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    deinit { free(base) }

    /// The bytes; valid while this object is alive.
    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// Reads `url` completely.
    ///
    /// - Throws: `DatasetError.unreadable` when the file cannot be opened or
    ///   memory runs out, `DatasetError.corrupt` when the gzip data are damaged
    ///   or end early.
    static func read(_ url: URL) throws -> FileBytes {
        guard let handle = gzopen(url.path, "rb") else {
            throw DatasetError.unreadable(path: url.path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(handle) }
        _ = gzbuffer(handle, 1 << 18)

        let fileSize = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        var capacity = max(1 << 16, fileSize)
        guard var storage = malloc(capacity)?.assumingMemoryBound(to: UInt8.self) else {
            throw DatasetError.unreadable(path: url.path, reason: "out of memory")
        }
        var length = 0
        while true {
            if length == capacity {
                let grown = capacity * 2
                guard let moved = realloc(storage, grown)?.assumingMemoryBound(to: UInt8.self) else {
                    free(storage)
                    throw DatasetError.unreadable(path: url.path, reason: "out of memory")
                }
                storage = moved
                capacity = grown
            }
            let request = UInt32(min(capacity - length, 1 << 30))
            let got = gzread(handle, storage + length, request)
            if got < 0 {
                free(storage)
                throw DatasetError.corrupt(path: url.path, reason: "the compressed data cannot be decompressed (zlib: \(zlibMessage(handle)))")
            }
            if got == 0 { break }
            length += Int(got)
        }
        var code: Int32 = Z_OK
        _ = gzerror(handle, &code)
        if code != Z_OK {
            free(storage)
            throw DatasetError.corrupt(path: url.path, reason: "the compressed data end early or are damaged (zlib: \(zlibMessage(handle)))")
        }
        return FileBytes(base: storage, count: length)
    }

    private static func zlibMessage(_ handle: gzFile) -> String {
        var code: Int32 = 0
        guard let message = gzerror(handle, &code) else { return "error \(code)" }
        let text = String(cString: message)
        return text.isEmpty ? "error \(code)" : text
    }
}
