import PromFormat
import Synchronization

/// The HTTP server's own counters: requests by path and status code, and refused or cut
/// connections by reason. They are rendered at scrape time, after the snapshot, in families the
/// collector never writes. Each series' text up to its value is rendered once, when the series
/// first appears, so a scrape only writes numbers.
final class HTTPSelfMetrics: Sendable {
    private struct RequestKey: Hashable, Comparable {
        let path: String
        let code: UInt32

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.path, lhs.code) < (rhs.path, rhs.code) }
    }

    /// One series: its rendered name and labels (with the trailing space), and its count.
    private struct Series {
        let prefix: [UInt8]
        var count: UInt64
    }

    private struct Counts {
        /// Request series, sorted by path, then code.
        var requests: [(key: RequestKey, series: Series)] = []
        /// Rejection series, in the order of ``ConnectionTable/Rejection/allCases``.
        var rejections: [Series]
    }

    private static let requestsHeader = header(
        "libvirt_exporter_http_requests_total", "HTTP requests answered, by path and status code.")
    private static let rejectionsHeader = header(
        "libvirt_exporter_http_rejected_connections_total", "HTTP connections refused or closed early, by reason.")

    /// The `# HELP` and `# TYPE` lines of a counter family.
    private static func header(_ name: String, _ help: String) -> [UInt8] {
        var text: [UInt8] = []
        do {
            TextEncoder.encodeHeader(of: try MetricFamily(name: name, help: help, type: .counter), into: &text)
        } catch {
            preconditionFailure("HTTP self-metric \(name) is invalid: \(error)")
        }
        return text
    }

    /// A series' text up to its value, with the space before it.
    private static func prefix(_ name: String, _ labels: [Label]) -> [UInt8] {
        var text: [UInt8] = []
        TextEncoder.encodeSeriesName(name, labels: labels, into: &text)
        text.append(UInt8(ascii: " "))
        return text
    }

    /// The paths counted by name; any other is counted as `other`, so that clients cannot make series.
    private let knownPaths: Set<String>
    private let counts: Mutex<Counts>

    init(telemetryPath: String) {
        knownPaths = [telemetryPath, "/", "/-/healthy", "/-/ready"]
        counts = Mutex(
            Counts(
                rejections: ConnectionTable.Rejection.allCases.map { reason in
                    Series(
                        prefix: Self.prefix(
                            "libvirt_exporter_http_rejected_connections_total", [Label("reason", reason.rawValue)]),
                        count: 0)
                }))
    }

    /// Counts a request to `path` answered with `code`.
    func countRequest(path: String, code: UInt32) {
        let key = RequestKey(path: knownPaths.contains(path) ? path : "other", code: code)
        counts.withLock { counts in
            if let index = counts.requests.firstIndex(where: { $0.key == key }) {
                counts.requests[index].series.count += 1
                return
            }
            let prefix = Self.prefix(
                "libvirt_exporter_http_requests_total", [Label("code", String(code)), Label("path", key.path)])
            let position = counts.requests.firstIndex { key < $0.key } ?? counts.requests.endIndex
            counts.requests.insert((key, Series(prefix: prefix, count: 1)), at: position)
        }
    }

    /// Counts a connection refused or closed for `reason`.
    func countRejection(_ reason: ConnectionTable.Rejection) {
        guard let index = ConnectionTable.Rejection.allCases.firstIndex(of: reason) else { return }
        counts.withLock { $0.rejections[index].count += 1 }
    }

    /// The counters in the text exposition format, sorted.
    func render() -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(4096)
        counts.withLock { counts in
            text += Self.requestsHeader
            for (_, series) in counts.requests { Self.append(series, to: &text) }
            text += Self.rejectionsHeader
            for series in counts.rejections { Self.append(series, to: &text) }
        }
        return text
    }

    private static func append(_ series: Series, to text: inout [UInt8]) {
        text += series.prefix
        var digits: [UInt8] = []
        var value = series.count
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(value % 10))
            value /= 10
        } while value > 0
        text += digits.reversed()
        text.append(UInt8(ascii: "\n"))
    }
}
