import Synchronization

/// The HTTP server's own counters: requests by path and status code, and refused or cut
/// connections by reason. They are rendered at scrape time, after the snapshot, in families the
/// collector never writes.
final class HTTPSelfMetrics: Sendable {
    private struct RequestKey: Hashable {
        let path: String
        let code: UInt32
    }

    private struct Counts {
        var requests: [RequestKey: UInt64] = [:]
        var rejections: [ConnectionTable.Rejection: UInt64] = [:]
    }

    /// The paths counted by name; any other is counted as `other`, so that clients cannot make series.
    private let knownPaths: Set<String>
    private let counts = Mutex(Counts())

    init(telemetryPath: String) {
        knownPaths = [telemetryPath, "/", "/-/healthy", "/-/ready"]
    }

    /// Counts a request to `path` answered with `code`.
    func countRequest(path: String, code: UInt32) {
        let key = RequestKey(path: knownPaths.contains(path) ? path : "other", code: code)
        counts.withLock { $0.requests[key, default: 0] += 1 }
    }

    /// Counts a connection refused or closed for `reason`.
    func countRejection(_ reason: ConnectionTable.Rejection) {
        counts.withLock { $0.rejections[reason, default: 0] += 1 }
    }

    /// The counters in the text exposition format, sorted.
    func render() -> [UInt8] {
        let snapshot = counts.withLock { $0 }
        var text = """
            # HELP libvirt_exporter_http_requests_total HTTP requests answered, by path and status code.
            # TYPE libvirt_exporter_http_requests_total counter

            """
        let requests = snapshot.requests.sorted { ($0.key.path, $0.key.code) < ($1.key.path, $1.key.code) }
        for (key, count) in requests {
            text +=
                "libvirt_exporter_http_requests_total{code=\"\(key.code)\",path=\"\(Self.escape(key.path))\"} \(count)\n"
        }
        text += """
            # HELP libvirt_exporter_http_rejected_connections_total HTTP connections refused or closed early, by reason.
            # TYPE libvirt_exporter_http_rejected_connections_total counter

            """
        for reason in ConnectionTable.Rejection.allCases {
            text +=
                "libvirt_exporter_http_rejected_connections_total{reason=\"\(reason.rawValue)\"} "
                + "\(snapshot.rejections[reason, default: 0])\n"
        }
        return Array(text.utf8)
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
