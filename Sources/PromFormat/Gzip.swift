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

    /// The gzip header: magic, deflate, no flags, no time, no extra flags, Unix.
    private static let header: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
    /// An empty final block with fixed codes: ends the deflate stream after the pieces.
    private static let finalBlock: [UInt8] = [0x03, 0x00]

    /// One gzip member whose deflate stream is the pieces' blocks one after the other, ended by an
    /// empty final block, with the CRC-32 of their texts combined (`crc32_combine`) and their length.
    /// `nil` if a piece has no deflate form.
    public static func member(of pieces: [CompressedPiece]) -> [UInt8]? {
        var compressedCount = header.count + finalBlock.count + 8
        for piece in pieces {
            guard let deflated = piece.deflated else { return nil }
            compressedCount += deflated.count
        }
        var member = header
        member.reserveCapacity(compressedCount)
        var crc: uLong = crc32(0, nil, 0)
        var length: UInt64 = 0
        for piece in pieces {
            member += piece.deflated ?? []
            crc = crc32_combine(crc, uLong(piece.crc), .init(piece.text.count))
            length += UInt64(piece.text.count)
        }
        member += finalBlock
        for shift in stride(from: 0, to: 32, by: 8) { member.append(UInt8(truncatingIfNeeded: UInt32(crc) >> shift)) }
        for shift in stride(from: 0, to: 32, by: 8) { member.append(UInt8(truncatingIfNeeded: length >> shift)) }
        return member
    }

    /// A raw deflate compressor that makes ``CompressedPiece``s, reusing one zlib stream (and its
    /// quarter megabyte of tables) for every piece. It owns the stream and frees it when it goes.
    public struct Compressor: ~Copyable {
        /// On the heap: zlib's state points back at its stream, so the stream must never move.
        private let stream: UnsafeMutablePointer<z_stream>
        private let isReady: Bool

        /// Creates a compressor at zlib `level` (1 fastest to 9 smallest). Should zlib fail to set up
        /// (out of memory), its pieces have no deflate form and no gzip is served.
        public init(level: Int32) {
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            isReady = CZlib_deflateInitRaw(stream, level) == Z_OK
        }

        deinit {
            if isReady { deflateEnd(stream) }
            stream.deinitialize(count: 1)
            stream.deallocate()
        }

        /// `text` as a piece: compressed on its own and ended with a sync flush.
        public func piece(_ text: [UInt8]) -> CompressedPiece {
            let crc = text.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            return CompressedPiece(text: text, deflated: isReady ? deflated(text) : nil, crc: crc)
        }

        private func deflated(_ text: [UInt8]) -> [UInt8]? {
            guard deflateReset(stream) == Z_OK else { return nil }
            // deflateBound covers the blocks; the sync flush adds an empty stored block of 5 bytes.
            var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(text.count))) + 16)
            let status = text.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { destination in
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                    stream.pointee.avail_in = uInt(source.count)
                    stream.pointee.next_out = destination.baseAddress
                    stream.pointee.avail_out = uInt(destination.count)
                    return deflate(stream, Z_SYNC_FLUSH)
                }
            }
            // With room for all of it, one call consumes the input and flushes; anything else is a failure.
            guard status == Z_OK, stream.pointee.avail_in == 0, stream.pointee.avail_out > 0 else { return nil }
            output.removeSubrange(Int(stream.pointee.total_out)...)
            return output
        }
    }
}
