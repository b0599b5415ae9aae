import Synchronization

/// Every open connection, with the limits that keep one client from taking them all: a total, a
/// number per client address, and a deadline for each request's header.
///
/// A new connection must finish its first request header within `headerTimeout`; after a
/// response, the next header must be complete within `idleTimeout`. A client that trickles a byte
/// at a time (slowloris) is so closed at its deadline however often it sends, which libmicrohttpd's
/// inactivity timeout alone cannot do. The server asks ``expired(at:close:)`` a few times a second.
final class ConnectionTable: Sendable {
    /// Why a connection was refused or closed early, as the self-metrics name it.
    enum Rejection: String, CaseIterable, Sendable {
        /// `web.max-connections` reached.
        case connectionLimit = "connection_limit"
        /// `web.max-connections-per-address` reached for the client's address.
        case addressLimit = "address_limit"
        /// The request header did not arrive by its deadline.
        case headerTimeout = "header_timeout"
        /// The request had a body.
        case requestBody = "request_body"
        /// The TLS client certificate was missing or refused.
        case clientCertificate = "client_certificate"
    }

    /// The limits.
    struct Limits: Equatable, Sendable {
        var maxConnections: Int
        var maxConnectionsPerAddress: Int
        var headerTimeout: Duration
        var idleTimeout: Duration
    }

    private struct Entry {
        let address: String
        let socket: Int32
        /// When its next request header must be complete; `nil` while a request is being answered.
        var deadline: ContinuousClock.Instant?
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var perAddress: [String: Int] = [:]
        var nextID: UInt64 = 1
    }

    let limits: Limits
    private let state = Mutex(State())

    init(limits: Limits) {
        self.limits = limits
    }

    /// Counts a new connection from `address` on `socket`: its id, or why it must be closed at once.
    func open(address: String, socket: Int32, at now: ContinuousClock.Instant) -> Result<UInt64, RejectionError> {
        state.withLock { state in
            if state.entries.count >= limits.maxConnections { return .failure(RejectionError(.connectionLimit)) }
            if state.perAddress[address, default: 0] >= limits.maxConnectionsPerAddress {
                return .failure(RejectionError(.addressLimit))
            }
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(address: address, socket: socket, deadline: now + limits.headerTimeout)
            state.perAddress[address, default: 0] += 1
            return .success(id)
        }
    }

    /// The connection's request header is complete: no deadline until its response is done.
    func headerReceived(_ id: UInt64) {
        state.withLock { $0.entries[id]?.deadline = nil }
    }

    /// The connection's response is done: the next request header is due within the idle timeout.
    func responseFinished(_ id: UInt64, at now: ContinuousClock.Instant) {
        state.withLock { $0.entries[id]?.deadline = now + limits.idleTimeout }
    }

    /// Forgets a closed connection.
    func close(_ id: UInt64) {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: id) else { return }
            let remaining = state.perAddress[entry.address, default: 1] - 1
            state.perAddress[entry.address] = remaining > 0 ? remaining : nil
        }
    }

    /// Calls `close` with the socket of every connection past its deadline, and returns how many.
    /// `close` runs under the table's lock, so a socket handed to it is still open: its connection
    /// cannot be forgotten (and its descriptor reused) until `close` returns.
    func expired(at now: ContinuousClock.Instant, close: (Int32) -> Void) -> Int {
        state.withLock { state in
            var count = 0
            for (id, entry) in state.entries {
                guard let deadline = entry.deadline, deadline <= now else { continue }
                close(entry.socket)
                state.entries[id]?.deadline = nil
                count += 1
            }
            return count
        }
    }

    /// Open connections now.
    var count: Int { state.withLock { $0.entries.count } }
}

/// A ``ConnectionTable/Rejection`` as an error.
struct RejectionError: Error, Equatable {
    let reason: ConnectionTable.Rejection
    init(_ reason: ConnectionTable.Rejection) { self.reason = reason }
}
