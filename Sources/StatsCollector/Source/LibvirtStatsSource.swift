public import Logging
import PromFormat
import Synchronization

/// Reads domain stats from libvirt without ever waiting past a deadline, and keeps collecting the
/// domains that answer while any number of others hang.
///
/// Each fetch makes, every call on a thread of its own and awaited for at most the deadline:
///
/// 1. one `virConnectGetAllDomainStats` for every domain, for the groups that libvirt gathers
///    without entering a QEMU monitor (state, interface, perf, memory), which no hung QEMU holds
///    up. When it does not answer in time, `virConnectListAllDomains` (which libvirtd answers on
///    its priority workers) tells a hung libvirtd (``CollectionError/deadlineExceeded``: a stale
///    snapshot) from a libvirtd whose workers are busy (``CollectionError/libvirtAnswered``). No
///    further such call is made while two are still in flight.
/// 2. `virDomainListGetStats` for the other groups, on batches of the running domains
///    (``MonitorCallPlan``), with `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT` (dropped from the
///    first time the daemon rejects it), through the ``DomainCallGate``: a domain that an earlier
///    call still waits for is left out, and of the members of a call that overruns, those whose
///    control interface is not occupied are let go at once. These calls have threads and
///    connections of their own (``statsCalls``), so hung QEMUs never take the threads of step 1.
///    A domain whose stats did not all come is reported in ``StatsBatch/incompleteDomains``.
/// 3. The per-domain calls (CPU, job, XML) of each running domain whose stats came whole, a few
///    domains at a time, through the gate; a domain found busy is asked again once after the
///    others. Calls not made are reported as skipped (``CollectionError/isSkipped``).
///
/// The storage pools are read beside the per-domain calls (``StoragePoolReader``), within one
/// deadline; a pool that fails or does not answer is left out and counted.
///
/// A hypervisor that does not support a per-domain call (per-CPU stats on cgroup v2, job stats on
/// the test driver) is asked once per connection: the failure is counted and logged once, and the
/// batch says the stats are unavailable.
public actor LibvirtStatsSource: StatsSource {
    let uri: String
    let runner: LibvirtCallRunner
    /// Runs the calls for the groups that enter the QEMU monitor, on threads of their own.
    public nonisolated let statsCalls: LibvirtCallRunner
    let gate: DomainCallGate
    let logger: Logger
    let connections: ConnectionPool
    let statsConnections: ConnectionPool
    private var connectionGeneration = 0
    var noWait = true
    var capabilities = CallCapabilities()
    /// Whether the driver refused the listing's filters as unsupported: asked once per connection.
    var inventoryUnsupported = false
    var completeness = StatsCompleteness()
    private var lastIncomplete: Set<ExactText> = []
    var facts = DomainFactsCache()
    let completedJobs = CompletedJobCache()
    let scope: CollectionScope
    private let filter: DomainFilter
    private let callsWithoutMonitor = RunningCalls()
    private let poolReader: StoragePoolReader
    private let hostReader: HostReader
    var plan = MonitorCallPlan()

    /// Domains whose per-domain calls run at the same time, each on a connection of its own: a few,
    /// so that a collection's wall time is not the sum of its round trips, and few, so that
    /// libvirtd's worker pool (20 threads by default) stays free for other clients.
    static let concurrentDomains = 3
    /// Calls for every domain (the stats without monitor, and the listing) that may be in flight at
    /// once, counting those past their deadline.
    static let callsWithoutMonitorInFlight = 2
    /// Threads (and connections) for the calls that enter QEMU monitors: the most such calls that
    /// may wait for hung QEMUs at once, each holding one of libvirtd's workers (20 by default; its
    /// 5 priority workers, which answer the listing, are never taken). Up to this many hung QEMUs
    /// at once (less the calls that answer meanwhile) leave the other domains whole.
    public static let statsCallThreads = 12

    /// The deadline of each libvirt call of a collection every `interval`: half the interval, and
    /// at least 1 s. When the call for every domain overruns it, the listing gets as long again, so
    /// a hung libvirtd shows as a stale snapshot at most two deadlines, one interval, after the
    /// collection started.
    public static func callDeadline(forInterval interval: Duration) -> Duration {
        max(interval / 2, .seconds(1))
    }

    /// Creates a source for the libvirt `uri`; nothing connects until the first fetch.
    ///
    /// - Parameters:
    ///   - api: the libvirt calls; the real library unless a test scripts them.
    ///   - runner: runs each call with its deadline, but those of `statsCalls`.
    ///   - statsCalls: runs the calls for the stats groups that enter the QEMU monitor; by default
    ///     a pool of ``statsCallThreads`` threads with `runner`'s deadline.
    ///   - gate: shared with the job poller, so that a domain never has two calls in flight.
    ///   - scope: which stats groups, per-domain calls and domains to collect.
    /// - Throws: the syntax error of the scope's domain patterns.
    public init(
        uri: String, api: any LibvirtAPI = LibvirtLibrary(), runner: LibvirtCallRunner,
        statsCalls: LibvirtCallRunner? = nil, gate: DomainCallGate = DomainCallGate(),
        scope: CollectionScope = .defaults, logger: Logger
    ) throws {
        self.uri = uri
        self.scope = scope
        self.filter = try DomainFilter(scope)
        self.runner = runner
        self.statsCalls =
            statsCalls
            ?? LibvirtCallRunner(
                pool: BlockingCallPool(name: "libvirt-stats", maximumThreads: Self.statsCallThreads),
                deadline: runner.deadline, logger: logger)
        self.gate = gate
        self.logger = logger
        // Room for the per-domain calls, the calls for every domain (the inventory's listings among
        // them), the storage pools' call and the host's call at once.
        self.connections = ConnectionPool(
            uri: uri, api: api, maximumConnections: Self.concurrentDomains + Self.callsWithoutMonitorInFlight + 2)
        self.statsConnections = ConnectionPool(
            uri: uri, api: api, maximumConnections: self.statsCalls.pool.maximumThreads)
        self.poolReader = StoragePoolReader(runner: runner)
        self.hostReader = HostReader(runner: runner)
    }

    /// Entries kept per domain across fetches, summed over every table, for tests that they stay
    /// bounded by the domains that exist.
    var retainedDomainCount: Int {
        completeness.retainedDomainCount + facts.retainedDomainCount + completedJobs.retainedDomainCount
            + plan.retainedDomainCount + lastIncomplete.count
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
        let started = ContinuousClock.now
        var records = try await statsWithoutMonitor().filter {
            filter.admits($0.name) && (scope.inactiveDomains || $0.isActive)
        }
        var timings = [
            CallTiming(
                call: "virConnectGetAllDomainStats", seconds: (ContinuousClock.now - started).inSeconds, succeeded: true
            )
        ]
        // A connection opened after an outage may reach another daemon: learn what it supports again.
        if connections.generation != connectionGeneration {
            connectionGeneration = connections.generation
            capabilities = CallCapabilities()
            completedJobs.removeAll()
            await poolReader.reset()
            inventoryUnsupported = false
            await hostReader.reset()
            logger.info("connected to libvirt", metadata: ["uri": "\(uri)"])
        }
        // The pools are read beside the domains' calls, so a pool that does not answer delays no domain.
        let readsPools = scope.parts.contains(.pools)
        async let pools = CallTiming.measure("storage pools") { [poolReader, connections] in
            readsPools ? await poolReader.read(from: connections) : ([], [])
        }
        let readsHost = scope.parts.contains(.host)
        async let host = CallTiming.measure("host") {
            [hostReader, connections] () -> ((HostStats, [DomainStats]?)?, [CollectionError]) in
            guard readsHost else { return (nil, []) }
            let (stats, inactive, errors) = await hostReader.read(from: connections)
            return ((stats, inactive), errors)
        }
        let readsInventory = scope.parts.contains(.inventory) && !inventoryUnsupported
        async let inventory = CallTiming.measure("virConnectListAllDomains") {
            readsInventory ? await self.readInventory() : (nil, [])
        }
        let names = Set(records.map(\.nameKey))
        completeness.keep(only: names)
        facts.keep(only: names)
        completedJobs.keep(only: names)
        plan.keep(only: names)
        gate.keepBackoffs(only: names)
        let batchesStarted = ContinuousClock.now
        let monitor = await addStatsWithMonitor(to: &records)
        timings.append(
            CallTiming(
                call: Self.statsWithMonitorCall, seconds: (ContinuousClock.now - batchesStarted).inSeconds,
                succeeded: !monitor.errors.contains(where: CallTiming.counts)))
        let incomplete = await incompleteDomains(of: records, unanswered: monitor.unanswered)
        // A domain whose stats are whole again answers again: its per-domain calls need not wait
        // out a backoff that its stuck QEMU started.
        for name in lastIncomplete.subtracting(incomplete) { gate.clearBackoff(name.text) }
        lastIncomplete = incomplete
        let perDomain = await CallTiming.measure(PerDomainCalls.callName) {
            let batch = await withPerDomainStats(records, incomplete: incomplete)
            return (batch, batch.errors)
        }
        var batch = perDomain.value
        timings.append(perDomain.timing)
        let (poolStats, poolErrors, poolTiming) = await pools
        batch.pools = poolStats
        if readsPools { timings.append(poolTiming) }
        let (hostRead, hostErrors, hostTiming) = await host
        if let (hostStats, inactiveDomains) = hostRead {
            batch.host = hostStats
            batch.host?.running = HostStats.Allocation(summing: records.filter(\.isActive))
            batch.host?.inactive = inactiveDomains.flatMap {
                HostStats.Allocation(summing: $0.filter { filter.admits($0.name) })
            }
            timings.append(hostTiming)
        }
        var guestErrors: [CollectionError] = []
        if scope.parts.contains(.guest) {
            let running = Set(records.filter(\.isActive).map(\.nameKey))
            let read = await CallTiming.measure(GuestReportView.callName) {
                let (view, error) = GuestReportView.read(scope.guestReportPath, running: running)
                return (view, error.map { [$0] } ?? [])
            }
            batch.guest = read.value
            guestErrors = read.errors
            timings.append(read.timing)
        }
        let (listing, inventoryErrors, inventoryTiming) = await inventory
        if readsInventory { timings.append(inventoryTiming) }
        if let listing {
            for index in batch.domains.indices {
                batch.domains[index].parameters += listing.parameters(for: batch.domains[index].nameKey)
            }
        }
        batch.errors = monitor.errors + batch.errors + poolErrors + hostErrors + guestErrors + inventoryErrors
        batch.callTimings = timings
        return batch
    }

    /// Every domain's stats of the groups gathered without the QEMU monitor: a call that no hung
    /// QEMU holds up. When it overruns, the listing tells whether libvirtd answers at all.
    private func statsWithoutMonitor() async throws(CollectionError) -> [DomainStats] {
        let groups = scope.statsGroupsWithoutMonitor
        let outcome = try await callWithoutMonitor("virConnectGetAllDomainStats") {
            connection throws(LibvirtError) in
            try connection.allDomainStats(groups: groups, noWait: false)
        }
        switch outcome {
        case .finished(.success(let records)):
            return records
        case .finished(.failure(let error)):
            throw error.collectionError()
        case .overran, .notStarted:
            break
        }
        let listing = try await callWithoutMonitor("virConnectListAllDomains") { connection throws(LibvirtError) in
            try connection.domainNames(filter: [])
        }
        guard case .finished(.success(let names)) = listing else {
            throw CollectionError(
                call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded,
                message: "libvirt did not answer within \(runner.deadline): neither the stats nor the list of domains")
        }
        var error = CollectionError(
            call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded,
            message:
                "libvirtd listed its \(names.count) domains but did not serve their stats within \(runner.deadline): its workers are busy"
        )
        error.libvirtAnswered = true
        throw error
    }

    /// One call for every domain, on a connection of its own, while fewer than two such calls are
    /// in flight. A connection that could not be had because every one is busy counts as a call
    /// that did not answer.
    func callWithoutMonitor<Value: Sendable>(
        _ function: String, _ body: @escaping @Sendable (any LibvirtConnection) throws(LibvirtError) -> Value
    ) async throws(CollectionError) -> CallOutcome<Result<Value, LibvirtError>> {
        guard callsWithoutMonitor.count < Self.callsWithoutMonitorInFlight else {
            throw CollectionError(
                call: function, reason: CollectionError.deadlineExceeded,
                message: "earlier calls are still waiting for libvirt")
        }
        let outcome = await runner.run(function) {
            [callsWithoutMonitor, connections] () -> Result<Value, LibvirtError> in
            callsWithoutMonitor.during {
                Result { () throws(LibvirtError) in try connections.withConnection(body) }
            }
        }
        if case .finished(.failure(let error)) = outcome, error.code == .connectionsBusy { return .overran }
        return outcome
    }

    /// The running domains whose records lack stats: those `unanswered` by the calls for the groups
    /// that enter the monitor, and those whose records lack fields their last complete one had and
    /// whose control interface is busy (asked through the gate: a stuck domain may keep even that
    /// call waiting, so it gets no second one while the first is in flight).
    private func incompleteDomains(of records: [DomainStats], unanswered: Set<ExactText>) async -> Set<ExactText> {
        var incomplete = unanswered
        for record in records
        where record.isActive && !unanswered.contains(record.nameKey)
            && completeness.judge(record) == .askControlInterface
        {
            let name = record.name
            let outcome = await gate.call(name, "virDomainGetControlInfo", on: runner) {
                [connections] () throws(LibvirtError) in
                try connections.withConnection { connection throws(LibvirtError) in
                    try connection.controlInfo(ofDomain: name)
                }
            }
            if case .success(.finished(.success(let info))) = outcome, StatsCompleteness.isFree(info) {
                completeness.accept(record)
            } else {
                incomplete.insert(record.nameKey)
            }
        }
        return incomplete
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
