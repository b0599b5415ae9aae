import Foundation
import Glibc
import TestSupport

/// An HTTP server on a loopback port that takes Alertmanager's webhook notifications (POSTed
/// JSON) and keeps each with the time it arrived.
final class WebhookReceiver: Sendable {
    /// One alert of a notification.
    struct Alert: Sendable {
        let status: String
        let labels: [String: String]
    }

    /// One notification: when it arrived, and its alerts.
    struct Notification: Sendable {
        let arrived: Date
        let alerts: [Alert]
    }

    let port: UInt16
    private let listener: Int32
    private let received = Received()

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw HTTPTestError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound, listen(listener, 16) == 0 else {
            close(listener)
            throw HTTPTestError("bind/listen on loopback: errno \(errno)")
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [received] in Self.serve(listener, into: received) }
        thread.start()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// The notifications so far.
    var notifications: [Notification] { received.all }

    /// The first arrival of an alert named `name` with `status` ("firing" or "resolved") whose
    /// labels include `labels`.
    func firstArrival(of name: String, status: String, labels: [String: String] = [:]) -> Date? {
        notifications.first { notification in
            notification.alerts.contains { alert in
                alert.status == status && alert.labels["alertname"] == name
                    && labels.allSatisfy { alert.labels[$0.key] == $0.value }
            }
        }?.arrived
    }

    /// Waits up to `seconds` for `firstArrival(of:status:labels:)`.
    func wait(for name: String, status: String, labels: [String: String] = [:], seconds: Double) -> Date? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let date = firstArrival(of: name, status: status, labels: labels) { return date }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return firstArrival(of: name, status: status, labels: labels)
    }

    private static func serve(_ listener: Int32, into received: Received) {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR { continue }
                return
            }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if let body = readBody(connection), let notification = parse(body) { received.add(notification) }
            let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            _ = reply.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(connection)
        }
    }

    /// Reads one request and returns its body (by Content-Length), or nil.
    private static func readBody(_ connection: Int32) -> [UInt8]? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.count < 4 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            data += buffer[..<count]
            let text = String(decoding: data, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let headerLength = text.utf8.distance(from: text.startIndex, to: end.upperBound)
            let header = text[..<end.lowerBound].lowercased()
            guard let line = header.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
            else { return nil }
            if data.count >= headerLength + length { return Array(data[headerLength..<(headerLength + length)]) }
        }
        return nil
    }

    private static func parse(_ body: [UInt8]) -> Notification? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let alerts = json["alerts"] as? [[String: Any]]
        else { return nil }
        return Notification(
            arrived: Date(),
            alerts: alerts.map {
                Alert(status: $0["status"] as? String ?? "", labels: $0["labels"] as? [String: String] ?? [:])
            })
    }
}

/// The notifications, added from the server's thread and read from the test's.
private final class Received: @unchecked Sendable {
    // @unchecked Sendable is safe: every access to `items` holds `lock`.
    private let lock = NSLock()
    private var items: [WebhookReceiver.Notification] = []

    func add(_ notification: WebhookReceiver.Notification) { lock.withLock { items.append(notification) } }
    var all: [WebhookReceiver.Notification] { lock.withLock { items } }
}
