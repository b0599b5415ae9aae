/// Reads the host once per collection: the capabilities XML once per connection (libvirt probes
/// the host anew for every call), then the logical CPUs (`virNodeGetCPUMap`), each NUMA cell's
/// free memory (`virNodeGetCellsFreeMemory`) and free huge pages (`virNodeGetFreePages`), and
/// what the domains that do not run are given (`virConnectGetAllDomainStats` for inactive
/// domains, which libvirt answers from their definitions).
///
/// The calls run one after the other within one budget (``BudgetedCalls``), beside the domains'
/// calls. A call the driver does not support is counted once, as expected, and not made again on
/// this connection; what it would give is absent.
actor HostReader {
    private let runner: LibvirtCallRunner
    private let gate = DomainCallGate()
    /// The topology of this connection's host; `nil` until read, `.some(nil)` for a host whose
    /// capabilities describe no cells.
    private var topology: HostTopology??
    private var unsupported: Set<String> = []

    /// The stats groups whose fields ``HostStats/Allocation`` sums: vcpu and balloon (pinned in
    /// `CLibvirt.h`).
    static let allocationGroups: UInt32 = (1 << 3) | (1 << 2)

    init(runner: LibvirtCallRunner) {
        self.runner = runner
    }

    /// Forgets what a connection taught: a new one may reach another daemon.
    func reset() {
        topology = nil
        unsupported = []
    }

    /// The host's stats but what its domains are given, the records of the domains that do not
    /// run with the fields that says (`nil` when they could not be read), and the failures of the
    /// calls. The caller sums the allocations over the domains it collects.
    func read(from connections: ConnectionPool) async -> (
        host: HostStats, inactiveDomains: [DomainStats]?, errors: [CollectionError]
    ) {
        let calls = BudgetedCalls(runner: runner, gate: gate)
        var errors: [CollectionError] = []
        var host = HostStats()
        if topology == nil,
            let xml = await call(
                calls, "virConnectGetCapabilities", &errors,
                { connection throws(LibvirtError) in try connection.capabilitiesXML() }, connections)
        {
            topology = .some(HostTopology(capabilitiesXML: xml))
        }
        host.topology = topology ?? nil
        host.cpus = await call(
            calls, "virNodeGetCPUMap", &errors, { connection throws(LibvirtError) in try connection.nodeCPUs() },
            connections)
        if let topology = host.topology {
            let span = topology.cellSpan
            let ids = Set(topology.cells.map(\.id))
            if let free = await call(
                calls, "virNodeGetCellsFreeMemory", &errors,
                { connection throws(LibvirtError) in try connection.cellsFreeMemory(cells: span) }, connections)
            {
                host.cellsFreeMemory = Dictionary(
                    uniqueKeysWithValues: free.enumerated().filter { ids.contains($0.offset) }.map {
                        ($0.offset, $0.element)
                    })
            }
            let sizes = topology.hugePageSizes
            if !sizes.isEmpty,
                let pages = await call(
                    calls, "virNodeGetFreePages", &errors,
                    { connection throws(LibvirtError) in try connection.freePages(sizes: sizes, cells: span) },
                    connections)
            {
                host.freeHugePages = Dictionary(
                    uniqueKeysWithValues: pages.enumerated().filter { ids.contains($0.offset) }.map {
                        ($0.offset, Dictionary(uniqueKeysWithValues: zip(sizes, $0.element)))
                    })
            }
        }
        let inactive = await call(
            calls, "virConnectGetAllDomainStats", &errors,
            { connection throws(LibvirtError) in try connection.inactiveDomainStats(groups: Self.allocationGroups) },
            connections)
        return (host, inactive, errors)
    }

    /// One call on a connection of `connections`, unless the driver refused it before; a refusal
    /// as unsupported is counted as expected and turns the call off on this connection.
    private func call<Value: Sendable>(
        _ calls: BudgetedCalls, _ function: String, _ errors: inout [CollectionError],
        _ body: @escaping @Sendable (any LibvirtConnection) throws(LibvirtError) -> Value,
        _ connections: ConnectionPool
    ) async -> Value? {
        guard !unsupported.contains(function) else { return nil }
        var refused = false
        let value = await calls.call(
            function, function, subject: "the host", errors: &errors,
            failed: { refused = [.noSupport, .argumentUnsupported].contains($0.code) },
            { () throws(LibvirtError) in try connections.withConnection(body) })
        if refused {
            unsupported.insert(function)
            errors[errors.count - 1].isExpected = true
        }
        return value
    }
}
