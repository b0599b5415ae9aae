import Glibc

/// A raw TCP connection to a loopback port, for tests that send malformed or partial requests.
public final class RawConnection {
    private let descriptor: Int32

    /// Connects to 127.0.0.1:`port`.
    public init(port: UInt16) throws {
        descriptor = Self.connectToLoopback(port: port)
        guard descriptor >= 0 else { throw HTTPTestError("connect to port \(port): errno \(errno)") }
    }

    /// A TCP socket connected to 127.0.0.1:`port`, or -1 with `errno` set.
    static func connectToLoopback(port: UInt16) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        guard connect(descriptor, toLoopbackPort: port) else {
            let error = errno
            close(descriptor)
            errno = error
            return -1
        }
        return descriptor
    }

    /// Connects the TCP socket `descriptor` to 127.0.0.1:`port`; `false` with `errno` set when it fails.
    static func connect(_ descriptor: Int32, toLoopbackPort port: UInt16) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    deinit { close(descriptor) }

    /// Sends `text`; throws if the connection is gone.
    public func send(_ text: String) throws {
        guard send(bytes: Array(text.utf8)) else { throw HTTPTestError("send failed: errno \(errno)") }
    }

    /// Sends `bytes`; `false` if the connection is gone.
    public func send(bytes: [UInt8]) -> Bool {
        Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }

    /// Reads until the server closes (or resets) the connection or `seconds` pass.
    public func readUntilClosed(seconds: Int) -> (text: String, closed: Bool) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return (String(decoding: reply, as: UTF8.self), true) }
            if count < 0 { return (String(decoding: reply, as: UTF8.self), errno == ECONNRESET) }
            reply.append(contentsOf: buffer[..<count])
        }
    }
}
