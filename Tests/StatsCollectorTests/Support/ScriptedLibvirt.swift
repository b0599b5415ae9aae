import Dispatch
import Synchronization

@testable import StatsCollector

/// A gate a scripted call waits at until the test opens it, for at most 2 minutes so that a broken
/// test cannot hang the suite (the bound is long because a loaded CI machine may starve the test).
final class Latch: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let isOpen = Atomic<Bool>(false)

    /// Waits until ``open()``.
    func wait() {
        if isOpen.load(ordering: .acquiring) { return }
        if semaphore.wait(timeout: .now() + 120) == .success { semaphore.signal() }
    }

    /// Whether ``open()`` was called.
    var isOpened: Bool { isOpen.load(ordering: .acquiring) }

    /// Lets every waiter, present and future, through.
    func open() {
        isOpen.store(true, ordering: .releasing)
        semaphore.signal()
    }
}

/// A flag one script sets and another reads.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set(_ newValue: Bool) { value.store(newValue, ordering: .releasing) }
}

/// Polls `condition` every 10 ms for up to 60 s (a loaded CI machine may starve the test).
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<6000 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// ``LibvirtAPI`` played from a script: each call asks the test's handler what to do, so that it
/// can answer, fail, block or answer late. Counts every call.
final class ScriptedLibvirt: LibvirtAPI {
    /// What the script does on `virConnectOpenReadOnly`.
    let onOpen: @Sendable () throws(LibvirtError) -> ScriptedConnection
    private let opened = Atomic<Int>(0)

    init(onOpen: @escaping @Sendable () throws(LibvirtError) -> ScriptedConnection) {
        self.onOpen = onOpen
    }

    /// A library whose every open returns `connection`.
    convenience init(_ connection: ScriptedConnection) {
        self.init(onOpen: { connection })
    }

    /// Opens so far.
    var opens: Int { opened.load(ordering: .relaxed) }

    var libraryVersion: String { "9.0.0" }

    func openReadOnly(uri: String) throws(LibvirtError) -> any LibvirtConnection {
        opened.add(1, ordering: .relaxed)
        return try onOpen()
    }

    func openReadWrite(uri: String) throws(LibvirtError) -> any LibvirtConnection {
        try openReadOnly(uri: uri)
    }
}

/// One scripted connection.
final class ScriptedConnection: LibvirtConnection {
    /// The script of the call for every domain (`virConnectGetAllDomainStats`): given the `NOWAIT`
    /// flag and how many such calls came before.
    let onBulkStats: @Sendable (_ noWait: Bool, _ earlierCalls: Int) throws(LibvirtError) -> [DomainStats]
    /// The script of the calls for batches of domains (`virDomainListGetStats`): given the
    /// domains, the `NOWAIT` flag and how many such calls came before. By default, the records of
    /// ``onBulkStats`` (asked as its first call) of those domains.
    let onDomainStats:
        @Sendable (_ names: [String], _ noWait: Bool, _ earlierCalls: Int) throws(LibvirtError)
            -> [DomainStats]
    /// The script of `virConnectListAllDomains`; by default the names of ``onBulkStats``' records.
    let onListDomains: @Sendable () throws(LibvirtError) -> [String]
    /// The script of `virConnectListAllDomains` with a filter; by default every domain of
    /// ``onListDomains`` is persistent, without autostart and without managed save.
    let onListFiltered: @Sendable (DomainListFilter) throws(LibvirtError) -> [String]
    /// The script of `virDomainGetControlInfo`.
    let onControlInfo: @Sendable (String) throws(LibvirtError) -> DomainControlInfo
    /// The script of the job stats calls: the domain, and whether the completed job is asked.
    let onJobStats: @Sendable (String, Bool) throws(LibvirtError) -> JobStats
    /// The script of `virDomainGetState`: the state and its reason; by default running, booted.
    let onState: @Sendable (String) throws(LibvirtError) -> (state: Int32, reason: Int32)
    /// The script of `virDomainGetXMLDesc`.
    let onXML: @Sendable (String) throws(LibvirtError) -> String
    /// The script of the event registration, given how many came before: the refusals the daemon
    /// gives as final, or an error to retry.
    let onWatch: @Sendable (_ earlierCalls: Int) throws(LibvirtError) -> [LibvirtError]
    /// The script of the storage pool calls.
    let pools: ScriptedPools
    /// The script of the calls about the host.
    let node: ScriptedNode
    /// The script of `virDomainGetGuestInfo`; by default the guest has no agent configured.
    let onGuestInfo: @Sendable (String) throws(LibvirtError) -> [TypedParameter]
    /// Runs on every `virConnectIsAlive`, before it answers: a test holds a borrower there.
    let onAliveCheck: @Sendable () -> Void
    private let alive = Atomic<Bool>(true)
    private let calls = Mutex<[String]>([])
    private let bulkGroups = Mutex<[UInt32]>([])
    private let batchGroups = Mutex<[UInt32]>([])
    private let eventHandlers = Mutex<[@Sendable (DomainEvent) -> Void]>([])

    init(
        onBulkStats: @escaping @Sendable (Bool, Int) throws(LibvirtError) -> [DomainStats],
        onDomainStats: (@Sendable ([String], Bool, Int) throws(LibvirtError) -> [DomainStats])? = nil,
        onListDomains: (@Sendable () throws(LibvirtError) -> [String])? = nil,
        onListFiltered: (@Sendable (DomainListFilter) throws(LibvirtError) -> [String])? = nil,
        onControlInfo: @escaping @Sendable (String) throws(LibvirtError) -> DomainControlInfo = { _ in
            DomainControlInfo(state: .ok, stateTime: .zero)
        },
        onJobStats: @escaping @Sendable (String, Bool) throws(LibvirtError) -> JobStats = { _, _ in
            JobStats(type: 0, parameters: [])
        },
        onState: @escaping @Sendable (String) throws(LibvirtError) -> (state: Int32, reason: Int32) = { _ in (1, 1) },
        onXML: @escaping @Sendable (String) throws(LibvirtError) -> String = { _ in "<domain/>" },
        onWatch: @escaping @Sendable (Int) throws(LibvirtError) -> [LibvirtError] = { _ in [] },
        pools: ScriptedPools = ScriptedPools(),
        node: ScriptedNode = ScriptedNode(),
        onGuestInfo: @escaping @Sendable (String) throws(LibvirtError) -> [TypedParameter] = { _ throws(LibvirtError) in
            throw LibvirtError(
                function: "virDomainGetGuestInfo", code: .argumentUnsupported, origin: 10,
                message: "QEMU guest agent is not configured")
        },
        onAliveCheck: @escaping @Sendable () -> Void = {}
    ) {
        self.onAliveCheck = onAliveCheck
        self.onGuestInfo = onGuestInfo
        self.onWatch = onWatch
        self.onBulkStats = onBulkStats
        if let onDomainStats {
            self.onDomainStats = onDomainStats
        } else {
            self.onDomainStats = { names, noWait, _ throws(LibvirtError) in
                let wanted = Set(names.map { Array($0.utf8) })
                return try onBulkStats(noWait, 0).filter { wanted.contains(Array($0.name.utf8)) }
            }
        }
        if let onListDomains {
            self.onListDomains = onListDomains
        } else {
            self.onListDomains = { () throws(LibvirtError) in try onBulkStats(false, 0).map(\.name) }
        }
        let listAll = self.onListDomains
        self.onListFiltered = { filter throws(LibvirtError) in
            if let onListFiltered { return try onListFiltered(filter) }
            return [.persistent, .noAutostart, .noManagedSave].contains(filter) ? try listAll() : []
        }
        self.onControlInfo = onControlInfo
        self.onJobStats = onJobStats
        self.onState = onState
        self.onXML = onXML
        self.pools = pools
        self.node = node
    }

    /// Hands `event` to every handler registered with `watchDomainEvents`, as libvirt's event loop would.
    func emit(_ event: DomainEvent) {
        for handler in eventHandlers.withLock({ $0 }) { handler(event) }
    }

    /// Handlers registered so far.
    var eventSubscriptions: Int { eventHandlers.withLock { $0.count } }

    /// Every call made, in order, as `function domain`.
    var log: [String] { calls.withLock { $0 } }

    /// How many calls of `function` were made.
    func count(_ function: String) -> Int { log.filter { $0.hasPrefix(function) }.count }

    /// Makes the connection report itself dead, as after libvirtd went away.
    func close() { alive.store(false, ordering: .releasing) }

    var isAlive: Bool {
        onAliveCheck()
        return alive.load(ordering: .acquiring)
    }

    private func record(_ call: String) -> Int {
        calls.withLock { log in
            defer { log.append(call) }
            return log.filter { $0.hasPrefix(call) }.count
        }
    }

    func allDomainStats(groups: UInt32, noWait: Bool) throws(LibvirtError) -> [DomainStats] {
        bulkGroups.withLock { $0.append(groups) }
        return try onBulkStats(noWait, record("virConnectGetAllDomainStats"))
    }

    /// The `stats` argument of every call for every domain so far.
    var groupsAsked: [UInt32] { bulkGroups.withLock { $0 } }

    func domainStats(of names: [String], groups: UInt32, noWait: Bool) throws(LibvirtError) -> [DomainStats] {
        batchGroups.withLock { $0.append(groups) }
        let earlier = calls.withLock { log in
            defer { log.append("virDomainListGetStats \(names.joined(separator: ","))") }
            return log.filter { $0.hasPrefix("virDomainListGetStats") }.count
        }
        return try onDomainStats(names, noWait, earlier)
    }

    /// The `stats` argument of every call for a batch of domains so far.
    var batchGroupsAsked: [UInt32] { batchGroups.withLock { $0 } }

    func domainNames(filter: DomainListFilter) throws(LibvirtError) -> [String] {
        _ = record(filter.isEmpty ? "virConnectListAllDomains" : "virConnectListAllDomains \(filter.rawValue)")
        return try filter.isEmpty ? onListDomains() : onListFiltered(filter)
    }

    func controlInfo(ofDomain name: String) throws(LibvirtError) -> DomainControlInfo {
        _ = record("virDomainGetControlInfo \(name)")
        return try onControlInfo(name)
    }

    func isActive(domain name: String) throws(LibvirtError) -> Bool {
        _ = record("virDomainIsActive \(name)")
        return true
    }

    func cpuStats(ofDomain name: String) throws(LibvirtError) -> CPUStats {
        _ = record("virDomainGetCPUStats \(name)")
        return CPUStats(perCPU: [], total: [TypedParameter(field: "cpu_time", value: .ullong(1_000_000_000))])
    }

    func jobStats(ofDomain name: String, completed: Bool) throws(LibvirtError) -> JobStats {
        _ = record("virDomainGetJobStats \(name)")
        return try onJobStats(name, completed)
    }

    func maxDowntime(ofDomain name: String) throws(LibvirtError) -> UInt64 { 300 }

    func state(ofDomain name: String) throws(LibvirtError) -> (state: Int32, reason: Int32) {
        try onState(name)
    }

    func info(ofDomain name: String) throws(LibvirtError) -> DomainInfo {
        DomainInfo(maximumMemory: 65536, memory: 65536, virtualCPUs: 1, cpuTime: 2_000_000_000)
    }

    func memoryStats(ofDomain name: String) throws(LibvirtError) -> [Int32: UInt64] {
        throw Self.unscripted("virDomainMemoryStats")
    }

    func xmlDescription(ofDomain name: String) throws(LibvirtError) -> String {
        _ = record("virDomainGetXMLDesc \(name)")
        return try onXML(name)
    }

    func blockStats(ofDomain name: String, disk: String) throws(LibvirtError) -> [BlockCounter: UInt64] {
        throw Self.unscripted("virDomainBlockStats")
    }

    func interfaceStats(ofDomain name: String, interface: String) throws(LibvirtError) -> [InterfaceCounter: UInt64] {
        throw Self.unscripted("virDomainInterfaceStats")
    }

    func watchDomainEvents(_ handler: @escaping @Sendable (DomainEvent) -> Void) throws(LibvirtError) -> [LibvirtError]
    {
        let attempt = record("virConnectDomainEventRegisterAny")
        let refusals = try onWatch(attempt)
        // Registered once per connection, as the library does: a retry registers nothing twice.
        eventHandlers.withLock { if $0.isEmpty { $0.append(handler) } }
        return refusals
    }

    func storagePools() throws(LibvirtError) -> [StoragePoolIdentity] {
        _ = record("virConnectListAllStoragePools")
        return try pools.onList()
    }

    func storagePoolInfo(named name: String) throws(LibvirtError) -> StoragePoolInfo {
        _ = record("virStoragePoolGetInfo \(name)")
        return try pools.onInfo(name)
    }

    func storagePoolXMLDescription(named name: String) throws(LibvirtError) -> String {
        _ = record("virStoragePoolGetXMLDesc \(name)")
        return try pools.onXML(name)
    }

    func guestInfo(ofDomain name: String) throws(LibvirtError) -> [TypedParameter] {
        _ = record("virDomainGetGuestInfo \(name)")
        return try onGuestInfo(name)
    }

    func runningDomainNames() throws(LibvirtError) -> [String] {
        try onBulkStats(false, 0).filter(\.isActive).map(\.name)
    }

    func capabilitiesXML() throws(LibvirtError) -> String { try node.onCapabilities() }

    func nodeCPUs() throws(LibvirtError) -> NodeCPUs { try node.onCPUs() }

    func cellsFreeMemory(cells: Int) throws(LibvirtError) -> [UInt64] { try node.onCellsFreeMemory(cells) }

    func freePages(sizes: [UInt32], cells: Int) throws(LibvirtError) -> [[UInt64]] {
        try node.onFreePages(sizes, cells)
    }

    func inactiveDomainStats(groups: UInt32) throws(LibvirtError) -> [DomainStats] {
        try node.onInactiveDomainStats(groups)
    }

    private static func unscripted(_ function: String) -> LibvirtError {
        LibvirtError(function: function, code: .noSupport, origin: 0, message: "not in the script")
    }
}

/// The script of a connection's storage pool calls; by default the host has no pools.
struct ScriptedPools: Sendable {
    /// `virConnectListAllStoragePools`.
    var onList: @Sendable () throws(LibvirtError) -> [StoragePoolIdentity] = { [] }
    /// `virStoragePoolGetInfo`, by pool name.
    var onInfo: @Sendable (String) throws(LibvirtError) -> StoragePoolInfo = { _ in
        StoragePoolInfo(state: 2, capacity: 0, allocation: 0, available: 0)
    }
    /// `virStoragePoolGetXMLDesc`, by pool name.
    var onXML: @Sendable (String) throws(LibvirtError) -> String = { _ in "<pool type='dir'/>" }
}

/// The script of a connection's calls about the host; by default a host of one NUMA cell with two
/// CPUs, 4 GiB, and no huge pages free, whose domains all run.
struct ScriptedNode: Sendable {
    /// `virConnectGetCapabilities`.
    var onCapabilities: @Sendable () throws(LibvirtError) -> String = {
        """
        <capabilities><host><topology><cells num='1'><cell id='0'><memory unit='KiB'>4194304</memory>\
        <pages unit='KiB' size='4'>1048576</pages><pages unit='KiB' size='2048'>0</pages>\
        <cpus num='2'/></cell></cells></topology></host></capabilities>
        """
    }
    /// `virNodeGetCPUMap`.
    var onCPUs: @Sendable () throws(LibvirtError) -> NodeCPUs = { NodeCPUs(present: 2, online: 2) }
    /// `virNodeGetCellsFreeMemory`, given the cells asked for.
    var onCellsFreeMemory: @Sendable (Int) throws(LibvirtError) -> [UInt64] = { Array(repeating: 1 << 30, count: $0) }
    /// `virNodeGetFreePages`, given the page sizes and the cells asked for.
    var onFreePages: @Sendable ([UInt32], Int) throws(LibvirtError) -> [[UInt64]] = { sizes, cells in
        Array(repeating: Array(repeating: 0, count: sizes.count), count: cells)
    }
    /// `virConnectGetAllDomainStats` for the domains that do not run, given the groups.
    var onInactiveDomainStats: @Sendable (UInt32) throws(LibvirtError) -> [DomainStats] = { _ in [] }
}

/// A running KVM-like domain's record: its state, CPU time and, unless `partial`, the balloon and
/// vCPU fields that libvirt leaves out when the domain's job is held.
func runningDomain(_ name: String, cpuTime: UInt64 = 1_000_000_000, partial: Bool = false) -> DomainStats {
    var parameters: [TypedParameter] = [
        .init(field: "state.state", value: .int(1)), .init(field: "state.reason", value: .int(1)),
        .init(field: "cpu.time", value: .ullong(cpuTime)),
    ]
    if !partial {
        parameters += [
            .init(field: "balloon.current", value: .ullong(65536)), .init(field: "balloon.rss", value: .ullong(20000)),
            .init(field: "vcpu.0.time", value: .ullong(cpuTime / 2)),
        ]
    }
    return DomainStats(name: name, uuid: "uuid-\(name)", parameters: parameters)
}

/// libvirt's handling of domains whose QEMU hangs, as seen on the testbed (libvirt 9.0): a call for
/// the stats groups that enter the QEMU monitor takes each domain's job in turn and waits, holding
/// the job, for a hung QEMU whose job was free; with `NOWAIT` it leaves out the monitor stats of a
/// domain whose job is held; the control interface shows a domain occupied while a call waits in
/// its monitor; a job stats call waits for the domain's job. The call for the groups without
/// monitor, the listing and the other per-domain calls answer at once.
final class HungQEMUs: Sendable {
    /// Every domain, in libvirt's order.
    let domains: [String]
    private let hung: Mutex<Set<String>>
    private let jobHeld = Mutex<Set<String>>([])
    /// Opened when the hung QEMUs answer again.
    let resumed = Latch()

    init(domains: [String], hung: Set<String>) {
        self.domains = domains
        self.hung = Mutex(hung)
    }

    /// Whether a call waits in `domain`'s monitor now.
    func isHeld(_ domain: String) -> Bool { jobHeld.withLock { $0.contains(domain) } }

    /// A connection to this host.
    func connection() -> ScriptedConnection {
        ScriptedConnection(
            onBulkStats: { [domains] _, _ in
                domains.map { name in
                    var record = runningDomain(name)
                    record.parameters.removeAll { !CollectionScope.isFieldWithoutMonitor($0.field) }
                    return record
                }
            },
            onDomainStats: { [self] names, noWait, _ in names.map { stats(of: $0, noWait: noWait) } },
            onControlInfo: { [self] name in
                DomainControlInfo(state: isHeld(name) ? .occupied : .ok, stateTime: .seconds(1))
            },
            onJobStats: { [self] name, completed in
                if !completed, isHeld(name) { resumed.wait() }
                return JobStats(type: 0, parameters: [])
            })
    }

    private func stats(of name: String, noWait: Bool) -> DomainStats {
        guard !resumed.isOpened, hung.withLock({ $0.contains(name) }) else { return runningDomain(name) }
        let taken = jobHeld.withLock { $0.insert(name).inserted }
        guard taken else { return runningDomain(name, partial: true) }
        resumed.wait()
        jobHeld.withLock { _ = $0.remove(name) }
        return runningDomain(name)
    }
}
