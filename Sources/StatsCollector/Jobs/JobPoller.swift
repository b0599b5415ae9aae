public import Logging

/// Polls the job stats of domains with an active job at a short interval, separately from the
/// main collection, so that a migration's progress is seen second by second and a short job does
/// not fall between two collections unseen.
///
/// It has its own read-only connection and its own thread, so a slow main collection does not
/// hold it up. Domains are tracked when the main collection sees an active job, or when libvirt
/// reports a migration iteration; when libvirt reports a job completed, that domain's completed
/// job stats are read at once. Calls go through the ``DomainCallGate`` it shares with the main
/// collection: never two calls in flight on one domain, and none on a domain backing off.
public actor JobPoller {
    private let uri: String
    private let interval: Duration
    private let gate: DomainCallGate
    private let logger: Logger
    private let executor = DedicatedThreadExecutor(name: "libvirt-jobs")
    private let events: AsyncStream<DomainEvent>
    private let eventSink: AsyncStream<DomainEvent>.Continuation
    private var connection: LibvirtConnection?
    private var tracked: Set<String> = []
    private var polls: UInt64 = 0

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Creates a poller for the libvirt `uri` that polls every `interval`.
    public init(uri: String, interval: Duration, gate: DomainCallGate, logger: Logger) {
        self.uri = uri
        self.interval = interval
        self.gate = gate
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1024))
    }

    deinit {
        eventSink.finish()
        executor.stop()
    }

    /// Domains whose job stats are polled now.
    public var trackedDomains: Set<String> { tracked }

    /// Job stats calls made so far, for `libvirt_exporter_job_polls_total`.
    public var pollCount: UInt64 { polls }

    /// Starts polling the domains in `domains` (the main collection saw an active job on them).
    public func track(_ domains: Set<String>) {
        let new = domains.subtracting(tracked)
        if !new.isEmpty { logger.debug("polling job stats", metadata: ["domains": "\(new.sorted())"]) }
        tracked.formUnion(domains)
    }

    /// Polls until cancelled, handing every update to `deliver` with the number of polls so far.
    public func run(deliver: @escaping @Sendable (JobUpdate, UInt64) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [events] in
                for await event in events { await self.handle(event, deliver: deliver) }
            }
            group.addTask {
                let clock = ContinuousClock()
                while !Task.isCancelled {
                    let started = clock.now
                    await self.pollTracked(deliver: deliver)
                    try? await Task.sleep(until: started + self.interval, clock: clock)
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func handle(_ event: DomainEvent, deliver: @Sendable (JobUpdate, UInt64) async -> Void) async {
        switch event.kind {
        case .migrationIteration:
            tracked.insert(event.domain)
        case .jobCompleted:
            tracked.insert(event.domain)
            await poll(event.domain, deliver: deliver)
        case .lifecycle:
            break
        }
    }

    private func pollTracked(deliver: @Sendable (JobUpdate, UInt64) async -> Void) async {
        guard !tracked.isEmpty else {
            ensureConnected()
            return
        }
        for domain in tracked.sorted() { await poll(domain, deliver: deliver) }
    }

    /// Reads one domain's job stats and hands them on; stops tracking it once its job is over.
    private func poll(_ domain: String, deliver: @Sendable (JobUpdate, UInt64) async -> Void) async {
        guard let connection = ensureConnected() else { return }
        guard
            let result = gate.call(
                domain, { () throws(LibvirtError) in try connection.jobStats(ofDomainNamed: domain) })
        else { return }
        polls += 1
        switch result {
        case .success(let parameters):
            let update = JobUpdate(domain: domain, parameters: parameters)
            if !update.hasActiveJob { tracked.remove(domain) }
            await deliver(update, polls)
        case .failure(let error):
            if error.code == .noDomain || error.message.contains("only on the source host") {
                tracked.remove(domain)
            } else {
                logger.debug("job stats poll failed", metadata: ["domain": "\(domain)", "error": "\(error)"])
            }
            if !connection.isAlive { self.connection = nil }
        }
    }

    /// The poller's connection, opened (and subscribed to domain events) when needed.
    @discardableResult
    private func ensureConnected() -> LibvirtConnection? {
        if let connection, connection.isAlive { return connection }
        connection = nil
        do {
            let opened = try LibvirtConnection(uri: uri)
            let sink = eventSink
            do {
                try opened.watchDomainEvents { sink.yield($0) }
            } catch {
                logger.notice("libvirt domain events unavailable; polling only", metadata: ["error": "\(error)"])
            }
            connection = opened
            return opened
        } catch {
            logger.debug("job poller cannot connect", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
