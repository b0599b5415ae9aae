/// Text that compares, hashes and sorts by its UTF-8 bytes, as libvirt and Prometheus compare
/// names and label values.
///
/// Swift's `String` compares by Unicode canonical equivalence: `caf\u{E9}` (precomposed) and
/// `cafe\u{301}` (a combining accent) are one `String` key, while libvirt keeps two domains of
/// those names and Prometheus two label values. Every table keyed by such a name uses this type
/// instead, and ``Label`` compares its name and value so.
public struct ExactText: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The text.
    public let text: String

    /// Wraps `text`.
    public init(_ text: String) {
        self.text = text
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public var description: String { text }

    public static func == (lhs: ExactText, rhs: ExactText) -> Bool {
        let (left, right) = (lhs.text.utf8, rhs.text.utf8)
        guard left.count == right.count else { return false }
        // Native strings store their UTF-8 contiguously: one memcmp.
        let equal = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in leftBytes.elementsEqual(rightBytes) }
        }
        return (equal ?? nil) ?? left.elementsEqual(right)
    }

    /// Byte order, as Go's and Prometheus' string comparison.
    public static func < (lhs: ExactText, rhs: ExactText) -> Bool {
        lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        let utf8 = text.utf8
        let hashed: Void? = utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil { for byte in utf8 { hasher.combine(byte) } }
        // The length ends the bytes, so that two texts hashed one after the other stay apart.
        hasher.combine(utf8.count)
    }
}
