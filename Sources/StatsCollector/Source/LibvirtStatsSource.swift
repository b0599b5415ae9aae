public import Logging
import PromFormat
import Synchronization

/// Reads domain stats from libvirt without ever waiting past a deadline.
///
/// Each fetch makes one `virConnectGetAllDomainStats` call for all domains, with
/// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT` (dropped from the first time the daemon rejects it),
/// then the per-domain calls of each running domain whose stats came back complete, a few domains
/// at a time, through the ``DomainCallGate``. Every call runs on a thread of the runner's pool and
/// is awaited for at most the runner's deadline:
///
/// - A bulk call that overruns is asked once more: while the first one holds a stuck domain's job,
///   the second returns at once, with full stats for every other domain and partial ones for the
///   stuck domain. If that one overruns too (libvirtd itself hangs), the fetch fails with
///   ``CollectionError/deadlineExceeded``; no new bulk call is made while two are still in flight.
/// - A domain whose record lacks stats it had before is reported in
///   ``StatsBatch/incompleteDomains`` and gets no per-domain calls, which would wait for it.
///
/// The storage pools are read beside the per-domain calls (``StoragePoolReader``), within one
/// deadline; a pool that fails or does not answer is left out and counted.
///
/// A hypervisor that does not support a per-domain call (per-CPU stats on cgroup v2, job stats on
/// the test driver) is asked once per connection: the failure is counted and logged once, and the
/// batch says the stats are unavailable.
public actor LibvirtStatsSource: StatsSource {
    private let uri: String
    private let runner: LibvirtCallRunner
    private let gate: DomainCallGate
    private let logger: Logger
    private let connections: ConnectionPool
    private var connectionGeneration = 0
    private var noWait = true
    private var capabilities = CallCapabilities()
    private var completeness = StatsCompleteness()
    private var lastIncomplete: Set<ExactText> = []
    private var facts = DomainFactsCache()
    private let completedJobs = CompletedJobCache()
    private let scope: CollectionScope
    private let filter: DomainFilter
    private let bulkCallsRunning = RunningCalls()
    private let poolReader: StoragePoolReader

    /// Domains whose per-domain calls run at the same time, each on a connection of its own: a few,
    /// so that a collection's wall time is not the sum of its round trips, and few, so that
    /// libvirtd's worker pool (20 threads by default) stays free for other clients.
    static let concurrentDomains = 3
    /// Bulk calls that may be in flight at once, counting those past their deadline.
    static let bulkCallsInFlight = 2

    /// The deadline of each libvirt call of a collection every `interval`: half the interval, and
    /// at least 1 s. A bulk call that overruns it is asked once more, so a hung libvirtd shows as
    /// a stale snapshot at most two deadlines, one interval, after the collection started.
    public static func callDeadline(forInterval interval: Duration) -> Duration {
        max(interval / 2, .seconds(1))
    }

    /// Creates a source for the libvirt `uri`; nothing connects until the first fetch.
    ///
    /// - Parameters:
    ///   - api: the libvirt calls; the real library unless a test scripts them.
    ///   - runner: runs each call with its deadline.
    ///   - gate: shared with the job poller, so that a domain never has two calls in flight.
    ///   - scope: which stats groups, per-domain calls and domains to collect.
    /// - Throws: the syntax error of the scope's domain patterns.
    public init(
        uri: String, api: any LibvirtAPI = LibvirtLibrary(), runner: LibvirtCallRunner,
        gate: DomainCallGate = DomainCallGate(), scope: CollectionScope = .everything, logger: Logger
    ) throws {
        self.uri = uri
        self.scope = scope
        self.filter = try DomainFilter(scope)
        self.runner = runner
        self.gate = gate
        self.logger = logger
        // Room for the per-domain calls, two bulk calls and the storage pools' call at once.
        self.connections = ConnectionPool(
            uri: uri, api: api, maximumConnections: Self.concurrentDomains + Self.bulkCallsInFlight + 1)
        self.poolReader = StoragePoolReader(runner: runner)
    }

    /// Marks `domain`'s facts (metadata, device details) as possibly changed, as libvirt's
    /// metadata-change, device and lifecycle events say, so that the next collection reads them again.
    public func domainMayHaveChanged(_ domain: String) async {
        facts.invalidate(domain)
    }

    /// Marks `domain`'s last completed job as possibly changed, as libvirt's job-completed and
    /// lifecycle events say, at once: a per-domain call that starts after this reads it again.
    public nonisolated func jobMayHaveEnded(_ domain: String) async {
        completedJobs.jobMayHaveEnded(domain)
    }

    public func collects(domainNamed name: String) async -> Bool {
        filter.admits(name)
    }

    public func fetchStats() async throws(CollectionError) -> StatsBatch {
        let records = try await allDomainStats().filter { filter.admits($0.name) }
        // A connection opened after an outage may reach another daemon: learn what it supports again.
        if connections.generation != connectionGeneration {
            connectionGeneration = connections.generation
            capabilities = CallCapabilities()
            completedJobs.removeAll()
            await poolReader.reset()
            logger.info("connected to libvirt", metadata: ["uri": "\(uri)"])
        }
        // The pools are read beside the domains' calls, so a pool that does not answer delays no domain.
        let readsPools = scope.parts.contains(.pools)
        async let pools = readsPools ? poolReader.read(from: connections) : ([], [])
        let names = Set(records.map(\.nameKey))
        completeness.keep(only: names)
        facts.keep(only: names)
        completedJobs.keep(only: names)
        let incomplete = await incompleteDomains(of: records)
        // A domain whose stats are whole again answers again: its per-domain calls need not wait
        // out a backoff that its stuck QEMU started.
        for name in lastIncomplete.subtracting(incomplete) { gate.clearBackoff(name.text) }
        lastIncomplete = incomplete
        var batch = await withPerDomainStats(records, incomplete: incomplete)
        let (poolStats, poolErrors) = await pools
        batch.pools = poolStats
        batch.errors += poolErrors
        return batch
    }

    /// The bulk call, asked once more (on another connection) when it overruns, and without
    /// `NOWAIT` when the daemon rejects it.
    private func allDomainStats() async throws(CollectionError) -> [DomainStats] {
        var attempts = 0
        while true {
            attempts += 1
            guard bulkCallsRunning.count < Self.bulkCallsInFlight else {
                throw CollectionError(
                    call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded,
                    message: "earlier calls are still waiting for libvirt")
            }
            let noWait = self.noWait
            let groups = scope.bulkStatsGroups
            let outcome = await runner.run("virConnectGetAllDomainStats") {
                [bulkCallsRunning, connections] () -> Result<[DomainStats], LibvirtError> in
                bulkCallsRunning.during {
                    Result { () throws(LibvirtError) in
                        try connections.withConnection { connection throws(LibvirtError) in
                            try connection.allDomainStats(groups: groups, noWait: noWait)
                        }
                    }
                }
            }
            switch outcome {
            case .finished(.success(let records)):
                return records
            case .finished(.failure(let error)) where error.code == .invalidArgument && noWait:
                logger.info(
                    "libvirt rejected VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT; collecting without it",
                    metadata: ["error": "\(error.message)"])
                self.noWait = false
            case .finished(.failure(let error)) where error.code == .connectionsBusy:
                throw CollectionError(
                    call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded,
                    message: "earlier calls and connections are still waiting for libvirt")
            case .finished(.failure(let error)):
                throw error.collectionError()
            case .overran where attempts < 2, .notStarted where attempts < 2:
                continue
            case .overran, .notStarted:
                throw CollectionError(
                    call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded,
                    message: "libvirt did not answer within \(runner.deadline), twice")
            }
        }
    }

    /// The running domains whose records lack stats, asking the control interface of those
    /// that need it, through the gate: a stuck domain may keep even that call waiting, so it gets
    /// no second one while the first is in flight.
    private func incompleteDomains(of records: [DomainStats]) async -> Set<ExactText> {
        var incomplete: Set<ExactText> = []
        for record in records where completeness.judge(record) == .askControlInterface {
            let name = record.name
            let outcome = await gate.call(name, "virDomainGetControlInfo", on: runner) {
                [connections] () throws(LibvirtError) in
                try connections.withConnection { connection throws(LibvirtError) in
                    try connection.controlInfo(ofDomain: name)
                }
            }
            if case .finished(.success(let info)) = outcome, StatsCompleteness.isFree(info) {
                completeness.accept(record)
            } else {
                incomplete.insert(record.nameKey)
            }
        }
        return incomplete
    }

    /// The batch: `records` with the per-domain stats of every running, complete domain added.
    private func withPerDomainStats(_ records: [DomainStats], incomplete: Set<ExactText>) async -> StatsBatch {
        let calls = capabilities.calls.intersection(scope.perDomainCalls)
        let factsWanted = calls.contains(.domainXML) ? facts.domainsToRead(in: records, at: .now) : [:]
        var domains = records
        var errors: [CollectionError] = []
        var answered = false
        let wanted = records.indices.filter { records[$0].isActive && !incomplete.contains(records[$0].nameKey) }
        await withTaskGroup(of: (Int, CallOutcome<Result<PerDomainCalls.Answers, LibvirtError>>?).self) { group in
            var next = wanted.makeIterator()
            func start() {
                guard let index = next.next() else { return }
                let name = records[index].name
                let hasStateOnly = records[index].hasStateOnly
                let domainCalls = factsWanted[records[index].nameKey] != nil ? calls : calls.subtracting(.domainXML)
                group.addTask { [gate, runner, connections, completedJobs] in
                    let outcome = await gate.call(name, PerDomainCalls.callName, on: runner) {
                        () throws(LibvirtError) in
                        try connections.withConnection { connection throws(LibvirtError) in
                            domainCalls.make(
                                for: name, hasStateOnly: hasStateOnly, on: connection, completedJobs: completedJobs)
                        }
                    }
                    return (index, outcome)
                }
            }
            for _ in 0..<Self.concurrentDomains { start() }
            for await (index, outcome) in group {
                start()
                let name = records[index].name
                switch outcome {
                case .finished(.success(let answers)):
                    answered = true
                    domains[index].parameters +=
                        records[index].hasStateOnly
                        ? answers.parameters.filter { scope.admitsFallbackField($0.field) } : answers.parameters
                    if let seen = factsWanted[records[index].nameKey], let xml = answers.xml {
                        let read = DomainFacts(xml: xml, uuid: records[index].uuid, labels: scope.metadataLabels)
                        facts.store(read, of: records[index], at: .now, clearing: seen)
                    }
                    for failure in answers.failures {
                        guard let error = capabilities.classify(failure, domain: name) else { continue }
                        if error.isExpected {
                            logger.info(
                                "libvirt does not support this call here; not asking again on this connection",
                                metadata: ["call": "\(failure.function)", "error": "\(failure.message)"])
                        }
                        errors.append(error)
                    }
                case .overran:
                    errors.append(
                        CollectionError(
                            call: PerDomainCalls.callName, reason: CollectionError.deadlineExceeded, domain: name,
                            message: "the domain's per-domain calls did not answer within \(runner.deadline)"))
                case .notStarted:
                    errors.append(
                        CollectionError(
                            call: PerDomainCalls.callName, reason: CollectionError.noThread, domain: name,
                            message: "no call thread was free within \(runner.deadline)"))
                case .finished(.failure), nil:
                    break
                }
            }
        }
        if answered { capabilities.confirm(calls) }
        for index in domains.indices {
            if let known = facts.facts(of: records[index]) {
                domains[index].parameters += known.parameters(for: domains[index])
            }
        }
        return StatsBatch(
            domains: domains, errors: errors, incompleteDomains: incomplete,
            perCPUStatsAvailable: capabilities.perCPUStats, jobStatsAvailable: capabilities.jobStats)
    }
}

/// Counts the calls of one kind that run on a thread now, those past their deadline included.
private final class RunningCalls: Sendable {
    private let running = Atomic<Int>(0)

    /// Calls running now.
    var count: Int { running.load(ordering: .relaxed) }

    /// Runs `body`, counted while it runs.
    func during<Value>(_ body: () -> Value) -> Value {
        running.add(1, ordering: .relaxed)
        defer { running.subtract(1, ordering: .relaxed) }
        return body()
    }
}
