import PromFormat
import StatsCollector

/// Decides every response from the request line and `Accept-Encoding` alone, reading only the
/// latest snapshot: a request never waits for libvirt.
///
/// - `GET`/`HEAD` telemetry path: the snapshot (gzip if accepted), or 503 before the first collection.
/// - `/`: a landing page. `/-/healthy`: 200. `/-/ready`: 200 once the first collection finished, else 503.
/// - Any other path: 404. Any other method on a known path: 405 with `Allow`.
struct RequestRouter: Sendable {
    /// The path of the metrics.
    let telemetryPath: String
    /// Where the latest snapshot is.
    let store: SnapshotStore

    private static let allowedMethods = "GET, HEAD"

    func respond(method: String, path: String, acceptEncoding: String?) -> HTTPResponse {
        let isKnownPath = path == telemetryPath || path == "/" || path == "/-/healthy" || path == "/-/ready"
        guard isKnownPath else { return text(404, "Not found.\n") }
        guard method == "GET" || method == "HEAD" else {
            return HTTPResponse(
                status: 405,
                headers: [("Content-Type", "text/plain; charset=utf-8"), ("Allow", Self.allowedMethods)],
                body: .text("Method not allowed; use GET or HEAD.\n"))
        }
        switch path {
        case telemetryPath: return metrics(acceptEncoding: acceptEncoding)
        case "/-/healthy": return text(200, "Healthy.\n")
        case "/-/ready":
            return store.latest == nil
                ? text(503, "Not ready: no collection has finished yet.\n") : text(200, "Ready.\n")
        default: return landingPage
        }
    }

    private func metrics(acceptEncoding: String?) -> HTTPResponse {
        guard let snapshot = store.latest else {
            return text(503, "No metrics yet: the first collection has not finished.\n")
        }
        var headers: [(name: String, value: String)] = [
            ("Content-Type", TextEncoder.contentType), ("Vary", "Accept-Encoding"),
        ]
        if let gzip = snapshot.gzip, AcceptEncoding.allowsGzip(acceptEncoding) {
            headers.append(("Content-Encoding", "gzip"))
            return HTTPResponse(status: 200, headers: headers, body: .frozen(gzip))
        }
        return HTTPResponse(status: 200, headers: headers, body: .frozen(snapshot.text))
    }

    private var landingPage: HTTPResponse {
        let page = """
            <!DOCTYPE html>
            <html><head><title>virt-exporter</title></head>
            <body><h1>virt-exporter</h1><p>Prometheus exporter for libvirt.</p>
            <ul><li><a href="\(telemetryPath)">Metrics</a></li><li><a href="/-/healthy">Health</a></li><li><a href="/-/ready">Readiness</a></li></ul>
            </body></html>

            """
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: .text(page))
    }

    private func text(_ status: UInt32, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .text(body))
    }
}

/// Reads an `Accept-Encoding` header (RFC 9110 §12.5.3).
enum AcceptEncoding {
    /// Whether `header` accepts gzip: `gzip` or `*` listed with a quality above zero, and gzip not refused.
    static func allowsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzipQuality: Double?
        var wildcardQuality: Double?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
            guard let coding = parts.first else { continue }
            let quality =
                parts.dropFirst().compactMap { parameter -> Double? in
                    parameter.hasPrefix("q=") ? Double(parameter.dropFirst(2)) : nil
                }.first ?? 1
            if coding == "gzip" || coding == "x-gzip" { gzipQuality = quality }
            if coding == "*" { wildcardQuality = quality }
        }
        return (gzipQuality ?? wildcardQuality ?? 0) > 0
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var trimmed = self
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        return trimmed
    }
}
