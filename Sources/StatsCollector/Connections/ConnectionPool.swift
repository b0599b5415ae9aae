import Synchronization

/// Lends open libvirt connections, each to one call at a time, and opens more when all are lent.
///
/// One call at a time per connection, because libvirt 9.0's client crashes when keepalive closes a
/// connection on which two calls wait: seen here with two calls blocked on a stopped libvirtd, the
/// connection closed by keepalive after 20 s, and a segmentation fault in the second call's thread
/// once the daemon resumed. With one call per connection that cannot happen, and a call stuck on a
/// stopped QEMU or libvirtd holds only its own connection: the next call gets another.
///
/// Borrowing runs on the thread of the call that borrows (a ``BlockingCallPool`` thread), so that
/// opening a connection, which blocks while libvirtd is stopped, counts against the call's
/// deadline. Connections lent and being opened together stay within the pool's bound; past it, a
/// call fails at once. A connection that arrives after its call gave up is kept for the next one.
final class ConnectionPool: Sendable {
    private struct State {
        var idle: [any LibvirtConnection] = []
        var lent = 0
        var generation = 0
        /// Whether the next connection opened starts a new generation: before the first one, and
        /// after a connection was found dead.
        var startsGeneration = true
    }

    private let uri: String
    private let api: any LibvirtAPI
    private let maximumConnections: Int
    private let readWrite: Bool
    private let state = Mutex(State())

    /// Creates a pool that opens at most `maximumConnections` connections to `uri`, read-only
    /// unless `readWrite` (the guest agent's process alone).
    init(uri: String, api: any LibvirtAPI, maximumConnections: Int, readWrite: Bool = false) {
        self.uri = uri
        self.api = api
        self.maximumConnections = maximumConnections
        self.readWrite = readWrite
    }

    /// How many times the pool opened a connection first or after one died: each one starts a new
    /// outage-free stretch, in which what the daemon supports is learned again.
    var generation: Int { state.withLock(\.generation) }

    /// Runs `body` with a connection of its own, blocking this thread: an idle one, else a new one.
    ///
    /// - Throws: libvirt's error when opening fails, or ``LibvirtError/Code/connectionsBusy`` when
    ///   as many connections as the pool may hold are lent or being opened.
    func withConnection<Value>(_ body: (any LibvirtConnection) throws(LibvirtError) -> Value) throws(LibvirtError)
        -> Value
    {
        let connection = try borrow()
        defer { giveBack(connection) }
        return try body(connection)
    }

    private func borrow() throws(LibvirtError) -> any LibvirtConnection {
        // Idle connections first; one that died while idle (keepalive, a restarted daemon) is dropped.
        // Taking one and counting it lent is one step, so that no other borrower sees the pool empty
        // in between.
        while let idle = state.withLock({ state -> (any LibvirtConnection)? in
            guard let idle = state.idle.popLast() else { return nil }
            state.lent += 1
            return idle
        }) {
            if idle.isAlive { return idle }
            state.withLock { state in
                state.lent -= 1
                state.startsGeneration = true
            }
        }
        let reserved = state.withLock { state -> Result<Void, LibvirtError> in
            guard state.lent < maximumConnections else {
                return .failure(
                    LibvirtError(
                        function: "virConnectOpenReadOnly", code: .connectionsBusy, origin: 0,
                        message: "every libvirt connection is busy with a call that has not returned"))
            }
            if state.startsGeneration {
                state.generation += 1
                state.startsGeneration = false
            }
            state.lent += 1
            return .success(())
        }
        try reserved.get()
        do {
            return try readWrite ? api.openReadWrite(uri: uri) : api.openReadOnly(uri: uri)
        } catch {
            state.withLock { $0.lent -= 1 }
            throw error
        }
    }

    private func giveBack(_ connection: any LibvirtConnection) {
        state.withLock { state in
            state.lent -= 1
            if connection.isAlive { state.idle.append(connection) } else { state.startsGeneration = true }
        }
    }
}
