/// Durations written the way Prometheus writes them: `15s`, `1m`, `2m30s`, `500ms`, `1h`, `1d`.
///
/// Units (`y`, `w`, `d`, `h`, `m`, `s`, `ms`) must each appear at most once, largest first,
/// each after a whole number; a year is 365 days.
enum PrometheusDuration {
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000),
        ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Parses `text`; `nil` if it is not a valid duration.
    static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var rest = Substring(text)
        var total: Int64 = 0
        var nextUnit = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix { $0.isASCII && $0.isLetter }
            guard let position = units[nextUnit...].firstIndex(where: { $0.suffix == letters }) else { return nil }
            rest = rest.dropFirst(letters.count)
            let (product, overflow) = number.multipliedReportingOverflow(by: units[position].milliseconds)
            guard !overflow, total.addingReportingOverflow(product).overflow == false else { return nil }
            total += product
            nextUnit = position + 1
        }
        return text.isEmpty ? nil : .milliseconds(total)
    }

    /// Formats `duration` the same way, to the millisecond: `15s`, `2m30s`, `500ms`.
    static func format(_ duration: Duration) -> String {
        var remaining = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        guard remaining > 0 else { return "0s" }
        var text = ""
        for (suffix, milliseconds) in units where remaining >= milliseconds {
            text += "\(remaining / milliseconds)\(suffix)"
            remaining %= milliseconds
        }
        return text
    }
}
