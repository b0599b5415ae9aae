public import Logging
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
    private let runner: LibvirtCallRunner
    private let gate: DomainCallGate
    private let logger: Logger
    private let keeper: ConnectionKeeper
    private var noWait = true
    private var capabilities = CallCapabilities()
    private var completeness = StatsCompleteness()
    private var lastIncomplete: Set<String> = []
    private let bulkCallsRunning = RunningCalls()
    private let poolReader: StoragePoolReader

    /// Domains whose per-domain calls run at the same time. libvirtd allows 5 requests in flight
    /// per client connection (`max_client_requests`); this leaves room for two bulk calls.
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
    public init(
        uri: String, api: any LibvirtAPI = LibvirtLibrary(), runner: LibvirtCallRunner,
        gate: DomainCallGate = DomainCallGate(), logger: Logger
    ) {
        self.runner = runner
        self.gate = gate
        self.logger = logger
        self.keeper = ConnectionKeeper(uri: uri, api: api, runner: runner, logger: logger)
        self.poolReader = StoragePoolReader(runner: runner)
    }

    public func fetchStats() async throws(CollectionError) -> StatsBatch {
        let (connection, isNew) = try await keeper.connection()
        if isNew { capabilities = CallCapabilities() }
        let records: [DomainStats]
        do {
            records = try await allDomainStats(connection)
        } catch {
            if !error.isDeadlineExceeded, !connection.isAlive { await keeper.drop(connection) }
            throw error
        }
        // The pools are read beside the domains' calls, so a pool that does not answer delays no domain.
        if isNew { await poolReader.reset() }
        async let pools = poolReader.read(on: connection)
        completeness.keep(only: Set(records.map(\.name)))
        let incomplete = await incompleteDomains(of: records, on: connection)
        // A domain whose stats are whole again answers again: its per-domain calls need not wait
        // out a backoff that its stuck QEMU started.
        for name in lastIncomplete.subtracting(incomplete) { gate.clearBackoff(name) }
        lastIncomplete = incomplete
        var batch = await withPerDomainStats(records, incomplete: incomplete, on: connection)
        let (poolStats, poolErrors) = await pools
        batch.pools = poolStats
        batch.errors += poolErrors
        return batch
    }

    /// The bulk call, asked once more when it overruns, and without `NOWAIT` when the daemon rejects it.
    private func allDomainStats(_ connection: any LibvirtConnection) async throws(CollectionError) -> [DomainStats] {
        var attempts = 0
        while true {
            attempts += 1
            guard bulkCallsRunning.count < Self.bulkCallsInFlight else {
                throw CollectionError(
                    call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded,
                    message: "earlier calls are still waiting for libvirt")
            }
            let noWait = self.noWait
            let outcome = await runner.run("virConnectGetAllDomainStats") {
                [bulkCallsRunning] () -> Result<[DomainStats], LibvirtError> in
                bulkCallsRunning.during {
                    Result { () throws(LibvirtError) in try connection.allDomainStats(noWait: noWait) }
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
            case .finished(.failure(let error)):
                throw error.collectionError()
            case .overran where attempts < 2:
                continue
            case .overran:
                throw CollectionError(
                    call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded,
                    message: "libvirt did not answer within \(runner.deadline), twice")
            }
        }
    }

    /// The running domains whose records lack stats, asking the control interface of those
    /// that need it, through the gate: a stuck domain may keep even that call waiting, so it gets
    /// no second one while the first is in flight.
    private func incompleteDomains(of records: [DomainStats], on connection: any LibvirtConnection) async
        -> Set<String>
    {
        var incomplete: Set<String> = []
        for record in records where completeness.judge(record) == .askControlInterface {
            let name = record.name
            let outcome = await gate.call(name, "virDomainGetControlInfo", on: runner) { () throws(LibvirtError) in
                try connection.controlInfo(ofDomain: name)
            }
            if case .finished(.success(let info)) = outcome, StatsCompleteness.isFree(info) {
                completeness.accept(record)
            } else {
                incomplete.insert(name)
            }
        }
        return incomplete
    }

    /// The batch: `records` with the per-domain stats of every running, complete domain added.
    private func withPerDomainStats(
        _ records: [DomainStats], incomplete: Set<String>, on connection: any LibvirtConnection
    ) async -> StatsBatch {
        let calls = capabilities.calls
        var domains = records
        var errors: [CollectionError] = []
        var answered = false
        let wanted = records.indices.filter { records[$0].isActive && !incomplete.contains(records[$0].name) }
        await withTaskGroup(of: (Int, CallOutcome<Result<PerDomainCalls.Answers, LibvirtError>>?).self) { group in
            var next = wanted.makeIterator()
            func start() {
                guard let index = next.next() else { return }
                let name = records[index].name
                let hasStateOnly = records[index].hasStateOnly
                group.addTask { [gate, runner] in
                    let outcome = await gate.call(name, PerDomainCalls.callName, on: runner) {
                        calls.make(for: name, hasStateOnly: hasStateOnly, on: connection)
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
                    domains[index].parameters += answers.parameters
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
                case .finished(.failure), nil:
                    break
                }
            }
        }
        if answered { capabilities.confirm(calls) }
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
