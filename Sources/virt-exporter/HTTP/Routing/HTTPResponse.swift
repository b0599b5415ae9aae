import StatsCollector

/// A response the router chose, independent of the HTTP library that sends it.
struct HTTPResponse {
    /// Where the body's bytes live.
    enum Body {
        /// A snapshot's immutable buffer, sent without copying, then a small `trailer` made for
        /// this response (the HTTP self-metrics; for gzip, a second gzip member).
        case frozen(FrozenBytes, trailer: [UInt8])
        /// A small body made for this response.
        case text(String)
    }

    /// The status code.
    let status: UInt32
    /// Header fields, in order.
    let headers: [(name: String, value: String)]
    /// The body; for HEAD requests the server sends the headers only.
    let body: Body

    /// A `text/plain` response.
    static func plain(_ status: UInt32, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .text(text))
    }

    /// The body's bytes, for tests.
    var bodyBytes: [UInt8] {
        switch body {
        case .frozen(let bytes, let trailer): bytes.array + trailer
        case .text(let text): Array(text.utf8)
        }
    }

    /// The value of the first header called `name`, ignoring case.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
