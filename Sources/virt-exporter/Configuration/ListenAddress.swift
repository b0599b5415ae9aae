/// Where the HTTP server listens, as `host:port`: `:9177` (every address), `127.0.0.1:9177`,
/// `[::1]:9177` or `localhost:9177`. Port 0 asks the system for a free port.
struct ListenAddress: Equatable, CustomStringConvertible {
    /// The host; empty for every address.
    let host: String
    /// The port.
    let port: UInt16

    /// Parses `text`; `nil` if it is not `host:port` with a port from 0 to 65535.
    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        var host = text[..<colon]
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return nil }
            host = host.dropFirst().dropLast()
        } else if host.contains(":") {
            return nil  // an IPv6 address needs brackets
        }
        self.host = String(host)
        self.port = port
    }

    var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
