import Synchronization

/// Keeps per-domain calls from piling onto a domain that does not answer.
///
/// libvirtd serves clients from a bounded worker pool, and a domain whose QEMU is stuck makes every
/// call on it wait for its timeout (about 30 s). So at most one per-domain call is in flight per
/// domain, across the collector and the job poller; and a domain whose call was slow or timed out
/// is left alone for a while, 30 s at first, doubling up to 5 minutes, until a call answers quickly
/// again. The bulk stats call is not gated: it does not wait for busy domains.
public final class DomainCallGate: Sendable {
    private struct Backoff {
        var until: ContinuousClock.Instant
        var length: Duration
    }

    private struct State {
        var inFlight: Set<String> = []
        var backoffs: [String: Backoff] = [:]
    }

    /// A call that takes longer than this counts as a domain not answering.
    public static let slowCall = Duration.seconds(5)
    /// The first backoff; each further slow call doubles it.
    public static let firstBackoff = Duration.seconds(30)
    /// The longest backoff.
    public static let maximumBackoff = Duration.seconds(300)

    private let state = Mutex(State())
    private let clock = ContinuousClock()

    /// Creates a gate with no domain in flight or backing off.
    public init() {}

    /// Claims `domain` for one call: `false` if a call on it is in flight or it is backing off.
    func acquire(_ domain: String) -> Bool {
        let now = clock.now
        return state.withLock { state in
            if state.inFlight.contains(domain) { return false }
            if let backoff = state.backoffs[domain], backoff.until > now { return false }
            state.inFlight.insert(domain)
            return true
        }
    }

    /// Releases `domain` after a call that took `duration` and, if it failed, with `error`.
    func release(_ domain: String, after duration: Duration, error: LibvirtError?) {
        let now = clock.now
        let stuck = duration > Self.slowCall || error?.code == .operationTimeout
        state.withLock { state in
            state.inFlight.remove(domain)
            if stuck {
                let length = min(
                    (state.backoffs[domain]?.length).map { $0 * 2 } ?? Self.firstBackoff, Self.maximumBackoff)
                state.backoffs[domain] = Backoff(until: now + length, length: length)
            } else {
                state.backoffs[domain] = nil
            }
        }
    }

    /// Runs `body` for `domain` if the gate lets it, and records how the call went.
    /// - Returns: `nil` when the domain was skipped.
    func call<Result>(_ domain: String, _ body: () throws(LibvirtError) -> Result) -> Swift.Result<
        Result, LibvirtError
    >? {
        guard acquire(domain) else { return nil }
        let started = clock.now
        do {
            let result = try body()
            release(domain, after: clock.now - started, error: nil)
            return .success(result)
        } catch {
            release(domain, after: clock.now - started, error: error)
            return .failure(error)
        }
    }

    /// Whether `domain` is backing off now, for tests and logs.
    func isBackingOff(_ domain: String) -> Bool {
        let now = clock.now
        return state.withLock { ($0.backoffs[domain]?.until).map { $0 > now } ?? false }
    }
}
