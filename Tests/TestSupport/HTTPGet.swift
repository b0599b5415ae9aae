import Glibc

/// A minimal blocking HTTP/1.1 client for loopback tests: one request per connection, raw bytes
/// back, nothing decoded behind the test's back (no automatic gzip, no redirects).
public struct HTTPReply {
    public let status: Int
    /// Header fields with lower-cased names.
    public let headers: [String: String]
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Sends `method path` to 127.0.0.1:`port` and reads the whole reply; `source` is the loopback
    /// address to send from (any 127.x.y.z), to look like another client.
    public static func fetch(
        port: UInt16, path: String, method: String = "GET", headers: [String: String] = [:], body: String = "",
        source: String? = nil
    ) throws -> HTTPReply {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HTTPTestError("socket: \(errno)") }
        defer { close(descriptor) }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else { throw HTTPTestError("bad source \(source)") }
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw HTTPTestError("bind to \(source): errno \(errno)") }
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard RawConnection.connect(descriptor, toLoopbackPort: port) else {
            throw HTTPTestError("connect to port \(port): errno \(errno)")
        }

        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if !body.isEmpty { request += "Content-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + body
        let bytes = Array(request.utf8)
        guard send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw HTTPTestError("send failed") }

        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 { throw HTTPTestError("recv: errno \(errno)") }
            if count == 0 { break }
            reply.append(contentsOf: buffer[..<count])
        }
        return try parse(reply)
    }

    private static func parse(_ reply: [UInt8]) throws -> HTTPReply {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = reply.indices.first(where: { reply[$0...].starts(with: separator) }) else {
            throw HTTPTestError("no end of headers in \(reply.count) bytes")
        }
        let head = String(decoding: reply[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusText = head.first?.split(separator: " ").dropFirst().first, let status = Int(statusText) else {
            throw HTTPTestError("bad status line")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return HTTPReply(status: status, headers: headers, body: Array(reply[(end + 4)...]))
    }
}

/// A failure of the test HTTP client.
public struct HTTPTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
