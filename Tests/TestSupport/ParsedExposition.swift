/// A parsed Prometheus text exposition, for assertions in tests.
public struct ParsedExposition {
    /// One sample line.
    public struct Series: Hashable {
        public let name: String
        public let labels: [String: String]
        public let value: Double
    }

    /// Every sample, in file order.
    public let series: [Series]
    /// `# TYPE` of each family.
    public let types: [String: String]
    /// Lines that are neither comments nor samples (a `503` body fed to it by mistake, say), so
    /// that a test fails on them rather than the whole test process trapping.
    public let malformedLines: [String]

    /// Parses `text`; lines it cannot read go to ``malformedLines``.
    public init(_ text: String) {
        var series: [Series] = []
        var types: [String: String] = [:]
        var malformed: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 {
                    types[String(parts[2])] = String(parts[3])
                } else {
                    malformed.append(String(line))
                }
                continue
            }
            if line.hasPrefix("#") { continue }
            if let sample = Self.parseSample(Substring(line)) {
                series.append(sample)
            } else {
                malformed.append(String(line))
            }
        }
        self.series = series
        self.types = types
        self.malformedLines = malformed
    }

    /// The samples of `name` whose labels include all of `labels`.
    public func samples(_ name: String, _ labels: [String: String] = [:]) -> [Series] {
        series.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
    }

    /// The value of the one sample of `name` with `labels`; `nil` if there is none or several.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let found = samples(name, labels)
        return found.count == 1 ? found[0].value : nil
    }

    /// Names of every family with at least one sample.
    public var names: Set<String> { Set(series.map(\.name)) }

    private static func parseSample(_ line: Substring) -> Series? {
        var rest = line[...]
        let name = rest.prefix { $0 != "{" && $0 != " " }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = rest.prefix { $0 != "=" }
                guard rest.dropFirst(labelName.count).hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(labelName.count + 2)  // `="`
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.popFirst() else { return nil }
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                rest = rest.dropFirst()  // closing quote
                if rest.first == "," { rest = rest.dropFirst() }
                labels[String(labelName)] = value
            }
            rest = rest.dropFirst()
        }
        let valueText = rest.trimmingPrefix(" ")
        let value: Double? =
            switch valueText {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(valueText)
            }
        guard let value, !name.isEmpty else { return nil }
        return Series(name: String(name), labels: labels, value: value)
    }
}
