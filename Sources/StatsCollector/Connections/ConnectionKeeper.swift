import Logging
import Synchronization

/// Keeps one open libvirt connection for its owner, opening it when needed, with a deadline.
///
/// Opening a connection to a stopped libvirtd blocks until the daemon resumes, and keepalive does
/// not help before the connection exists. So an open that overruns its deadline is left to finish
/// on its thread while the owner goes on; later requests adopt its connection once it arrived,
/// and no second open starts while one is in flight. An open that never got a thread never ran:
/// nothing is waited for, and the next request opens. A connection that arrives after its owner
/// is gone is closed when the last reference to it goes.
///
/// The domain-event hub keeps its connection so: it makes one call at a time on it, its event
/// registrations. Calls that collect borrow connections from a ``ConnectionPool`` instead.
actor ConnectionKeeper {
    private let uri: String
    private let api: any LibvirtAPI
    private let runner: LibvirtCallRunner
    private let logger: Logger
    private var connection: (any LibvirtConnection)?
    private var pendingOpen: PendingOpen?

    /// The result of an open that overran its deadline, once it arrives.
    private final class PendingOpen: Sendable {
        let result = Mutex<Result<any LibvirtConnection, LibvirtError>?>(nil)
    }

    init(uri: String, api: any LibvirtAPI, runner: LibvirtCallRunner, logger: Logger) {
        self.uri = uri
        self.api = api
        self.runner = runner
        self.logger = logger
    }

    /// An open, live connection; `isNew` when it was opened for this request (what it supports
    /// is then learned again, since it may reach a different daemon).
    func connection() async throws(CollectionError) -> (connection: any LibvirtConnection, isNew: Bool) {
        if let connection {
            if connection.isAlive { return (connection, false) }
            logger.info("libvirt connection closed; reconnecting", metadata: ["uri": "\(uri)"])
            self.connection = nil
        }
        let result: Result<any LibvirtConnection, LibvirtError>
        if let pendingOpen {
            guard let arrived = pendingOpen.result.withLock({ $0 }) else { throw Self.stillOpening }
            self.pendingOpen = nil
            result = arrived
        } else {
            let pending = PendingOpen()
            let outcome = await runner.run("virConnectOpenReadOnly") { [api, uri] in
                let opened = Result { () throws(LibvirtError) in try api.openReadOnly(uri: uri) }
                pending.result.withLock { $0 = opened }
                return opened
            }
            switch outcome {
            case .finished(let opened):
                result = opened
            case .overran:
                pendingOpen = pending
                throw Self.stillOpening
            case .notStarted:
                // It never ran, so no open will arrive: the next request starts one.
                throw Self.noThread
            }
        }
        switch result {
        case .success(let opened):
            logger.info("connected to libvirt", metadata: ["uri": "\(uri)"])
            connection = opened
            return (opened, true)
        case .failure(let error):
            throw error.collectionError()
        }
    }

    /// Drops `dead`, the current connection, after a call on it failed and it is no longer alive.
    func drop(_ dead: any LibvirtConnection) {
        if connection === dead { connection = nil }
    }

    private static let stillOpening = CollectionError(
        call: "virConnectOpenReadOnly", reason: CollectionError.deadlineExceeded,
        message: "opening the connection has not finished within its deadline")
    private static let noThread = CollectionError(
        call: "virConnectOpenReadOnly", reason: CollectionError.noThread,
        message: "no call thread was free to open the connection within its deadline")
}
