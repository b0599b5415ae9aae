public import Logging
import Synchronization

/// The exporter's one subscription to libvirt's domain events, fanned out to every consumer: the
/// event counters (`libvirt_domain_events_total`), the ``JobPoller``, and any other part that
/// acts on events.
///
/// It has its own read-only connection (kept by a ``ConnectionKeeper``, so opening it has a
/// deadline), registers every kind of ``DomainEvent/Kind`` on it, and checks every
/// `checkInterval` that the connection is alive: after libvirtd went away or restarted, it
/// reconnects and registers again. Events libvirt sent while no connection was open are lost.
///
/// Consumers call ``subscribe(bufferingNewest:)`` for a stream of their own, at any time, before or
/// while ``run()`` runs. libvirt's event-loop thread hands each event to every stream without
/// waiting for any consumer; a consumer that falls behind by more than its buffer loses the oldest.
public actor DomainEventHub {
    private let keeper: ConnectionKeeper
    private let runner: LibvirtCallRunner
    private let checkInterval: Duration
    private let logger: Logger
    private let fanOut = FanOut()
    private var refusalLogged = false

    /// Creates a hub for the libvirt `uri`; nothing connects until ``run()``.
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

    /// Keeps the subscription up until cancelled.
    public func run() async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            await keepSubscribed()
            try? await Task.sleep(until: started + checkInterval, clock: clock)
        }
    }

    /// Opens the connection when there is none (or it died) and registers the events on a new one.
    private func keepSubscribed() async {
        let connection: any LibvirtConnection
        do {
            let (current, isNew) = try await keeper.connection()
            guard isNew else { return }
            connection = current
        } catch {
            logger.debug("domain events: cannot connect", metadata: ["error": "\(error)"])
            return
        }
        let fanOut = self.fanOut
        let outcome = await runner.run("virConnectDomainEventRegisterAny") {
            Result { () throws(LibvirtError) in try connection.watchDomainEvents { fanOut.yield($0) } }
        }
        switch outcome {
        case .finished(.success):
            logger.debug("subscribed to domain events")
        case .finished(.failure(let error)):
            if !refusalLogged {
                logger.info("libvirt refused some domain events; counting the others", metadata: ["error": "\(error)"])
                refusalLogged = true
            }
        case .overran:
            // The registration may still land; a connection whose registration never does is
            // dropped when libvirt's keepalive closes it.
            break
        case .notStarted:
            // No thread ran the registration, so it never will: a new connection registers afresh.
            await keeper.drop(connection)
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
