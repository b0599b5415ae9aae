import CZlib

/// A gzip member (RFC 1952) that stores its data uncompressed, in deflate "stored" blocks
/// (RFC 1951 §3.2.4). It is how a small trailer (the HTTP self-metrics) follows the snapshot's own gzip
/// member in a gzip response: decoders read concatenated members as one stream, and a stored member
/// costs a CRC-32 over the bytes instead of a deflate stream's setup, which for a trailer of a few
/// kilobytes costs many times more than the copy.
public enum GzipStoredMember {
    /// The member holding `data`.
    public static func make(_ data: [UInt8]) -> [UInt8] {
        var member: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]  // deflate, no flags, no mtime, unknown OS
        member.reserveCapacity(data.count + 32)
        var start = 0
        repeat {
            let length = min(data.count - start, Int(UInt16.max))
            let isLast = start + length == data.count
            member.append(isLast ? 1 : 0)  // BFINAL, BTYPE 00 (stored)
            member += littleEndian(UInt16(length)) + littleEndian(~UInt16(length))
            member += data[start..<(start + length)]
            start += length
        } while start < data.count
        member += littleEndian(crc32(data)) + littleEndian(UInt32(truncatingIfNeeded: data.count))
        return member
    }

    /// The CRC-32 of gzip (ISO 3309), zlib's.
    static func crc32(_ data: [UInt8]) -> UInt32 {
        data.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    private static func littleEndian<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
        (0..<(Value.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
