/// A libvirt stats field name with its device index taken out: `block.2.rd.bytes` has the pattern
/// `block.<n>.rd.bytes` and the index `2`. The catalog is keyed by patterns.
struct FieldPattern: Hashable {
    /// The field name with its first all-digit segment replaced by `<n>`.
    let pattern: String
    /// That segment's text, if the field had one.
    let index: Substring?

    /// The placeholder for a device or vCPU index in a pattern.
    static let indexPlaceholder = "<n>"

    init(field: String) {
        var segments = field.split(separator: ".", omittingEmptySubsequences: false)
        if let position = segments.firstIndex(where: { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigitCharacter) }) {
            index = segments[position]
            segments[position] = Substring(Self.indexPlaceholder)
            pattern = segments.joined(separator: ".")
        } else {
            index = nil
            pattern = field
        }
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
