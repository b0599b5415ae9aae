/// A run of exposition text with its raw deflate form, ready to be spliced with other pieces into
/// one gzip member (``Gzip/member(of:)``) without compressing the text again.
///
/// The deflate form was compressed on its own, so it refers to no byte outside its text, and it
/// ends on a byte boundary with no final block (a sync flush): any number of such pieces, one
/// after the other, are one valid deflate stream.
public struct CompressedPiece: Sendable {
    /// The text.
    public let text: [UInt8]
    /// The text as raw deflate blocks; `nil` if compression failed (zlib out of memory).
    public let deflated: [UInt8]?
    /// The CRC-32 of the text, which the gzip trailer needs.
    public let crc: UInt32
}
