import PromFormat
import StatsCollector

/// Decides every response from the request line and `Accept-Encoding` alone, reading only the
/// latest snapshot: a request never waits for libvirt.
///
/// - `GET`/`HEAD` telemetry path: the snapshot (gzip if accepted), or 503 before the first collection.
/// - `/`: a landing page. `/-/healthy`: 200. `/-/ready`: 200 once the first collection finished, else 503.
/// - Any other path: 404. Any other method on a known path: 405 with `Allow`.
/// The front door (auth, limits) comes before it; see ``FrontDoor``.
struct RequestRouter: Sendable {
    /// The path of the metrics.
    let telemetryPath: String
    /// Where the latest snapshot is.
    let store: SnapshotStore

    private static let allowedMethods = "GET, HEAD"

    /// Where a request goes.
    enum Route: Equatable {
        case metrics, healthy, ready, landingPage, notFound, methodNotAllowed
    }

    /// The route of `method` `path`.
    func route(method: String, path: String) -> Route {
        let route: Route
        switch path {
        case telemetryPath: route = .metrics
        case "/-/healthy": route = .healthy
        case "/-/ready": route = .ready
        case "/": route = .landingPage
        default: return .notFound
        }
        return method == "GET" || method == "HEAD" ? route : .methodNotAllowed
    }

    /// The response to `method` `path`, with no trailer after the metrics.
    func respond(method: String, path: String, acceptEncoding: String?) -> HTTPResponse {
        respond(to: route(method: method, path: path), acceptEncoding: acceptEncoding) { [] }
    }

    /// The response for `route`; `trailer` gives text-format families to append to the metrics.
    func respond(to route: Route, acceptEncoding: String?, trailer: () -> [UInt8]) -> HTTPResponse {
        switch route {
        case .notFound: return .plain(404, "Not found.\n")
        case .methodNotAllowed:
            return HTTPResponse(
                status: 405,
                headers: [("Content-Type", "text/plain; charset=utf-8"), ("Allow", Self.allowedMethods)],
                body: .text("Method not allowed; use GET or HEAD.\n"))
        case .metrics: return metrics(acceptEncoding: acceptEncoding, trailer: trailer)
        case .healthy: return .plain(200, "Healthy.\n")
        case .ready:
            return store.latest == nil
                ? .plain(503, "Not ready: no collection has finished yet.\n") : .plain(200, "Ready.\n")
        case .landingPage: return landingPage
        }
    }

    private func metrics(acceptEncoding: String?, trailer: () -> [UInt8]) -> HTTPResponse {
        guard let snapshot = store.latest else {
            return .plain(503, "No metrics yet: the first collection has not finished.\n")
        }
        var headers: [(name: String, value: String)] = [
            ("Content-Type", TextEncoder.contentType), ("Vary", "Accept-Encoding"),
        ]
        let extra = trailer()
        if let gzip = snapshot.gzip, AcceptEncoding.allowsGzip(acceptEncoding) {
            // A gzip stream may hold several members; decoders (Prometheus' too) join them.
            headers.append(("Content-Encoding", "gzip"))
            let member = extra.isEmpty ? [] : GzipStoredMember.make(extra)
            return HTTPResponse(status: 200, headers: headers, body: .frozen(gzip, trailer: member))
        }
        return HTTPResponse(status: 200, headers: headers, body: .frozen(snapshot.text, trailer: extra))
    }

    private var landingPage: HTTPResponse {
        let page = """
            <!DOCTYPE html>
            <html><head><title>virt-exporter</title></head>
            <body><h1>virt-exporter</h1><p>Prometheus exporter for libvirt.</p>
            <ul><li><a href="\(Self.htmlEscaped(telemetryPath))">Metrics</a></li><li><a href="/-/healthy">Health</a></li><li><a href="/-/ready">Readiness</a></li></ul>
            </body></html>

            """
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: .text(page))
    }

    /// `text` with the characters HTML gives a meaning escaped, for an attribute value.
    private static func htmlEscaped(_ text: String) -> String {
        let entities: [Character: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"]
        return text.reduce(into: "") { escaped, character in escaped += entities[character] ?? String(character) }
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
