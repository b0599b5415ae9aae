import CMicroHTTPD
import Glibc
import StatsCollector
import Synchronization

/// Why the HTTP server could not start.
struct HTTPServerError: Error, CustomStringConvertible {
    let description: String
}

/// The embedded libmicrohttpd server. This file is the only place that touches libmicrohttpd's C
/// API: the daemons, connections and responses stay here.
///
/// One daemon serves each listening socket; libmicrohttpd's own threads accept connections and
/// call back here. Every connection is counted in the ``FrontDoor``'s ``ConnectionTable`` (and
/// closed at once past its limits); every request is answered by the front door from the latest
/// snapshot, once it has been read (see ``handleRequest``). A request whose password needs bcrypt
/// is not answered on the server's thread: its connection is suspended while the check waits on
/// the front door's queue, and resumed when it is done. A TLS session gets the web config's
/// versions and client certificate request as it starts, and a request's client certificate is
/// checked before it is answered. A snapshot body
/// is sent straight from the snapshot's memory: the response holds a retained reference that its
/// free callback releases.
final class MicroHTTPDServer: Sendable {
    /// The running daemons and the front door they call; `nil` once stopped.
    private struct Running {
        let daemons: [OpaquePointer]
        let door: Unmanaged<FrontDoor>
    }

    private let running: Mutex<Running?>
    /// Whether the daemons speak TLS.
    let servesTLS: Bool

    /// Settings of the daemons.
    struct Settings {
        /// Threads of each daemon (``threads(maxConnections:maxRequests:)``).
        var threads: Int
        var connectionTimeoutSeconds: Int
        /// Memory for one connection's request head: bigger heads get 431 (or 414 for the URL).
        var connectionMemoryLimit = 32 * 1024

        /// The threads a daemon needs under the limits. Answering never waits (the snapshot is in
        /// memory, libvirt is never called, bcrypt runs on a thread of its own), so one thread
        /// serves any number of connections; a second lets a TLS handshake or a large write proceed
        /// beside the others. More would only cost memory, so the host's cores do not count; one
        /// when the limits allow only one connection or one request at a time.
        static func threads(maxConnections: Int, maxRequests: Int) -> Int {
            min(2, maxConnections, maxRequests == 0 ? 2 : maxRequests)
        }
    }

    /// Starts serving on `sockets`, which the server now owns and closes when stopped; with TLS if
    /// the front door's web config has it.
    init(sockets: [ListenSocket], door: FrontDoor, settings: Settings) throws(HTTPServerError) {
        let box = Unmanaged.passRetained(door)
        let tls = door.webState.tls
        var daemons: [OpaquePointer] = []
        for (index, socket) in sockets.enumerated() {
            let daemon = Self.start(socket: socket, context: box.toOpaque(), tls: tls, settings: settings, door: door)
            guard let daemon else {
                daemons.forEach { MHD_stop_daemon($0) }
                sockets[index...].forEach { close($0.descriptor) }
                box.release()
                throw HTTPServerError(description: "libmicrohttpd could not start a server on \(socket.boundAddress)")
            }
            daemons.append(daemon)
        }
        servesTLS = tls != nil
        running = Mutex(Running(daemons: daemons, door: box))
    }

    private static func start(
        socket: ListenSocket, context: UnsafeMutableRawPointer, tls: TLSMaterial?, settings: Settings, door: FrontDoor
    ) -> OpaquePointer? {
        let limits = door.connections.limits
        let priorities = tls?.settings.priorities
        return withOptionalCString(priorities) { priorities in
            let daemonSettings = CMicroHTTPD_DaemonSettings(
                listenSocket: socket.descriptor, threadPoolSize: UInt32(settings.threads),
                // Ours is exact; libmicrohttpd splits its own between the threads, so each gets room
                // for all of ours, and for those being closed for going past them.
                connectionLimit: UInt32(min((limits.maxConnections + 16) * settings.threads, 1 << 20)),
                connectionTimeoutSeconds: UInt32(settings.connectionTimeoutSeconds),
                connectionMemoryLimit: settings.connectionMemoryLimit,
                notifyConnection: notifyConnection, notifyCompleted: notifyCompleted, context: context,
                tlsPriorities: priorities,
                tlsCertificateCallback: priorities == nil ? nil : TLSMaterial.certificateCallback)
            return CMicroHTTPD_startDaemon(daemonSettings, handleRequest)
        }
    }

    deinit {
        stop()
    }

    /// Stops accepting, closes every open connection (a response being sent is cut off) and the
    /// listening sockets. Calling it again does nothing. Password checks are stopped first, which
    /// resumes every suspended connection: libmicrohttpd cannot stop with one suspended.
    func stop() {
        guard let stopped = running.withLock({ running in running.take() }) else { return }
        stopped.door.takeUnretainedValue().passwordChecks.close()
        stopped.daemons.forEach { MHD_stop_daemon($0) }
        stopped.door.release()
    }

    /// Closes the connections past their deadline (header or response); returns how many.
    static func closeExpired(in door: FrontDoor, at now: ContinuousClock.Instant) -> Int {
        let reasons = door.connections.expired(at: now) { socket in _ = shutdown(socket, Int32(SHUT_RDWR)) }
        for reason in reasons { door.metrics.countRejection(reason) }
        return reasons.count
    }

    // MARK: Callbacks

    private static func door(_ context: UnsafeMutableRawPointer?) -> FrontDoor? {
        context.map { Unmanaged<FrontDoor>.fromOpaque($0).takeUnretainedValue() }
    }

    /// The `MHD_NotifyConnectionCallback`: counts a connection in and out of the connection table,
    /// and closes it at once if it is past a limit. A TLS session gets the web config's settings.
    private static let notifyConnection: MHD_NotifyConnectionCallback = { context, connection, socketContext, event in
        guard let door = door(context), let connection, let socketContext else { return }
        if CMicroHTTPD_isConnectionStarted(event) != 0 {
            let socket = CMicroHTTPD_connectionSocket(connection)
            let address = clientAddress(CMicroHTTPD_clientAddress(connection))
            switch door.connections.open(address: address, socket: socket, at: .now) {
            case .success(let id):
                socketContext.pointee = UnsafeMutableRawPointer(bitPattern: UInt(id))
                if let session = CMicroHTTPD_tlsSession(connection), let tls = door.webState.tls,
                    !tls.prepare(session: session)
                {
                    _ = shutdown(socket, Int32(SHUT_RDWR))
                }
            case .failure(let rejection):
                door.metrics.countRejection(rejection.reason)
                _ = shutdown(socket, Int32(SHUT_RDWR))
            }
        } else if CMicroHTTPD_isConnectionClosed(event) != 0 {
            if let id = socketContext.pointee.map({ UInt64(UInt(bitPattern: $0)) }) {
                door.connections.close(id)
                socketContext.pointee = nil
            }
        }
    }

    /// The `MHD_RequestCompletedCallback`: gives back the request's place (or the password wait
    /// of a request that ended before it was answered), and starts the connection's deadline for
    /// its next request header.
    private static let notifyCompleted: MHD_RequestCompletedCallback = { context, connection, requestState, _ in
        guard let door = door(context) else { return }
        if let requestState, let state = requestState.pointee {
            if state == holdsPlaceMark {
                door.inFlight.leave()
            } else if !isMark(state) {
                Unmanaged<PasswordWait>.fromOpaque(state).release()
            }
            requestState.pointee = nil
        }
        if let connection, let id = connectionID(connection) { door.connections.responseFinished(id, at: .now) }
    }

    private static var holdsPlaceMark: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: 2) }
    private static var answeredMark: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: 1) }
    private static var headerSeenMark: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: 3) }

    /// Whether a request state is one of the marks above, not a retained ``PasswordWait``.
    private static func isMark(_ state: UnsafeMutableRawPointer) -> Bool { UInt(bitPattern: state) <= 3 }

    private static func connectionID(_ connection: OpaquePointer) -> UInt64? {
        CMicroHTTPD_socketContext(connection).map { UInt64(UInt(bitPattern: $0)) }
    }

    /// The `MHD_AccessHandlerCallback`: called on a libmicrohttpd thread once the request header is
    /// complete, then again once the request (which has no body) is read, and that second call
    /// answers: libmicrohttpd closes the connection after a response queued in the first call, so
    /// only a request with a body is answered there (refused, and the connection closed). Any
    /// later call, with body data, ends the connection. A request whose password must be checked
    /// is suspended in the second call, and answered in the call after it is resumed.
    private static let handleRequest: MHD_AccessHandlerCallback = {
        context, connection, url, method, _, _, _, requestState in
        guard let door = door(context), let connection, let requestState else { return .NO }
        let request = FrontDoor.Request(
            method: method.map { String(cString: $0) } ?? "", path: url.map { String(cString: $0) } ?? "",
            header: { name in MHD_lookup_connection_value(connection, .HEADER_KIND, name).map { String(cString: $0) } })
        if requestState.pointee == nil {
            if let id = connectionID(connection) { door.connections.headerReceived(id, at: .now) }
            if let session = CMicroHTTPD_tlsSession(connection), let tls = door.webState.tls,
                case .refused = tls.checkClient(session: session)
            {
                door.metrics.countRejection(.clientCertificate)
                return .NO
            }
            guard request.hasBody else {
                requestState.pointee = headerSeenMark
                return .YES
            }
        } else if let state = requestState.pointee, !isMark(state) {
            let wait = Unmanaged<PasswordWait>.fromOpaque(state).takeRetainedValue()
            requestState.pointee = answeredMark
            guard let password = wait.outcome else { return .NO }
            return send(door.answer(request, after: password), on: connection, requestState)
        } else if requestState.pointee != headerSeenMark {
            return .NO
        }
        switch door.answer(request, at: .now) {
        case .answered(let answer): return send(answer, on: connection, requestState)
        case .awaitingPassword(let check):
            let wait = PasswordWait()
            requestState.pointee = Unmanaged.passRetained(wait).toOpaque()
            MHD_suspend_connection(connection)
            // The connection outlives its suspension, and every suspended connection is resumed
            // before the daemons stop (``stop()``): the check's thread may resume it by address.
            let handle = UInt(bitPattern: connection)
            let address = clientAddress(CMicroHTTPD_clientAddress(connection))
            let queued = door.checkPassword(check, from: address) { password in
                wait.finish(password)
                OpaquePointer(bitPattern: handle).map { MHD_resume_connection($0) }
            }
            if !queued {
                wait.finish(.noRoom)
                MHD_resume_connection(connection)
            }
            return .YES
        }
    }

    /// Queues `answer`'s response, and marks whether it holds a place in ``FrontDoor/inFlight``.
    private static func send(
        _ answer: FrontDoor.Answer, on connection: OpaquePointer,
        _ requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        requestState.pointee = answer.holdsPlace ? holdsPlaceMark : answeredMark
        return queue(answer.response, on: connection)
    }

    private static func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
        guard let mhdResponse = makeResponse(response.body) else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for (name, value) in response.headers {
            MHD_add_response_header(mhdResponse, name, value)
        }
        return MHD_queue_response(connection, response.status, mhdResponse)
    }

    private static func makeResponse(_ body: HTTPResponse.Body) -> OpaquePointer? {
        switch body {
        case .frozen(let bytes, let trailer) where trailer.isEmpty:
            let owner = Unmanaged.passRetained(bytes).toOpaque()
            let response = MHD_create_response_from_buffer_with_free_callback_cls(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), releaseFrozenBytes, owner)
            if response == nil { Unmanaged<FrozenBytes>.fromOpaque(owner).release() }
            return response
        case .frozen(let bytes, let trailer):
            let parts = Unmanaged.passRetained(ResponseParts(bytes, trailer: trailer))
            let vectors = [
                MHD_IoVec(iov_base: bytes.baseAddress, iov_len: bytes.count),
                MHD_IoVec(
                    iov_base: UnsafeRawPointer(parts.takeUnretainedValue().trailer.baseAddress), iov_len: trailer.count),
            ]
            let response = MHD_create_response_from_iovec(vectors, 2, releaseResponseParts, parts.toOpaque())
            if response == nil { parts.release() }
            return response
        case .text(let text):
            var utf8 = Array(text.utf8)
            return MHD_create_response_from_buffer(utf8.count, &utf8, .RESPMEM_MUST_COPY)
        }
    }

    /// The `MHD_ContentReaderFreeCallback` that releases a snapshot buffer once its response is done.
    private static let releaseFrozenBytes: MHD_ContentReaderFreeCallback = { owner in
        guard let owner else { return }
        Unmanaged<FrozenBytes>.fromOpaque(owner).release()
    }

    /// The `MHD_ContentReaderFreeCallback` that releases a snapshot buffer and its trailer.
    private static let releaseResponseParts: MHD_ContentReaderFreeCallback = { owner in
        guard let owner else { return }
        Unmanaged<ResponseParts>.fromOpaque(owner).release()
    }

    /// The client's IP address as text, the key of the per-address limit.
    private static func clientAddress(_ address: UnsafePointer<sockaddr>?) -> String {
        guard let address else { return "unknown" }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written: UnsafePointer<CChar>? = text.withUnsafeMutableBufferPointer { buffer in
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                    var raw = inet.pointee.sin_addr
                    return inet_ntop(AF_INET, &raw, buffer.baseAddress, socklen_t(buffer.count))
                }
            case AF_INET6:
                return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet6 in
                    var raw = inet6.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &raw, buffer.baseAddress, socklen_t(buffer.count))
                }
            default: return nil
            }
        }
        return written == nil
            ? "unknown" : String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// How the password check of a suspended request ended: set by the check's thread before it
/// resumes the connection, read by the server's thread after.
private final class PasswordWait: Sendable {
    private let state = Mutex<FrontDoor.CheckedPassword?>(nil)

    var outcome: FrontDoor.CheckedPassword? { state.withLock { $0 } }

    func finish(_ outcome: FrontDoor.CheckedPassword) { state.withLock { $0 = outcome } }
}

/// A snapshot buffer and the trailer sent after it, kept alive together until libmicrohttpd is done.
private final class ResponseParts {
    let frozen: FrozenBytes
    let trailer: UnsafeMutableBufferPointer<UInt8>

    init(_ frozen: FrozenBytes, trailer: [UInt8]) {
        self.frozen = frozen
        self.trailer = .allocate(capacity: trailer.count)
        _ = self.trailer.initialize(from: trailer)
    }

    deinit { trailer.deallocate() }
}

private func withOptionalCString<Result>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
