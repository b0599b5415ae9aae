import Foundation

/// Shortens the time scales of a Prometheus rules file for a test that cannot wait for them, so
/// that the shipped rules file itself is what a real Prometheus evaluates.
///
/// Every duration the rules compare against the clock is divided by the same factor: `for:`
/// durations, range windows (`[10m]`), `offset`s, and the elapsed-time threshold of a job
/// (`libvirt_domain_job_elapsed_seconds > N`). A duration never falls below one second. Comments,
/// annotations and every other number (byte counts, ratios, pass counts, downtimes) are left as
/// they are: a rule that counts passes runs unchanged. So is the age threshold of the exporter's
/// last collection (`time() - …_timestamp_seconds > N`): it is measured against the exporter's
/// collection interval, which the test does not shorten.
enum RuleDurations {
    /// `rules` (the text of a rules file) with its durations divided by `factor`.
    static func shorten(_ rules: String, by factor: Int) -> String {
        precondition(factor >= 1)
        return rules.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let text = String(line)
            if text.trimmingCharacters(in: .whitespaces).hasPrefix("#") { return text }
            if let range = text.range(of: #"^\s*for:\s*"#, options: .regularExpression) {
                let value = String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces)
                guard let seconds = seconds(of: value) else { return text }
                return text[..<range.upperBound] + format(seconds, by: factor)
            }
            if text.range(of: #"^\s*(summary|description|alert|record|severity):"#, options: .regularExpression) != nil
            {
                return text
            }
            var result = replace(#"\[(\d+(?:ms|s|m|h|d))\]"#, in: text) { "[\(format($0, by: factor))]" }
            result = replace(#"offset (\d+(?:ms|s|m|h|d))"#, in: result) { "offset \(format($0, by: factor))" }
            result = replaceThreshold(in: result, by: factor)
            return result
        }.joined(separator: "\n")
    }

    /// Seconds of a Prometheus duration such as `90s`, `10m`, `1h` (one unit only).
    static func seconds(of duration: String) -> Double? {
        guard let match = duration.wholeMatch(of: /(\d+)(ms|s|m|h|d)/), let number = Double(match.1) else {
            return nil
        }
        let unit: Double =
            switch match.2 {
            case "ms": 0.001
            case "s": 1
            case "m": 60
            case "h": 3600
            default: 86400
            }
        return number * unit
    }

    private static func format(_ seconds: Double, by factor: Int) -> String {
        "\(max(1, Int((seconds / Double(factor)).rounded(.up))))s"
    }

    /// Replaces each match of `pattern` (one capture: a duration) with `make(seconds)`.
    private static func replace(_ pattern: String, in text: String, _ make: (Double) -> String) -> String {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return text }
        var result = text
        let whole = NSRange(result.startIndex..., in: result)
        for match in expression.matches(in: result, range: whole).reversed() {
            guard let full = Range(match.range, in: result), let capture = Range(match.range(at: 1), in: result),
                let seconds = seconds(of: String(result[capture]))
            else { continue }
            result.replaceSubrange(full, with: make(seconds))
        }
        return result
    }

    /// Divides the thresholds of comparisons with a job's elapsed time.
    private static func replaceThreshold(in text: String, by factor: Int) -> String {
        let pattern = #"(libvirt_domain_job_elapsed_seconds\s*>\s*)(\d+)"#
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return text }
        var result = text
        for match in expression.matches(in: result, range: NSRange(result.startIndex..., in: result)).reversed() {
            guard let number = Range(match.range(at: 2), in: result), let value = Double(result[number]) else {
                continue
            }
            result.replaceSubrange(number, with: "\(max(1, Int((value / Double(factor)).rounded(.up))))")
        }
        return result
    }
}
