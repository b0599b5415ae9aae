import Logging
import Synchronization
import TestSupport
import Testing

@testable import StatsCollector

/// The host part on scripted libvirt calls and on capabilities XML as libvirt writes it.
@Suite struct HostTests {
    private static let logger = Logger(label: "host-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Two NUMA cells as on a two-socket host: 4 KiB base pages, 2 MiB and 1 GiB huge pages.
    private static let twoCells = """
        <capabilities><host><topology><cells num='2'>
        <cell id='0'><memory unit='KiB'>16777216</memory><pages unit='KiB' size='4'>4000000</pages>\
        <pages unit='KiB' size='2048'>512</pages><pages unit='KiB' size='1048576'>2</pages>\
        <cpus num='4'><cpu id='0'/><cpu id='1'/><cpu id='2'/><cpu id='3'/></cpus></cell>
        <cell id='1'><memory unit='MiB'>8192</memory><pages unit='KiB' size='4'>2000000</pages>\
        <pages unit='KiB' size='2048'>0</pages><cpus num='4'/></cell>
        </cells></topology></host></capabilities>
        """

    @Test func theTopologyComesFromTheCapabilitiesCellByCell() throws {
        let topology = try #require(HostTopology(capabilitiesXML: Self.twoCells))
        #expect(topology.cells.map(\.id) == [0, 1])
        #expect(topology.cells.map(\.memoryBytes) == [16 << 30, 8 << 30], "KiB and MiB both read")
        #expect(topology.cells.map(\.cpus) == [4, 4])
        #expect(topology.hugePageSizes == [2048, 1_048_576], "the base page is not a huge page")
        #expect(topology.cellSpan == 2)
        #expect(HostTopology(capabilitiesXML: "<capabilities><host/></capabilities>") == nil, "no cells, no topology")
        #expect(HostTopology(capabilitiesXML: "<capabilities") == nil)
        #expect(HostTopology.bytes(of: "3", unit: "furlongs") == nil, "an unknown unit gives no number")
        #expect(HostTopology.bytes(of: "18446744073709551615", unit: "KiB") == nil, "an overflow gives no number")
    }

    private static func source(_ connection: ScriptedConnection, scope: CollectionScope = .defaults) throws
        -> LibvirtStatsSource
    {
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "host-tests", maximumThreads: 6), deadline: .seconds(20), logger: logger)
        return try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(connection), runner: runner, scope: scope, logger: logger)
    }

    private static func inactive(_ name: String, vcpus: UInt32, memoryKiB: UInt64) -> DomainStats {
        DomainStats(
            name: name, uuid: "uuid-\(name)",
            parameters: [
                .init(field: "state.state", value: .int(5)), .init(field: "vcpu.current", value: .uint(vcpus)),
                .init(field: "balloon.maximum", value: .ullong(memoryKiB)),
            ])
    }

    /// A running domain with one vCPU and 64 MiB, as the vcpu and balloon groups report them.
    private static func allocated(_ name: String) -> DomainStats {
        var record = runningDomain(name)
        record.parameters += [
            .init(field: "vcpu.current", value: .uint(1)), .init(field: "balloon.maximum", value: .ullong(65536)),
        ]
        return record
    }

    @Test func theHostIsReadBesideTheDomainsAndTheCapabilitiesOncePerConnection() async throws {
        let capabilityReads = Atomic<Int>(0)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [Self.allocated("web"), Self.allocated("db")] },
            node: ScriptedNode(
                onCapabilities: {
                    capabilityReads.add(1, ordering: .relaxed)
                    return Self.twoCells
                },
                onCPUs: { NodeCPUs(present: 8, online: 6) },
                onCellsFreeMemory: { cells in (0..<cells).map { UInt64($0 + 1) << 30 } },
                onFreePages: { sizes, cells in
                    (0..<cells).map { cell in sizes.map { UInt64(10 * cell) + UInt64($0 / 2048) } }
                },
                onInactiveDomainStats: { _ in
                    [
                        Self.inactive("spare", vcpus: 2, memoryKiB: 1 << 20),
                        Self.inactive("old", vcpus: 4, memoryKiB: 2 << 20),
                    ]
                }))
        let source = try Self.source(connection)
        for _ in 0..<3 { _ = try await source.fetchStats() }
        let batch = try await source.fetchStats()
        #expect(capabilityReads.load(ordering: .relaxed) == 1, "the capabilities XML is read once per connection")
        #expect(batch.errors.isEmpty, "\(batch.errors)")
        let host = try #require(batch.host)
        #expect(host.cpus == NodeCPUs(present: 8, online: 6))
        #expect(host.cellsFreeMemory == [0: 1 << 30, 1: 2 << 30])
        #expect(host.freeHugePages == [0: [2048: 1, 1_048_576: 512], 1: [2048: 11, 1_048_576: 522]])
        #expect(host.running == HostStats.Allocation(vcpus: 2, memoryKiB: 2 * 65536))
        #expect(host.inactive == HostStats.Allocation(vcpus: 6, memoryKiB: 3 << 20))

        let families = Dictionary(uniqueKeysWithValues: HostFamilies.families(of: host).map { ($0.name, $0) })
        #expect(families["libvirt_node_cpus_online"]?.samples.map(\.value) == [.unsigned(6)])
        #expect(families["libvirt_node_numa_cell_memory_bytes"]?.samples.count == 2)
        #expect(families["libvirt_node_numa_cell_hugepages_free"]?.samples.count == 4)
        let memory = families["libvirt_node_domain_memory_bytes"]?.samples.map(\.value)
        #expect(memory == [.unsigned(2 * 65536 * 1024), .unsigned(3 << 30)], "KiB become bytes")
    }

    @Test func whatTheDriverLacksOrADomainDidNotSayIsAbsentNotZero() async throws {
        let freePageCalls = Atomic<Int>(0)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [Self.allocated("web"), runningDomain("stuck", partial: true)] },
            node: ScriptedNode(
                onFreePages: { _, _ throws(LibvirtError) in
                    freePageCalls.add(1, ordering: .relaxed)
                    throw LibvirtError(
                        function: "virNodeGetFreePages", code: .noSupport, origin: 0, message: "not supported")
                },
                onInactiveDomainStats: { _ throws(LibvirtError) in
                    throw LibvirtError(
                        function: "virConnectGetAllDomainStats", code: .internalError, origin: 0, message: "broken")
                }))
        let source = try Self.source(connection, scope: CollectionScope(parts: [.host, .balloon, .vcpu]))
        let first = try await source.fetchStats()
        let second = try await source.fetchStats()
        #expect(freePageCalls.load(ordering: .relaxed) == 1, "an unsupported call is not made again")
        let unsupported = first.errors.filter { $0.call == "virNodeGetFreePages" }
        #expect(unsupported.count == 1 && unsupported[0].isExpected, "\(first.errors)")
        #expect(!second.errors.contains { $0.call == "virNodeGetFreePages" })
        #expect(second.errors.contains { $0.call == "virConnectGetAllDomainStats" && $0.reason == "internal_error" })
        let host = try #require(second.host)
        #expect(host.freeHugePages == nil)
        #expect(host.inactive == nil, "a failed read is absent, not zero")
        #expect(host.running == nil, "a running domain without its vCPUs leaves the sum unknown, not too small")
        #expect(host.cpus != nil && host.cellsFreeMemory != nil, "the other calls still give their numbers")
        let names = Set(HostFamilies.families(of: host).map(\.name))
        #expect(
            !names.contains("libvirt_node_domain_vcpus") && !names.contains("libvirt_node_numa_cell_hugepages_free"))
    }

    @Test func theHostPartOffMakesNoHostCall() async throws {
        let capabilityReads = Atomic<Int>(0)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web")] },
            node: ScriptedNode(onCapabilities: {
                capabilityReads.add(1, ordering: .relaxed)
                return Self.twoCells
            }))
        let source = try Self.source(connection, scope: CollectionScope(parts: [.cpu]))
        let batch = try await source.fetchStats()
        #expect(batch.host == nil)
        #expect(capabilityReads.load(ordering: .relaxed) == 0)
    }
}
