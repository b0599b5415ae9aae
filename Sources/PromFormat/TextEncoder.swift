/// Writes metric families in the Prometheus text exposition format, version 0.0.4.
///
/// Output is deterministic: families are sorted by name and samples by their label values,
/// so the same input always gives the same bytes. A sample whose labels repeat an earlier
/// sample's of the same family is dropped, since Prometheus would reject the whole scrape.
public enum TextEncoder {
    /// The `Content-Type` that goes with the encoded text.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Appends `families` to `buffer` and returns the number of duplicate samples dropped.
    @discardableResult
    public static func encode(_ families: [MetricFamily], into buffer: inout [UInt8]) -> Int {
        var droppedDuplicates = 0
        for family in families.sorted(by: { $0.name < $1.name }) {
            droppedDuplicates += encode(family, into: &buffer)
        }
        return droppedDuplicates
    }

    /// Encodes `families` into a new buffer.
    public static func encode(_ families: [MetricFamily]) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(families.reduce(0) { $0 + 128 + $1.samples.count * 96 })
        encode(families, into: &buffer)
        return buffer
    }

    private static func encode(_ family: MetricFamily, into buffer: inout [UInt8]) -> Int {
        encodeHeader(of: family, into: &buffer)
        return encodeSamples(of: family, into: &buffer)
    }

    /// Appends the `# HELP` and `# TYPE` lines of `family`.
    public static func encodeHeader(of family: MetricFamily, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "# HELP ".utf8)
        buffer.append(contentsOf: family.name.utf8)
        buffer.append(UInt8(ascii: " "))
        appendEscaped(family.help, escapeQuotes: false, into: &buffer)
        buffer.append(contentsOf: "\n# TYPE ".utf8)
        buffer.append(contentsOf: family.name.utf8)
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: family.type.rawValue.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Appends the sample lines of `family`, sorted by labels, without its header, and returns
    /// the number of duplicate samples dropped. Lines of one family rendered in parts (such as one
    /// domain's at a time) join into the family's lines when the parts are in label order.
    @discardableResult
    public static func encodeSamples(of family: MetricFamily, into buffer: inout [UInt8]) -> Int {
        var dropped = 0
        var previous: [Label]?
        let samples = family.samples
        let isSorted = zip(samples, samples.dropFirst()).allSatisfy { !labelsPrecede($1.labels, $0.labels) }
        for sample in isSorted ? samples : samples.sorted(by: { labelsPrecede($0.labels, $1.labels) }) {
            if sample.labels == previous {
                dropped += 1
                continue
            }
            previous = sample.labels
            appendUTF8(family.name, into: &buffer)
            appendLabels(sample.labels, into: &buffer)
            buffer.append(UInt8(ascii: " "))
            sample.value.write(into: &buffer)
            buffer.append(UInt8(ascii: "\n"))
        }
        return dropped
    }

    /// Appends a series' name and labels, escaped as the format requires, for writers that render
    /// a series' text up to its value once and its value on every scrape.
    public static func encodeSeriesName(_ name: String, labels: [Label], into buffer: inout [UInt8]) {
        appendUTF8(name, into: &buffer)
        appendLabels(labels, into: &buffer)
    }

    private static func appendLabels(_ labels: [Label], into buffer: inout [UInt8]) {
        guard !labels.isEmpty else { return }
        buffer.append(UInt8(ascii: "{"))
        for (index, label) in labels.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            appendUTF8(label.name, into: &buffer)
            buffer.append(UInt8(ascii: "="))
            buffer.append(UInt8(ascii: "\""))
            appendEscaped(label.value, escapeQuotes: true, into: &buffer)
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// Escapes `\` and newline (help text), plus `"` (label values), as the format requires.
    private static func appendEscaped(_ text: String, escapeQuotes: Bool, into buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            let needsEscaping = utf8.contains { byte in
                byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || (escapeQuotes && byte == UInt8(ascii: "\""))
            }
            guard needsEscaping else {
                buffer.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.append(contentsOf: "\\\\".utf8)
                case UInt8(ascii: "\n"): buffer.append(contentsOf: "\\n".utf8)
                case UInt8(ascii: "\"") where escapeQuotes: buffer.append(contentsOf: "\\\"".utf8)
                default: buffer.append(byte)
                }
            }
        }
    }

    /// Appends the UTF-8 of `text` in one copy.
    private static func appendUTF8(_ text: String, into buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
    }

    /// Orders label lists by their names and values, pairwise and byte for byte, then by length.
    private static func labelsPrecede(_ lhs: [Label], _ rhs: [Label]) -> Bool {
        for (left, right) in zip(lhs, rhs) {
            let (leftName, rightName) = (ExactText(left.name), ExactText(right.name))
            if leftName != rightName { return leftName < rightName }
            let (leftValue, rightValue) = (ExactText(left.value), ExactText(right.value))
            if leftValue != rightValue { return leftValue < rightValue }
        }
        return lhs.count < rhs.count
    }
}
