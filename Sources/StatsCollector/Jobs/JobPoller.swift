public import Logging
public import PromFormat

/// Polls the job stats of domains with an active job at a short interval, separately from the
/// main collection, so that a migration's progress is seen second by second and a short job does
/// not fall between two collections unseen.
///
/// It has its own read-only connections (one per poll in flight, ``ConnectionPool`` says why) and
/// its own threads, so a slow main collection does not hold it up. Domains are tracked when the
/// main collection sees an active job, or when libvirt reports a migration iteration; when libvirt
/// reports a job completed, that domain's completed job stats are read at once. The events come
/// from the ``DomainEventHub``'s subscription. The tracked domains are polled side by side, each
/// through the ``DomainCallGate`` it shares with the main collection and with the runner's
/// deadline: a domain that does not answer delays no other, never has two calls in flight, and
/// backs off.
public actor JobPoller {
    private let interval: Duration
    private let gate: DomainCallGate
    private let runner: LibvirtCallRunner
    private let logger: Logger
    private let connections: ConnectionPool
    private let events: AsyncStream<DomainEvent>
    private var tracked: Set<ExactText> = []
    private var polls: UInt64 = 0

    /// Creates a poller for the libvirt `uri` that polls every `interval`.
    ///
    /// - Parameters:
    ///   - api: the libvirt calls; the real library unless a test scripts them.
    ///   - runner: runs each call with its deadline, on threads of the poller's own.
    ///   - events: domain events, from ``DomainEventHub/subscribe(bufferingNewest:)``; without them,
    ///     jobs are learned from the main collection only.
    public init(
        uri: String, api: any LibvirtAPI = LibvirtLibrary(), interval: Duration, runner: LibvirtCallRunner,
        gate: DomainCallGate, events: AsyncStream<DomainEvent> = AsyncStream { $0.finish() }, logger: Logger
    ) {
        self.interval = interval
        self.gate = gate
        self.runner = runner
        self.logger = logger
        self.connections = ConnectionPool(uri: uri, api: api, maximumConnections: runner.pool.maximumThreads)
        self.events = events
    }

    /// Domains tracked, for tests that per-domain state stays bounded.
    var trackedCount: Int { tracked.count }

    /// Starts polling the domains in `domains` (the main collection saw an active job on them),
    /// and stops polling those not in `existing`, when given (the main collection's domains: the
    /// others are gone).
    public func track(_ domains: Set<ExactText>, keepingOnly existing: Set<ExactText>? = nil) {
        let new = domains.subtracting(tracked)
        if !new.isEmpty { logger.debug("polling job stats", metadata: ["domains": "\(new.sorted())"]) }
        tracked.formUnion(domains)
        if let existing { tracked.formIntersection(existing) }
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
            // Both end when the task is cancelled; the events end early when there are none.
            await group.waitForAll()
        }
    }

    private func handle(_ event: DomainEvent, deliver: @escaping @Sendable (JobUpdate, UInt64) async -> Void) async {
        switch event.kind {
        case .migrationIteration:
            tracked.insert(ExactText(event.domain))
        case .jobCompleted:
            tracked.insert(ExactText(event.domain))
            await poll([event.domain], deliver: deliver)
        case .lifecycle, .ioError, .watchdog, .blockThreshold, .reboot, .metadataChanged, .deviceAdded, .deviceRemoved:
            break
        }
    }

    private func pollTracked(deliver: @escaping @Sendable (JobUpdate, UInt64) async -> Void) async {
        guard !tracked.isEmpty else { return }
        await poll(tracked.sorted().map(\.text), deliver: deliver)
    }

    /// Reads the domains' job stats side by side and hands each answer on; stops tracking a
    /// domain once its job is over.
    private func poll(_ domains: [String], deliver: @escaping @Sendable (JobUpdate, UInt64) async -> Void) async {
        typealias Poll = (
            domain: String, started: ContinuousClock.Instant,
            outcome: Result<CallOutcome<Result<[TypedParameter], LibvirtError>>, DomainCallGate.Refusal>
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
                guard case .success(let outcome) = poll.outcome else { continue }
                record(outcome, of: poll.domain)
                if case .finished(.success(let parameters)) = outcome {
                    await deliver(JobUpdate(domain: poll.domain, parameters: parameters, readAt: poll.started), polls)
                }
            }
        }
    }

    /// Counts a poll that was made, and stops tracking a domain whose job ended or that is gone.
    private func record(_ outcome: CallOutcome<Result<[TypedParameter], LibvirtError>>, of domain: String) {
        if case .notStarted = outcome { return }
        polls += 1
        switch outcome {
        case .finished(.success(let parameters)):
            if !JobUpdate.hasActiveJob(in: parameters) { tracked.remove(ExactText(domain)) }
        case .finished(.failure(let error)):
            if error.code == .noDomain || CallCapabilities.isMigrationDestination(error) {
                tracked.remove(ExactText(domain))
            } else {
                logger.debug("job stats poll failed", metadata: ["domain": "\(domain)", "error": "\(error)"])
            }
        case .overran, .notStarted:
            break
        }
    }
}
