/// The per-domain calls made for a running domain after the bulk call, and how their answers are
/// named: as the catalog's fields (`cpustats.*`, `job.*`, `completedjob.*`, `migration.*`, and
/// for drivers without bulk stats the bulk fields they stand for).
///
/// Everything here blocks on libvirt; callers run it on a ``BlockingCallPool`` thread, through the
/// ``DomainCallGate``.
struct PerDomainCalls: OptionSet, Sendable {
    let rawValue: UInt8

    /// `virDomainGetCPUStats`, per host CPU and in total, as `cpustats.*`.
    static let cpuStats = PerDomainCalls(rawValue: 1 << 0)
    /// `virDomainGetJobStats` for the active job, as `job.*`.
    static let jobStats = PerDomainCalls(rawValue: 1 << 1)
    /// `virDomainGetJobStats` for the last completed job, kept for other readers, as `completedjob.*`.
    static let completedJobStats = PerDomainCalls(rawValue: 1 << 2)
    /// For a domain whose bulk record has nothing but its state (the test driver, older drivers):
    /// `virDomainGetInfo`, `virDomainMemoryStats`, and `virDomainBlockStats` and
    /// `virDomainInterfaceStats` for the devices in its XML, as the bulk fields they stand for.
    static let perDomainFallback = PerDomainCalls(rawValue: 1 << 3)
    /// `virDomainGetXMLDesc`, for the domain's facts (``DomainFacts``), when they may have changed.
    static let domainXML = PerDomainCalls(rawValue: 1 << 4)

    /// The name the per-domain calls of one domain go by in logs and self-metrics, as one unit.
    static let callName = "per-domain calls"

    /// What the calls of one domain returned, and the calls that failed.
    struct Answers: Sendable {
        var parameters: [TypedParameter] = []
        var failures: [LibvirtError] = []
        /// The domain's XML description, when ``domainXML`` was asked for.
        var xml: String?
    }

    /// Makes these calls for `domain`, one after the other; `hasStateOnly` says whether its bulk
    /// record needs the fallback. The domain XML is read once, for the fallback and the facts.
    /// With `completedJobs`, the last completed job is taken from there while no job runs and
    /// nothing said it changed, and kept there when read. The fallback's calls named in `skipping`
    /// (refused as unsupported earlier on this connection) are not made.
    func make(
        for domain: String, hasStateOnly: Bool, on connection: any LibvirtConnection,
        completedJobs: CompletedJobCache? = nil, skipping: Set<String> = []
    ) -> Answers {
        var answers = Answers()
        func add(_ body: () throws(LibvirtError) -> [TypedParameter]) {
            do {
                answers.parameters += try body()
            } catch {
                answers.failures.append(error)
            }
        }
        let needsFallback = contains(.perDomainFallback) && hasStateOnly
        if contains(.domainXML) || needsFallback {
            do {
                answers.xml = try connection.xmlDescription(ofDomain: domain)
            } catch {
                answers.failures.append(error)
            }
        }
        if needsFallback, let xml = answers.xml {
            answers.parameters += Self.fallbackStats(
                of: domain, xml: xml, on: connection, skipping: skipping, failures: &answers.failures)
        }
        if contains(.cpuStats) { add { () throws(LibvirtError) in try Self.cpuStats(of: domain, on: connection) } }
        var jobRuns = false
        if contains(.jobStats) {
            add { () throws(LibvirtError) in
                let fields = try Self.activeJob(of: domain, on: connection)
                jobRuns = JobUpdate.hasActiveJob(in: fields)
                return fields
            }
        }
        if contains(.completedJobStats) {
            let now = ContinuousClock.now
            let cached = completedJobs?.lookup(domain, at: now)
            if !jobRuns, let known = cached?.reusableFields {
                answers.parameters += known
            } else {
                add { () throws(LibvirtError) in
                    let fields = try Self.completedJob(of: domain, on: connection)
                    completedJobs?.store(fields, of: domain, readAt: now, clearing: cached?.marksSeen ?? 0)
                    // The running job ends later: the first call that finds none reads it again.
                    if jobRuns { completedJobs?.jobMayHaveEnded(domain) }
                    return fields
                }
            }
        }
        return answers
    }

    /// The job fields of `domain`: its active job while it runs (plus `migration.*` during an
    /// outgoing migration), and its last completed job, which libvirt keeps after the domain
    /// stopped (a save, an outgoing migration).
    static func jobFields(of domain: String, on connection: any LibvirtConnection) throws(LibvirtError)
        -> [TypedParameter]
    {
        let calls: PerDomainCalls =
            try connection.isActive(domain: domain) ? [.jobStats, .completedJobStats] : [.completedJobStats]
        let answers = calls.make(for: domain, hasStateOnly: false, on: connection)
        if let failure = answers.failures.first { throw failure }
        return answers.parameters
    }

    private static func cpuStats(of domain: String, on connection: any LibvirtConnection) throws(LibvirtError)
        -> [TypedParameter]
    {
        let stats = try connection.cpuStats(ofDomain: domain)
        var result: [TypedParameter] = []
        for (cpu, parameters) in stats.perCPU.enumerated() {
            let prefix = "\(MetricCatalog.cpuStatsPrefix)\(cpu)."
            result += parameters.map { TypedParameter(field: prefix + $0.field, value: $0.value) }
        }
        result += stats.total.map { TypedParameter(field: MetricCatalog.cpuStatsPrefix + $0.field, value: $0.value) }
        return result
    }

    /// `virDomainJobType`'s `VIR_DOMAIN_JOB_NONE` (pinned in `CLibvirt.h`).
    private static let noJob: Int32 = 0
    /// `virDomainJobOperation`'s `VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT` (pinned in `CLibvirt.h`).
    private static let outgoingMigration: Int64 = 5

    private static func activeJob(of domain: String, on connection: any LibvirtConnection) throws(LibvirtError)
        -> [TypedParameter]
    {
        var result = named(try connection.jobStats(ofDomain: domain, completed: false), MetricCatalog.jobPrefix)
        let operation = result.first { $0.field == MetricCatalog.jobPrefix + "operation" }?.value.integerCode
        if operation == outgoingMigration {
            let milliseconds = try connection.maxDowntime(ofDomain: domain)
            result.append(
                TypedParameter(field: MetricCatalog.migrationPrefix + "max_downtime", value: .ullong(milliseconds)))
            let state = try connection.state(ofDomain: domain)
            result.append(
                TypedParameter(
                    field: MetricCatalog.migrationPrefix + "postcopy",
                    value: .int(isPostcopy(state: state.state, reason: state.reason) ? 1 : 0)))
        }
        return result
    }

    /// Whether a domain's state and reason say that its migration switched to post-copy: paused
    /// or running with reason post-copy or post-copy failed (`VIR_DOMAIN_PAUSED_POSTCOPY`, 12, and
    /// `_POSTCOPY_FAILED`, 13; `VIR_DOMAIN_RUNNING_POSTCOPY`, 10, and `_POSTCOPY_FAILED`, 11;
    /// pinned in `CLibvirt.h`). The source of a post-copy migration is paused: its guest runs on
    /// the destination, which pulls the pages still missing.
    static func isPostcopy(state: Int32, reason: Int32) -> Bool {
        switch state {
        case 1: [10, 11].contains(reason)
        case 3: [12, 13].contains(reason)
        default: false
        }
    }

    /// The last completed job as `completedjob.*`; nothing when libvirt keeps none (type none).
    private static func completedJob(of domain: String, on connection: any LibvirtConnection) throws(LibvirtError)
        -> [TypedParameter]
    {
        let stats = try connection.jobStats(ofDomain: domain, completed: true)
        return stats.type == noJob ? [] : named(stats, MetricCatalog.completedJobPrefix)
    }

    /// The job type as `<prefix>type`, then every parameter after `prefix`.
    private static func named(_ stats: JobStats, _ prefix: String) -> [TypedParameter] {
        [TypedParameter(field: prefix + "type", value: .int(stats.type))]
            + stats.parameters.map { TypedParameter(field: prefix + $0.field, value: $0.value) }
    }

    /// Numbers the bulk call leaves out on drivers that report only the state group, read with
    /// per-domain calls and named as the bulk fields they stand for. Each call stands alone: one
    /// that fails (a driver without that API, such as bhyve's without memory statistics) adds its
    /// failure to `failures` and costs only its own numbers.
    private static func fallbackStats(
        of domain: String, xml: String, on connection: any LibvirtConnection, skipping: Set<String>,
        failures: inout [LibvirtError]
    ) -> [TypedParameter] {
        typealias Catalog = MetricCatalog
        var result: [TypedParameter] = []
        func attempt<Value>(_ function: String, _ body: () throws(LibvirtError) -> Value) -> Value? {
            guard !skipping.contains(function) else { return nil }
            do {
                return try body()
            } catch {
                failures.append(error)
                return nil
            }
        }
        if let info = attempt("virDomainGetInfo", { () throws(LibvirtError) in try connection.info(ofDomain: domain) })
        {
            result += [
                .init(field: Catalog.InfoFallback.cpuTime, value: .ullong(info.cpuTime)),
                .init(field: Catalog.InfoFallback.memory, value: .ullong(info.memory)),
                .init(field: Catalog.InfoFallback.maximumMemory, value: .ullong(info.maximumMemory)),
                .init(field: Catalog.InfoFallback.virtualCPUs, value: .uint(info.virtualCPUs)),
            ]
        }
        let memory =
            attempt("virDomainMemoryStats") { () throws(LibvirtError) in try connection.memoryStats(ofDomain: domain) }
            ?? [:]
        for (tag, value) in memory.sorted(by: { $0.key < $1.key }) {
            if let field = Catalog.memoryStatFallback[tag] { result.append(.init(field: field, value: .ullong(value))) }
        }

        let devices = DomainDevices(xml: xml)
        result.append(.init(field: Catalog.BlockFallback.count, value: .uint(UInt32(devices.disks.count))))
        for (index, disk) in devices.disks.enumerated() {
            result.append(
                .init(field: Catalog.field(Catalog.BlockFallback.name, index: index), value: .string(disk.target)))
            if let source = disk.source {
                result.append(
                    .init(field: Catalog.field(Catalog.BlockFallback.path, index: index), value: .string(source)))
            }
            let counters =
                attempt("virDomainBlockStats") { () throws(LibvirtError) in
                    try connection.blockStats(ofDomain: domain, disk: disk.target)
                }
                ?? [:]
            for counter in BlockCounter.allCases {
                guard let value = counters[counter], let pattern = Catalog.BlockFallback.counters[counter] else {
                    continue
                }
                result.append(.init(field: Catalog.field(pattern, index: index), value: .ullong(value)))
            }
        }
        result.append(.init(field: Catalog.InterfaceFallback.count, value: .uint(UInt32(devices.interfaces.count))))
        for (index, target) in devices.interfaces.enumerated() {
            result.append(
                .init(field: Catalog.field(Catalog.InterfaceFallback.name, index: index), value: .string(target)))
            let counters =
                attempt("virDomainInterfaceStats") { () throws(LibvirtError) in
                    try connection.interfaceStats(ofDomain: domain, interface: target)
                }
                ?? [:]
            for counter in InterfaceCounter.allCases {
                guard let value = counters[counter], let pattern = Catalog.InterfaceFallback.counters[counter] else {
                    continue
                }
                result.append(.init(field: Catalog.field(pattern, index: index), value: .ullong(value)))
            }
        }
        return result
    }
}
