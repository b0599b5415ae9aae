import ServiceLifecycle

/// Keeps the HTTP server up until graceful shutdown, then stops it.
struct HTTPServerService: Service {
    let server: MicroHTTPDServer

    func run() async throws {
        defer { server.stop() }
        try await gracefulShutdown()
    }
}
