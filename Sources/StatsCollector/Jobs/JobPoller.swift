public import Logging

/// Polls the job stats of domains with an active job at a short interval, separately from the
/// main collection, so that a migration's progress is seen second by second and a short job does
/// not fall between two collections unseen.
///
/// It has its own read-only connections (one for domain events, one per poll in flight) and its
/// own threads, so a slow main collection does not hold it up. Domains are tracked when the main collection sees an active job, or when libvirt
/// reports a migration iteration; when libvirt reports a job completed, that domain's completed
/// job stats are read at once. The tracked domains are polled side by side, each through the
/// ``DomainCallGate`` it shares with the main collection and with the runner's deadline: a domain
/// that does not answer delays no other, never has two calls in flight, and backs off.
public actor JobPoller {
    private let interval: Duration
    private let gate: DomainCallGate
    private let runner: LibvirtCallRunner
    private let logger: Logger
    /// The connection that receives domain events; it makes no other call.
    private let keeper: ConnectionKeeper
    /// Connections for the polls, one per poll in flight (``ConnectionPool`` says why).
    private let connections: ConnectionPool
    private let events: AsyncStream<DomainEvent>
    private let eventSink: AsyncStream<DomainEvent>.Continuation
    private var tracked: Set<String> = []
    private var polls: UInt64 = 0

    /// Creates a poller for the libvirt `uri` that polls every `interval`.
    ///
    /// - Parameters:
    ///   - api: the libvirt calls; the real library unless a test scripts them.
    ///   - runner: runs each call with its deadline, on threads of the poller's own.
    public init(
        uri: String, api: any LibvirtAPI = LibvirtLibrary(), interval: Duration, runner: LibvirtCallRunner,
        gate: DomainCallGate, logger: Logger
    ) {
        self.interval = interval
        self.gate = gate
        self.runner = runner
        self.logger = logger
        self.keeper = ConnectionKeeper(uri: uri, api: api, runner: runner, logger: logger)
        self.connections = ConnectionPool(uri: uri, api: api, maximumConnections: runner.pool.maximumThreads)
        (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1024))
    }

    deinit {
        eventSink.finish()
    }

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

    private func handle(_ event: DomainEvent, deliver: @escaping @Sendable (JobUpdate, UInt64) async -> Void) async {
        switch event.kind {
        case .migrationIteration:
            tracked.insert(event.domain)
        case .jobCompleted:
            tracked.insert(event.domain)
            await poll([event.domain], deliver: deliver)
        case .lifecycle:
            break
        }
    }

    private func pollTracked(deliver: @escaping @Sendable (JobUpdate, UInt64) async -> Void) async {
        // Stay connected, so that domain events keep arriving.
        await watchEvents()
        guard !tracked.isEmpty else { return }
        await poll(tracked.sorted(), deliver: deliver)
    }

    /// Reads the domains' job stats side by side and hands each answer on; stops tracking a
    /// domain once its job is over.
    private func poll(_ domains: [String], deliver: @escaping @Sendable (JobUpdate, UInt64) async -> Void) async {
        typealias Poll = (
            domain: String, started: ContinuousClock.Instant,
            outcome: CallOutcome<Result<[TypedParameter], LibvirtError>>?
        )
        await withTaskGroup(of: Poll.self) { group in
            for domain in domains {
                group.addTask { [gate, runner, connections] in
                    let started = ContinuousClock.now
                    let outcome = await gate.call(domain, "virDomainGetJobStats", on: runner) {
                        () throws(LibvirtError) in
                        try connections.withConnection { connection throws(LibvirtError) in
                            try PerDomainCalls.jobFields(of: domain, on: connection)
                        }
                    }
                    return (domain, started, outcome)
                }
            }
            for await poll in group {
                record(poll.outcome, of: poll.domain)
                if case .finished(.success(let parameters)) = poll.outcome {
                    await deliver(JobUpdate(domain: poll.domain, parameters: parameters, readAt: poll.started), polls)
                }
            }
        }
    }

    /// Counts a poll, and stops tracking a domain whose job ended or that is gone.
    private func record(_ outcome: CallOutcome<Result<[TypedParameter], LibvirtError>>?, of domain: String) {
        guard let outcome else { return }
        polls += 1
        switch outcome {
        case .finished(.success(let parameters)):
            if !JobUpdate.hasActiveJob(in: parameters) { tracked.remove(domain) }
        case .finished(.failure(let error)):
            if error.code == .noDomain || CallCapabilities.isMigrationDestination(error) {
                tracked.remove(domain)
            } else {
                logger.debug("job stats poll failed", metadata: ["domain": "\(domain)", "error": "\(error)"])
            }
        case .overran:
            break
        }
    }

    /// Keeps the events connection open, subscribed to domain events.
    private func watchEvents() async {
        do {
            let (connection, isNew) = try await keeper.connection()
            if isNew { await subscribe(connection) }
        } catch {
            logger.debug("job poller cannot connect for domain events", metadata: ["error": "\(error)"])
        }
    }

    private func subscribe(_ connection: any LibvirtConnection) async {
        let sink = eventSink
        let outcome = await runner.run("virConnectDomainEventRegisterAny") {
            Result { () throws(LibvirtError) in try connection.watchDomainEvents { sink.yield($0) } }
        }
        if case .finished(.failure(let error)) = outcome {
            logger.info("libvirt domain events unavailable; polling only", metadata: ["error": "\(error)"])
        }
    }
}
