import PromFormat
import Synchronization

/// Keeps per-domain calls from piling onto a domain that does not answer.
///
/// libvirtd serves clients from a bounded worker pool, and a call on a domain whose QEMU is stuck
/// waits until QEMU answers or libvirt gives up (about 30 s). So at most one per-domain call is in
/// flight per domain, across the collector and the job poller, counting a call that overran its
/// deadline until it really returns: a domain that does not answer holds at most one of libvirtd's
/// workers. A domain whose call libvirt itself timed out (`VIR_ERR_OPERATION_TIMEOUT`) is left
/// alone for a while, 30 s at first, doubling up to 5 minutes. An answer ends the backoff, and so
/// does ``clearBackoff(_:)`` when the bulk stats show the domain answering again.
public final class DomainCallGate: Sendable {
    private struct Backoff {
        var until: ContinuousClock.Instant
        var length: Duration
    }

    private struct State {
        var inFlight: Set<ExactText> = []
        var backoffs: [ExactText: Backoff] = [:]
    }

    /// The first backoff; each further timeout doubles it.
    public static let firstBackoff = Duration.seconds(30)
    /// The longest backoff.
    public static let maximumBackoff = Duration.seconds(300)

    private let state = Mutex(State())
    private let now: @Sendable () -> ContinuousClock.Instant

    /// Creates a gate with no domain in flight or backing off.
    ///
    /// - Parameter now: the clock, replaceable in tests.
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    /// Runs `body`, the libvirt function `call` about `domain`, through `runner` if the gate lets it.
    ///
    /// The domain stays claimed until `body` returns, even after the deadline passed; a call that
    /// never got a thread (``CallOutcome/notStarted``) never ran, and frees the domain at once.
    /// libvirt's own timeout (`VIR_ERR_OPERATION_TIMEOUT`) starts or doubles the domain's backoff;
    /// an answer in time ends it.
    ///
    /// - Parameter deadline: how long to wait for the call; the runner's deadline when `nil`.
    /// - Returns: `nil` when the domain was skipped: a call on it is in flight, or it is backing off.
    func call<Value: Sendable>(
        _ domain: String, _ call: String, on runner: LibvirtCallRunner, deadline: Duration? = nil,
        _ body: @escaping @Sendable () throws(LibvirtError) -> Value
    ) async -> CallOutcome<Result<Value, LibvirtError>>? {
        guard acquire(domain) else { return nil }
        let outcome = await runner.run(call, domain: domain, deadline: deadline) {
            [self] () -> Result<Value, LibvirtError> in
            defer { state.withLock { _ = $0.inFlight.remove(ExactText(domain)) } }
            do throws(LibvirtError) {
                return .success(try body())
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .overran:
            break
        case .notStarted:
            state.withLock { _ = $0.inFlight.remove(ExactText(domain)) }
        case .finished(.failure(let error)) where error.code == .operationTimeout:
            backOff(domain)
        case .finished:
            clearBackoff(domain)
        }
        return outcome
    }

    /// Claims `domain` for one call: `false` if a call on it is in flight or it is backing off.
    func acquire(_ domain: String) -> Bool {
        let now = now()
        let key = ExactText(domain)
        return state.withLock { state in
            if state.inFlight.contains(key) { return false }
            if let backoff = state.backoffs[key], backoff.until > now { return false }
            state.inFlight.insert(key)
            return true
        }
    }

    /// Starts the domain's backoff, or doubles it up to ``maximumBackoff``.
    func backOff(_ domain: String) {
        let now = now()
        let key = ExactText(domain)
        state.withLock { state in
            let length = min((state.backoffs[key]?.length).map { $0 * 2 } ?? Self.firstBackoff, Self.maximumBackoff)
            state.backoffs[key] = Backoff(until: now + length, length: length)
        }
    }

    /// Ends the domain's backoff: it answers again.
    public func clearBackoff(_ domain: String) {
        state.withLock { _ = $0.backoffs.removeValue(forKey: ExactText(domain)) }
    }

    /// Whether a call on `domain` is in flight now.
    public func isInFlight(_ domain: String) -> Bool {
        state.withLock { $0.inFlight.contains(ExactText(domain)) }
    }

    /// How much longer `domain` backs off; `nil` when it does not.
    public func backoffRemaining(_ domain: String) -> Duration? {
        let now = now()
        return state.withLock { state in
            guard let backoff = state.backoffs[ExactText(domain)], backoff.until > now else { return nil }
            return backoff.until - now
        }
    }
}
