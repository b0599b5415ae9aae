/// A stats field name with its indices taken out: `block.2.rd.bytes` has the pattern
/// `block.<n>.rd.bytes` and the indices `["2"]`; `memory.bandwidth.monitor.0.node.1.bytes.local`
/// has two. The catalog is keyed by patterns.
struct FieldPattern: Hashable {
    /// The field name with every all-digit segment replaced by `<n>`.
    let pattern: String
    /// Those segments' text, in order.
    let indices: [Substring]

    /// The placeholder for a device, vCPU or host CPU index in a pattern.
    static let indexPlaceholder = "<n>"

    init(field: String) {
        var indices: [Substring] = []
        var segments = field.split(separator: ".", omittingEmptySubsequences: false)
        for position in segments.indices
        where !segments[position].isEmpty && segments[position].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            indices.append(segments[position])
            segments[position] = Substring(Self.indexPlaceholder)
        }
        self.indices = indices
        self.pattern = indices.isEmpty ? field : segments.joined(separator: ".")
    }

    /// `pattern` with its placeholders filled from `indices`, in order; `nil` if there are too few.
    static func fill(_ pattern: String, with indices: [Substring]) -> String? {
        var remaining = indices[...]
        var segments: [Substring] = []
        for segment in pattern.split(separator: ".", omittingEmptySubsequences: false) {
            if segment == indexPlaceholder {
                guard let index = remaining.popFirst() else { return nil }
                segments.append(index)
            } else {
                segments.append(segment)
            }
        }
        return segments.joined(separator: ".")
    }
}
