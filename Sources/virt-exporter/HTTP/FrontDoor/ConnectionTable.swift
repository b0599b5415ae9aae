import Synchronization

/// Every open connection, with the limits that keep one client from taking them all: a total, a
/// number per client address, and deadlines.
///
/// A new connection must finish its first request header within `headerTimeout`; its response
/// must then be sent within `idleTimeout`, and after it the next header must be complete within
/// `idleTimeout` too. A client that trickles a byte at a time (slowloris), or reads its response a
/// byte at a time, is so closed at its deadline however often it sends or reads, which
/// libmicrohttpd's inactivity timeout alone cannot do. The server asks ``expired(at:close:)`` a few
/// times a second.
final class ConnectionTable: Sendable {
    /// Why a connection was refused or closed early, as the self-metrics name it.
    enum Rejection: String, CaseIterable, Sendable {
        /// `web.max-connections` reached.
        case connectionLimit = "connection_limit"
        /// `web.max-connections-per-address` reached for the client's address.
        case addressLimit = "address_limit"
        /// The request header did not arrive by its deadline.
        case headerTimeout = "header_timeout"
        /// The response was not taken by the client by its deadline.
        case responseTimeout = "response_timeout"
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
        /// When its next request header must be complete, or its response sent; `nil` once closed
        /// for being late.
        var deadline: ContinuousClock.Instant?
        /// Whether it is being answered (the deadline is for the response).
        var answering = false
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

    /// The connection's request header is complete: its response is due within the idle timeout.
    func headerReceived(_ id: UInt64, at now: ContinuousClock.Instant) {
        state.withLock { state in
            state.entries[id]?.deadline = now + limits.idleTimeout
            state.entries[id]?.answering = true
        }
    }

    /// The connection's response is done: the next request header is due within the idle timeout.
    func responseFinished(_ id: UInt64, at now: ContinuousClock.Instant) {
        state.withLock { state in
            state.entries[id]?.deadline = now + limits.idleTimeout
            state.entries[id]?.answering = false
        }
    }

    /// Forgets a closed connection.
    func close(_ id: UInt64) {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: id) else { return }
            let remaining = state.perAddress[entry.address, default: 1] - 1
            state.perAddress[entry.address] = remaining > 0 ? remaining : nil
        }
    }

    /// Calls `close` with the socket of every connection past its deadline, and returns why each
    /// was closed. `close` runs under the table's lock, so a socket handed to it is still open: its
    /// connection cannot be forgotten (and its descriptor reused) until `close` returns.
    func expired(at now: ContinuousClock.Instant, close: (Int32) -> Void) -> [Rejection] {
        state.withLock { state in
            var reasons: [Rejection] = []
            for (id, entry) in state.entries {
                guard let deadline = entry.deadline, deadline <= now else { continue }
                close(entry.socket)
                state.entries[id]?.deadline = nil
                reasons.append(entry.answering ? .responseTimeout : .headerTimeout)
            }
            return reasons
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
