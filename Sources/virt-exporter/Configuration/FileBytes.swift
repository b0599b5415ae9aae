import Glibc

/// Reads whole files for the config and web config files (and the files they name) with `open(2)`
/// and `read(2)`: what Foundation's file reading did here, without Foundation.
enum FileBytes {
    /// Why a file could not be read: the C library's words for the error (`No such file or
    /// directory`, `Permission denied`, `Is a directory`).
    struct ReadError: Error, CustomStringConvertible {
        let description: String

        /// The error `errno` holds.
        static func system(_ code: Int32 = errno) -> ReadError {
            ReadError(description: String(cString: strerror(code)))
        }
    }

    /// The bytes of the file at `path`.
    static func read(_ path: String) throws(ReadError) -> [UInt8] {
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
        }
    }

    /// The file at `path` as UTF-8 text, without the byte order mark it may start with.
    static func readText(_ path: String) throws(ReadError) -> String {
        var bytes = try read(path)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReadError(description: "not UTF-8 text")
        }
        return text
    }
}
