import CZlib

/// Why gzip compression failed; zlib reports this only for memory exhaustion or a corrupt stream.
public struct GzipError: Error, Sendable, CustomStringConvertible {
    /// zlib's return code.
    public let code: Int32
    /// The zlib function that failed.
    public let function: String

    public var description: String { "\(function) failed with zlib code \(code)" }
}

/// gzip compression with zlib. This file is the only place that touches zlib's C API.
public enum Gzip {
    /// Compresses `input` into a complete gzip member.
    ///
    /// - Parameter level: zlib's level, 1 (fastest) to 9 (smallest); 6 is zlib's default.
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws(GzipError) -> [UInt8] {
        var stream = z_stream()
        let initStatus = CZlib_deflateInitGzip(&stream, level)
        guard initStatus == Z_OK else { throw GzipError(code: initStatus, function: "deflateInit2") }
        defer { deflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))))
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = destination.baseAddress
                stream.avail_out = uInt(destination.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        // deflateBound guarantees room for the whole stream, so one Z_FINISH call must end it.
        guard status == Z_STREAM_END else { throw GzipError(code: status, function: "deflate") }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
