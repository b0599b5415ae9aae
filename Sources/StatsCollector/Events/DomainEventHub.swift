public import Logging
import Synchronization

/// The exporter's one subscription to libvirt's domain events, fanned out to every consumer: the
/// event counters (`libvirt_domain_events_total`), the ``JobPoller``, and any other part that
/// acts on events.
///
/// It has its own read-only connection (kept by a ``ConnectionKeeper``, so opening it has a
/// deadline), registers every kind of ``DomainEvent/Kind`` on it, and checks every
/// `checkInterval` that the connection is alive: after libvirtd went away or restarted, it
/// reconnects and registers again. A registration that fails on a connection that stays alive is
/// tried again after 1 s, then 2 s, 4 s, … up to a minute, each failure handed to the caller to
/// count; a kind the daemon does not support is final, and not asked again. The connection
/// registers each kind at most once, and no registration starts while one is in flight (one that
/// overran its deadline is waited for), so no event is delivered twice. Events libvirt sent while
/// no connection was open, or before the registration, are lost.
///
/// Consumers call ``subscribe(bufferingNewest:)`` for a stream of their own, at any time, before or
/// while ``run(reportingFailures:)`` runs. libvirt's event-loop thread hands each event to every
/// stream without waiting for any consumer; a consumer that falls behind by more than its buffer
/// loses the oldest.
public actor DomainEventHub {
    private let keeper: ConnectionKeeper
    private let runner: LibvirtCallRunner
    private let checkInterval: Duration
    private let logger: Logger
    private let fanOut = FanOut()
    private var refusalLogged = false
    private var registration = Registration.notYet
    private var retryDelay = RetryDelay(first: .seconds(1), cap: .seconds(60))

    /// Where the registration on the current connection stands.
    private enum Registration {
        /// Not tried on this connection yet, or to be tried again from `at` on.
        case due(at: ContinuousClock.Instant?)
        /// Done: every kind the daemon supports is registered.
        case done
        /// A registration overran its deadline; its result arrives in the box.
        case inFlight(LateResult)

        static let notYet = Registration.due(at: nil)
    }

    /// The result of a registration, stored by its thread when it returns.
    private final class LateResult: Sendable {
        let result = Mutex<Result<[LibvirtError], LibvirtError>?>(nil)
    }

    /// Creates a hub for the libvirt `uri`; nothing connects until ``run(reportingFailures:)``.
    ///
    /// - Parameters:
    ///   - api: the libvirt calls; the real library unless a test scripts them.
    ///   - runner: runs the open and the registration, each with the runner's deadline.
    ///   - checkInterval: how often the connection is checked, and reopened when it died.
    public init(
        uri: String, api: any LibvirtAPI = LibvirtLibrary(), runner: LibvirtCallRunner,
        checkInterval: Duration = .seconds(1), logger: Logger
    ) {
        self.keeper = ConnectionKeeper(uri: uri, api: api, runner: runner, logger: logger)
        self.runner = runner
        self.checkInterval = checkInterval
        self.logger = logger
    }

    /// A stream of every event from now on; it ends when the hub goes. Keeps the newest `limit`
    /// events when its consumer falls behind.
    public nonisolated func subscribe(bufferingNewest limit: Int = 1024) -> AsyncStream<DomainEvent> {
        fanOut.subscribe(bufferingNewest: limit)
    }

    /// Keeps the subscription up until cancelled, handing each failed registration to `report`.
    public func run(reportingFailures report: @escaping @Sendable (CollectionError) async -> Void = { _ in }) async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            if let failure = await keepSubscribed() { await report(failure) }
            try? await Task.sleep(until: started + checkInterval, clock: clock)
        }
    }

    /// Opens the connection when there is none (or it died), and registers the events on it when
    /// they are due; returns the failure of a registration.
    private func keepSubscribed() async -> CollectionError? {
        let connection: any LibvirtConnection
        do {
            let (current, isNew) = try await keeper.connection()
            if isNew {
                registration = .notYet
                retryDelay.reset()
            }
            connection = current
        } catch {
            logger.debug("domain events: cannot connect", metadata: ["error": "\(error)"])
            return nil
        }
        switch registration {
        case .done:
            return nil
        case .due(let at?) where at > .now:
            return nil
        case .inFlight(let late):
            guard let result = late.result.withLock({ $0 }) else { return nil }
            return settle(result)
        case .due:
            break
        }
        let fanOut = self.fanOut
        let late = LateResult()
        let outcome = await runner.run("virConnectDomainEventRegisterAny") {
            let result = Result { () throws(LibvirtError) in try connection.watchDomainEvents { fanOut.yield($0) } }
            late.result.withLock { $0 = result }
            return result
        }
        switch outcome {
        case .finished(let result):
            return settle(result)
        case .overran:
            // It may still land: no other registration starts until it returned.
            registration = .inFlight(late)
            return nil
        case .notStarted:
            // No thread ran it, so nothing was registered: try again at the next check.
            registration = .notYet
            return nil
        }
    }

    /// Takes a registration's result: done, with the kinds the daemon does not support logged
    /// once; or due again after the next delay, its failure returned to be counted.
    private func settle(_ result: Result<[LibvirtError], LibvirtError>) -> CollectionError? {
        switch result {
        case .success(let unsupported):
            registration = .done
            retryDelay.reset()
            if let refusal = unsupported.first, !refusalLogged {
                logger.info(
                    "libvirt does not support some domain events; counting the others",
                    metadata: ["error": "\(refusal)", "kinds": "\(unsupported.count)"])
                refusalLogged = true
            }
            logger.debug("subscribed to domain events")
            return nil
        case .failure(let error):
            let delay = retryDelay.next()
            registration = .due(at: .now + delay)
            logger.info(
                "libvirt refused the domain events; trying again", metadata: ["error": "\(error)", "in": "\(delay)"])
            return error.collectionError()
        }
    }

    /// The consumers' streams. libvirt's event-loop thread yields to them; consumers come and go.
    private final class FanOut: Sendable {
        private let continuations = Mutex<(next: Int, all: [Int: AsyncStream<DomainEvent>.Continuation])>((0, [:]))

        deinit {
            for continuation in continuations.withLock({ $0.all.values }) { continuation.finish() }
        }

        func subscribe(bufferingNewest limit: Int) -> AsyncStream<DomainEvent> {
            let (stream, continuation) = AsyncStream.makeStream(
                of: DomainEvent.self, bufferingPolicy: .bufferingNewest(limit))
            let id = continuations.withLock { state in
                defer { state.next += 1 }
                state.all[state.next] = continuation
                return state.next
            }
            continuation.onTermination = { [weak self] _ in
                self?.continuations.withLock { _ = $0.all.removeValue(forKey: id) }
            }
            return stream
        }

        func yield(_ event: DomainEvent) {
            for continuation in continuations.withLock({ Array($0.all.values) }) { continuation.yield(event) }
        }
    }
}
