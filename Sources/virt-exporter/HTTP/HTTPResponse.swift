import StatsCollector

/// A response the router chose, independent of the HTTP library that sends it.
struct HTTPResponse {
    /// Where the body's bytes live.
    enum Body {
        /// A snapshot's immutable buffer, sent without copying.
        case frozen(FrozenBytes)
        /// A small body made for this response.
        case text(String)
    }

    /// The status code.
    let status: UInt32
    /// Header fields, in order.
    let headers: [(name: String, value: String)]
    /// The body; for HEAD requests the server sends the headers only.
    let body: Body

    /// The body's bytes, for tests.
    var bodyBytes: [UInt8] {
        switch body {
        case .frozen(let bytes): bytes.array
        case .text(let text): Array(text.utf8)
        }
    }

    /// The value of the first header called `name`, ignoring case.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
