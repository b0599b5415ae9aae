/// Exposition text in pieces, in the order they are served, each already compressed: the
/// domain part of a snapshot. A job update replaces a few pieces and keeps the others.
public struct RenderedBody: Sendable {
    /// The pieces, in order.
    public var pieces: [CompressedPiece]

    /// Creates a body from `pieces`.
    public init(pieces: [CompressedPiece]) {
        self.pieces = pieces
    }

    /// A body without any text, for a snapshot of self-metrics alone.
    public static let empty = RenderedBody(pieces: [])

    /// The number of text bytes.
    public var textCount: Int {
        pieces.reduce(0) { $0 + $1.text.count }
    }

    /// The text of every piece, one after the other.
    public var text: [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(textCount)
        for piece in pieces { text += piece.text }
        return text
    }
}
