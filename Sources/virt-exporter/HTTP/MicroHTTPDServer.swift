import CMicroHTTPD
import Glibc
import StatsCollector
import Synchronization

/// Why the HTTP server could not start.
struct HTTPServerError: Error, CustomStringConvertible {
    let description: String
}

/// The embedded libmicrohttpd server. This file is the only place that touches libmicrohttpd's C
/// API: the daemon, connections and responses stay here.
///
/// libmicrohttpd's own threads accept connections and call ``handleRequest``; each request is
/// answered by ``RequestRouter`` from the latest snapshot. A snapshot body is sent straight from
/// the snapshot's memory: the response holds a retained reference that its free callback releases.
final class MicroHTTPDServer: Sendable {
    /// The running daemon and the router it calls; `nil` once stopped.
    private struct Running {
        let daemon: OpaquePointer
        let router: Unmanaged<RouterBox>
    }

    private let running: Mutex<Running?>

    /// The version of libmicrohttpd this process runs with.
    static var libraryVersion: String { String(cString: MHD_get_version()) }

    /// Starts serving on `socket`, which the server now owns and closes when stopped.
    init(
        socket: ListenSocket, router: RequestRouter, threads: Int, maxConnections: Int, connectionTimeoutSeconds: Int
    ) throws(HTTPServerError) {
        let box = Unmanaged.passRetained(RouterBox(router))
        guard
            let daemon = CMicroHTTPD_startDaemon(
                socket.descriptor, UInt32(threads), UInt32(maxConnections), UInt32(connectionTimeoutSeconds),
                Self.handleRequest, box.toOpaque())
        else {
            box.release()
            close(socket.descriptor)
            throw HTTPServerError(description: "libmicrohttpd could not start a server on \(socket.boundAddress)")
        }
        running = Mutex(Running(daemon: daemon, router: box))
    }

    deinit {
        stop()
    }

    /// Stops accepting, finishes the requests under way, and closes the socket.
    /// Calling it again does nothing.
    func stop() {
        guard let stopped = running.withLock({ running in running.take() }) else { return }
        MHD_stop_daemon(stopped.daemon)
        stopped.router.release()
    }

    /// The `MHD_AccessHandlerCallback`: called on a libmicrohttpd thread, several times per request.
    ///
    /// The first call only marks the request as seen; later calls discard any upload; the last
    /// (with no upload data left) answers. Answering only after the whole request was read lets
    /// libmicrohttpd keep the connection alive for the next scrape.
    private static let handleRequest: MHD_AccessHandlerCallback = {
        context, connection, url, method, _, _, uploadDataSize, requestState in
        guard let context, let connection, let requestState else { return .NO }
        if requestState.pointee == nil {
            requestState.pointee = UnsafeMutableRawPointer(bitPattern: 1)
            return .YES
        }
        if let uploadDataSize, uploadDataSize.pointee > 0 {
            uploadDataSize.pointee = 0
            return .YES
        }
        let router = Unmanaged<RouterBox>.fromOpaque(context).takeUnretainedValue().router
        let acceptEncoding = MHD_lookup_connection_value(connection, .HEADER_KIND, "Accept-Encoding")
        let response = router.respond(
            method: method.map { String(cString: $0) } ?? "",
            path: url.map { String(cString: $0) } ?? "",
            acceptEncoding: acceptEncoding.map { String(cString: $0) })
        return queue(response, on: connection)
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
        case .frozen(let bytes):
            let owner = Unmanaged.passRetained(bytes).toOpaque()
            let response = MHD_create_response_from_buffer_with_free_callback_cls(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), releaseFrozenBytes, owner)
            if response == nil { Unmanaged<FrozenBytes>.fromOpaque(owner).release() }
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
}

/// The router, boxed so that libmicrohttpd can carry it as its `void *` handler context.
private final class RouterBox: Sendable {
    let router: RequestRouter
    init(_ router: RequestRouter) { self.router = router }
}
