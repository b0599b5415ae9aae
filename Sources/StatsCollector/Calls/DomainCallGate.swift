public import PromFormat
import Synchronization

/// Keeps calls from piling onto a domain that does not answer.
///
/// libvirtd serves clients from a bounded worker pool, and a call on a domain whose QEMU is stuck
/// waits until QEMU answers or libvirt gives up (about 30 s). So every call about a domain, of the
/// collector and of the job poller, claims the domain here first, and a domain claimed by a call
/// that has not returned (counting a call past its deadline until it really returns) gets no other
/// call: a domain that does not answer holds at most one of libvirtd's workers. A call about
/// several domains (a batch of stats) claims those that are free, and may let one go before it
/// returns (``release(_:from:)``) once it is known not to be the domain the call waits for. A
/// domain whose call libvirt itself timed out (`VIR_ERR_OPERATION_TIMEOUT`) is left alone for a
/// while, 30 s at first, doubling up to 5 minutes. An answer ends the backoff, and so does
/// ``clearBackoff(_:)`` when the bulk stats show the domain answering again.
public final class DomainCallGate: Sendable {
    private struct Backoff {
        var until: ContinuousClock.Instant
        var length: Duration
    }

    private struct State {
        /// Each claimed domain, with the claim that holds it.
        var inFlight: [ExactText: UInt64] = [:]
        var backoffs: [ExactText: Backoff] = [:]
        var claims: UInt64 = 0
    }

    /// Why a domain got no call.
    public enum Refusal: String, Error, Sendable {
        /// An earlier call about it has not returned.
        case inFlight = "in_flight"
        /// libvirt timed out on it lately.
        case backingOff = "backoff"
    }

    /// The domains one call holds, from before it starts until it returns.
    final class Claim: Sendable {
        fileprivate let id: UInt64
        /// The domains claimed, in the order asked.
        let domains: [String]

        fileprivate init(id: UInt64, domains: [String]) {
            self.id = id
            self.domains = domains
        }
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
    /// - Returns: the call's outcome, or why the domain was skipped.
    func call<Value: Sendable>(
        _ domain: String, _ call: String, on runner: LibvirtCallRunner, deadline: Duration? = nil,
        _ body: @escaping @Sendable () throws(LibvirtError) -> Value
    ) async -> Result<CallOutcome<Result<Value, LibvirtError>>, Refusal> {
        let (claim, refused) = self.claim([domain])
        if let refusal = refused.first { return .failure(refusal.reason) }
        let outcome = await run(claim, call, on: runner, deadline: deadline) { _ throws(LibvirtError) in try body() }
        switch outcome {
        case .overran, .notStarted:
            break
        case .finished(.failure(let error)) where error.code == .operationTimeout:
            backOff(domain)
        case .finished:
            clearBackoff(domain)
        }
        return .success(outcome)
    }

    /// Claims every domain of `domains` that has no call in flight and is not backing off.
    func claim(_ domains: [String]) -> (claim: Claim, refused: [(domain: String, reason: Refusal)]) {
        let now = now()
        return state.withLock { state in
            state.claims += 1
            var claimed: [String] = []
            var refused: [(domain: String, reason: Refusal)] = []
            for domain in domains {
                let key = ExactText(domain)
                if state.inFlight[key] != nil {
                    refused.append((domain, .inFlight))
                } else if let backoff = state.backoffs[key], backoff.until > now {
                    refused.append((domain, .backingOff))
                } else {
                    state.inFlight[key] = state.claims
                    claimed.append(domain)
                }
            }
            return (Claim(id: state.claims, domains: claimed), refused)
        }
    }

    /// Runs `body` with the domains of `claim`, the libvirt function `call`, through `runner`, and
    /// lets the domains go when it returns (at once when it never got a thread).
    func run<Value: Sendable>(
        _ claim: Claim, _ call: String, on runner: LibvirtCallRunner, deadline: Duration? = nil,
        _ body: @escaping @Sendable ([String]) throws(LibvirtError) -> Value
    ) async -> CallOutcome<Result<Value, LibvirtError>> {
        let domain = claim.domains.count == 1 ? claim.domains[0] : nil
        let outcome = await runner.run(call, domain: domain, deadline: deadline) {
            [self] () -> Result<Value, LibvirtError> in
            defer { release(claim) }
            do throws(LibvirtError) {
                return .success(try body(claim.domains))
            } catch {
                return .failure(error)
            }
        }
        if case .notStarted = outcome { release(claim) }
        return outcome
    }

    /// Lets `domain` go before `claim`'s call returns: the call is known not to wait for it.
    func release(_ domain: String, from claim: Claim) {
        state.withLock { state in
            let key = ExactText(domain)
            if state.inFlight[key] == claim.id { state.inFlight[key] = nil }
        }
    }

    /// Lets every domain `claim` still holds go.
    func release(_ claim: Claim) {
        for domain in claim.domains { release(domain, from: claim) }
    }

    /// Claims `domain` for one call: `false` if a call on it is in flight or it is backing off.
    func acquire(_ domain: String) -> Bool {
        claim([domain]).refused.isEmpty
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

    /// Forgets the backoffs of domains not in `domains`, which are gone. Domains in flight stay
    /// claimed until their calls return, which frees them.
    public func keepBackoffs(only domains: Set<ExactText>) {
        state.withLock { $0.backoffs = $0.backoffs.filter { domains.contains($0.key) } }
    }

    /// Whether a call on `domain` is in flight now.
    public func isInFlight(_ domain: String) -> Bool {
        state.withLock { $0.inFlight[ExactText(domain)] != nil }
    }

    /// How much longer `domain` backs off; `nil` when it does not.
    public func backoffRemaining(_ domain: String) -> Duration? {
        let now = now()
        return state.withLock { state in
            guard let backoff = state.backoffs[ExactText(domain)], backoff.until > now else { return nil }
            return backoff.until - now
        }
    }

    /// Domains in flight and backing off, for tests that per-domain state stays bounded.
    var retainedDomainCount: Int {
        state.withLock { $0.inFlight.count + $0.backoffs.count }
    }
}
