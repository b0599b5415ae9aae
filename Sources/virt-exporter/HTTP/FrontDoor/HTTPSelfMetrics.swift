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

    private static let requestsHeader = Array(
        """
        # HELP libvirt_exporter_http_requests_total HTTP requests answered, by path and status code.
        # TYPE libvirt_exporter_http_requests_total counter

        """.utf8)
    private static let rejectionsHeader = Array(
        """
        # HELP libvirt_exporter_http_rejected_connections_total HTTP connections refused or closed early, by reason.
        # TYPE libvirt_exporter_http_rejected_connections_total counter

        """.utf8)

    /// The paths counted by name; any other is counted as `other`, so that clients cannot make series.
    private let knownPaths: Set<String>
    private let counts: Mutex<Counts>

    init(telemetryPath: String) {
        knownPaths = [telemetryPath, "/", "/-/healthy", "/-/ready"]
        counts = Mutex(
            Counts(
                rejections: ConnectionTable.Rejection.allCases.map { reason in
                    Series(
                        prefix: Array(
                            "libvirt_exporter_http_rejected_connections_total{reason=\"\(reason.rawValue)\"} ".utf8),
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
            let prefix = Array(
                "libvirt_exporter_http_requests_total{code=\"\(code)\",path=\"\(Self.escape(key.path))\"} ".utf8)
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

    private static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
