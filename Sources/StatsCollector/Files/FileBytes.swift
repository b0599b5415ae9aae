import Glibc

/// Reads whole files (the config and web config files and the files they name, the guest agent's
/// report) with `open(2)` and `read(2)`, and writes the report in place of an older one: what
/// Foundation's file handling did here, without Foundation.
public enum FileBytes {
    /// Why a file could not be read: the C library's words for the error (`No such file or
    /// directory`, `Permission denied`, `Is a directory`).
    public struct ReadError: Error, CustomStringConvertible {
        public let description: String

        /// The error `errno` holds.
        static func system(_ code: Int32 = errno) -> ReadError {
            ReadError(description: String(cString: strerror(code)))
        }
    }

    /// The bytes of the file at `path`; with `limit`, a file longer than that is refused.
    public static func read(_ path: String, limit: Int = .max) throws(ReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system() }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .system() }
            guard count > 0 else { return bytes }
            bytes += chunk[..<count]
            guard bytes.count <= limit else { throw ReadError(description: "longer than \(limit) bytes") }
        }
    }

    /// The file at `path` as UTF-8 text, without the byte order mark it may start with.
    public static func readText(_ path: String) throws(ReadError) -> String {
        var bytes = try read(path)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReadError(description: "not UTF-8 text")
        }
        return text
    }

    /// Writes `bytes` to `path` so that a reader sees the old file or the new one, never part of
    /// one: into a temporary file beside it, flushed, then renamed over it, readable by all
    /// (`0644`: what it holds is shown on the exporter's `/metrics`).
    public static func replace(_ path: String, with bytes: [UInt8]) throws(ReadError) {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .system() }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let failure = ReadError.system()
                close(descriptor)
                unlink(temporary)
                throw failure
            }
            written += count
        }
        guard fsync(descriptor) == 0, close(descriptor) == 0, rename(temporary, path) == 0 else {
            let failure = ReadError.system()
            unlink(temporary)
            throw failure
        }
    }
}
