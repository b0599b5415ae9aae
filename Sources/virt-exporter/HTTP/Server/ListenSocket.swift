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

    /// The sockets for one listen address, and the addresses of its host that were left out.
    struct Bound {
        var sockets: [ListenSocket] = []
        /// Addresses the host resolved to that cannot be bound here (their family is off), each with why.
        var skipped: [String] = []
    }

    /// Binds `address` and listens. An empty host binds every IPv6 and IPv4 address where IPv6 is
    /// available, and every IPv4 address otherwise. A host name is bound at every address it
    /// resolves to (`localhost` at `127.0.0.1` and `::1`), each on a socket of its own and all on
    /// one port (with port 0, the one the system gave the first); an address whose family this
    /// machine does not have (IPv6 turned off) is skipped, as long as another one is bound.
    static func sockets(for address: ListenAddress, backlog: Int32 = 128) throws(ListenSocketError) -> Bound {
        guard !address.host.isEmpty else {
            return Bound(sockets: [try ListenSocket(everyAddressOn: address, backlog: backlog)])
        }
        let resolved = try resolve(address, host: address.host)
        defer { freeaddrinfo(resolved.first) }
        // With port 0, the port the first socket got may be taken in another family: try again.
        for attempt in 1...5 {
            switch bindEach(resolved.answers, of: address, backlog: backlog) {
            case .success(let bound): return bound
            case .failure(let error) where error.portTaken && address.port == 0 && attempt < 5: continue
            case .failure(let error): throw error.error
            }
        }
        throw ListenSocketError(description: "cannot listen on \(address): no port free in every family")
    }

    /// Why ``bindEach(_:of:backlog:)`` failed, and whether another socket held the port.
    private struct BindFailure: Error {
        let error: ListenSocketError
        let portTaken: Bool
    }

    private static func bindEach(_ answers: [addrinfo], of address: ListenAddress, backlog: Int32) -> Result<
        Bound, BindFailure
    > {
        var bound = Bound()
        var port = address.port
        for info in answers {
            let place = numericText(info)
            switch bindAndListen(info, port: port, dualStack: false, backlog: backlog) {
            case .success(let descriptor):
                let socket = ListenSocket(descriptor: descriptor, host: numericHost(of: descriptor), fallback: address)
                port = socket.boundAddress.port
                bound.sockets.append(socket)
            case .failure(let message, let code) where code == EAFNOSUPPORT || code == EADDRNOTAVAIL:
                bound.skipped.append("\(place): \(message)")
            case .failure(let message, let code):
                bound.sockets.forEach { close($0.descriptor) }
                let which = [address.host, "[\(address.host)]"].contains(place) ? "" : " (\(place))"
                return .failure(
                    BindFailure(
                        error: ListenSocketError(description: "cannot listen on \(address)\(which): \(message)"),
                        portTaken: code == EADDRINUSE && !bound.sockets.isEmpty))
            }
        }
        guard !bound.sockets.isEmpty else {
            return .failure(
                BindFailure(
                    error: ListenSocketError(
                        description: "cannot listen on \(address): \(bound.skipped.joined(separator: "; "))"),
                    portTaken: false))
        }
        return .success(bound)
    }

    /// Binds every address of both families (`::` as a dual-stack socket), or of IPv4 alone where
    /// there is no IPv6.
    private init(everyAddressOn address: ListenAddress, backlog: Int32) throws(ListenSocketError) {
        var lastError = "no usable address"
        for host in ["::", "0.0.0.0"] {
            guard let resolved = try? Self.resolve(address, host: host), let info = resolved.answers.first else {
                continue
            }
            defer { freeaddrinfo(resolved.first) }
            switch Self.bindAndListen(info, port: address.port, dualStack: host == "::", backlog: backlog) {
            case .success(let descriptor):
                self.init(descriptor: descriptor, host: "", fallback: address)
                return
            case .failure(let message, _):
                lastError = message
            }
        }
        throw ListenSocketError(description: "cannot listen on \(address): \(lastError)")
    }

    private init(descriptor: Int32, host: String, fallback: ListenAddress) {
        self.descriptor = descriptor
        self.boundAddress = Self.localAddress(of: descriptor, host: host, fallback: fallback)
    }

    /// `getaddrinfo`'s answers for a passive TCP socket on `address`'s port at `host`, duplicates
    /// left out; the caller frees `first`.
    private static func resolve(_ address: ListenAddress, host: String) throws(ListenSocketError) -> (
        first: UnsafeMutablePointer<addrinfo>?, answers: [addrinfo]
    ) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(address.port), &hints, &results)
        guard status == 0, let results else {
            throw ListenSocketError(
                description: "cannot listen on \(address): \(String(cString: gai_strerror(status)))")
        }
        var answers: [addrinfo] = []
        var seen: Set<String> = []
        var next: UnsafeMutablePointer<addrinfo>? = results
        while let info = next {
            if seen.insert(numericText(info.pointee)).inserted { answers.append(info.pointee) }
            next = info.pointee.ai_next
        }
        return (results, answers)
    }

    /// The numeric address of a `getaddrinfo` answer, for messages and to tell duplicates apart.
    private static func numericText(_ info: addrinfo) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = getnameinfo(info.ai_addr, info.ai_addrlen, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
        guard status == 0 else { return "an address of family \(info.ai_family)" }
        let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return info.ai_family == AF_INET6 ? "[\(text)]" : text
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
            of: descriptor, host: Self.numericHost(of: descriptor), fallback: fallback)
    }

    /// The numeric host a socket is bound to, or "" if it cannot be told.
    private static func numericHost(of descriptor: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int32 in
                guard getsockname(descriptor, address, &length) == 0 else { return -1 }
                return getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            }
        }
        guard status == 0 else { return "" }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private enum Outcome {
        case success(Int32)
        /// Why not, and `errno`.
        case failure(String, Int32)
    }

    /// A socket bound to `info`'s address at `port`, listening. An IPv6 socket takes IPv6 alone,
    /// unless `dualStack`, so that an IPv4 socket can be bound beside it on the same port.
    private static func bindAndListen(_ info: addrinfo, port: UInt16, dualStack: Bool, backlog: Int32) -> Outcome {
        let descriptor = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard descriptor >= 0 else { return .failure(String(cString: strerror(errno)), errno) }
        var on: Int32 = 1
        var v6Only: Int32 = dualStack ? 0 : 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if info.ai_family == AF_INET6 {
            setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6Only, socklen_t(MemoryLayout<Int32>.size))
        }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: info.ai_addr, count: Int(info.ai_addrlen)))
        }
        setPort(port, in: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, info.ai_addrlen) }
        }
        guard bound == 0, listen(descriptor, backlog) == 0 else {
            let code = errno
            close(descriptor)
            return .failure(String(cString: strerror(code)), code)
        }
        return .success(descriptor)
    }

    /// Writes `port` into an IPv4 or IPv6 socket address.
    private static func setPort(_ port: UInt16, in storage: inout sockaddr_storage) {
        withUnsafeMutablePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port = port.bigEndian }
            case AF_INET6:
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port = port.bigEndian }
            default: break
            }
        }
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
