import Glibc

/// Standard output and standard error, for what the commands print beside the log (JSON, the
/// catalog, a snapshot, one-line errors), written whole with `write(2)`.
enum StandardStream {
    case output
    case error

    /// Writes `text` as UTF-8.
    func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `bytes` whole, going on after a partial write and an interrupted call; what a closed
    /// stream (its reader gone) does not take is dropped.
    func write(_ bytes: UnsafeRawBufferPointer) {
        let descriptor = self == .output ? STDOUT_FILENO : STDERR_FILENO
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
