import Glibc

/// Why the listening socket could not be made.
struct ListenSocketError: Error, CustomStringConvertible {
    let description: String
}

/// A bound, listening TCP socket, made here so that a bad address or a port in use gives a precise
/// error, and port 0 tells which port it got. The HTTP server takes ownership of the descriptor.
struct ListenSocket {
    /// The descriptor.
    let descriptor: Int32
    /// The address actually bound, with the real port when port 0 was asked for.
    let boundAddress: ListenAddress

    /// Binds `address` and listens. An empty host binds every IPv6 and IPv4 address where IPv6 is
    /// available, and every IPv4 address otherwise.
    init(address: ListenAddress, backlog: Int32 = 128) throws(ListenSocketError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        let candidates: [String?] = address.host.isEmpty ? ["::", nil] : [address.host]
        var lastError = "no usable address"
        for host in candidates {
            var results: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(address.port), &hints, &results)
            guard status == 0, let first = results else {
                lastError = String(cString: gai_strerror(status))
                continue
            }
            defer { freeaddrinfo(results) }
            switch Self.bindAndListen(first.pointee, dualStack: host == "::", backlog: backlog) {
            case .success(let descriptor):
                self.descriptor = descriptor
                self.boundAddress = Self.localAddress(of: descriptor, host: address.host, fallback: address)
                return
            case .failure(let message):
                lastError = message
            }
        }
        throw ListenSocketError(description: "cannot listen on \(address): \(lastError)")
    }

    /// Takes `descriptor`, a socket made by someone else (systemd), after checking that it is a
    /// listening TCP socket.
    init(inherited descriptor: Int32) throws(ListenSocketError) {
        var accepting: Int32 = 0
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0,
            getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &length) == 0
        else {
            throw ListenSocketError(
                description: "socket \(descriptor) from systemd: \(String(cString: strerror(errno)))")
        }
        guard accepting == 1, type == Int32(SOCK_STREAM.rawValue) else {
            throw ListenSocketError(description: "socket \(descriptor) from systemd is not a listening stream socket")
        }
        self.descriptor = descriptor
        let fallback = ListenAddress(":0")!
        self.boundAddress = Self.localAddress(
            of: descriptor, host: Self.localHost(of: descriptor) ?? "", fallback: fallback)
    }

    /// The numeric host a socket is bound to.
    private static func localHost(of descriptor: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int32 in
                guard getsockname(descriptor, address, &length) == 0 else { return -1 }
                return getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            }
        }
        guard status == 0 else { return nil }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private enum Outcome {
        case success(Int32)
        case failure(String)
    }

    private static func bindAndListen(_ info: addrinfo, dualStack: Bool, backlog: Int32) -> Outcome {
        let descriptor = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard descriptor >= 0 else { return .failure(String(cString: strerror(errno))) }
        var on: Int32 = 1
        var off: Int32 = 0
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if dualStack {
            setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(descriptor, info.ai_addr, info.ai_addrlen) == 0, listen(descriptor, backlog) == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            return .failure(message)
        }
        return .success(descriptor)
    }

    /// The bound address, as the requested host and the port the system gave.
    private static func localAddress(of descriptor: Int32, host: String, fallback: ListenAddress) -> ListenAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let port: UInt16? = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                guard getsockname(descriptor, address, &length) == 0 else { return nil }
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        UInt16(bigEndian: $0.pointee.sin_port)
                    }
                case AF_INET6:
                    return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        UInt16(bigEndian: $0.pointee.sin6_port)
                    }
                default: return nil
                }
            }
        }
        guard let port else { return fallback }
        return ListenAddress(host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)") ?? fallback
    }
}
