import Logging
import ServiceLifecycle

/// Keeps the HTTP server up until graceful shutdown, then stops it. Meanwhile it closes
/// connections past their header deadline, a few times a second, and re-reads the web config file
/// every second.
struct HTTPServerService: Service {
    let server: MicroHTTPDServer
    let door: FrontDoor
    let webConfig: WebConfigWatcher?
    let logger: Logger

    func run() async throws {
        defer { server.stop() }
        await cancelWhenGracefulShutdown {
            var ticks = 0
            while !Task.isCancelled {
                _ = MicroHTTPDServer.closeExpired(in: door, at: .now)
                ticks += 1
                if ticks % 4 == 0, let webConfig { reload(webConfig) }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    private func reload(_ watcher: WebConfigWatcher) {
        switch watcher.check(current: door.webState) {
        case .unchanged: break
        case .changed(let state):
            door.update(state)
            logger.info("web config file reloaded", metadata: ["file": "\(watcher.path)"])
        case .broken(let error, let isNew):
            if isNew { logger.error("\(error); keeping the settings in force") }
        }
    }
}
