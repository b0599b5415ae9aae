import Logging
import TestSupport
import Testing

@testable import StatsCollector

/// Devices and drivers other exporters trip on: SR-IOV and host-device NICs, which have no target
/// name, and drivers without a given API. They give distinct, valid series or none: never a
/// duplicate series (which makes Prometheus reject the whole scrape) and never an error that
/// costs the other domains.
@Suite struct DeviceEdgeCaseTests {
    /// Every sample line's name and labels, and whether any came twice.
    private static func duplicates(in text: String) -> [Substring] {
        var seen: Set<Substring> = []
        var twice: [Substring] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let series = line[..<(line.lastIndex(of: " ") ?? line.endIndex)]
            if !seen.insert(series).inserted { twice.append(series) }
        }
        return twice
    }

    private static func interface(_ index: Int, name: String?, bytes: UInt64) -> [TypedParameter] {
        (name.map { [TypedParameter(field: "net.\(index).name", value: .string($0))] } ?? [])
            + [.init(field: "net.\(index).rx.bytes", value: .ullong(bytes))]
    }

    /// A bulk record as a driver might send it for a domain with a named NIC, a VF passed through
    /// without a name, one with an empty name and one that repeats the first one's name.
    @Test func namelessAndRepeatedInterfaceNamesGiveNoDuplicateSeries() async throws {
        var record = runningDomain("sriov")
        record.parameters.append(.init(field: "net.count", value: .uint(4)))
        record.parameters += Self.interface(0, name: "vnet0", bytes: 100) + Self.interface(1, name: nil, bytes: 200)
        record.parameters += Self.interface(2, name: "", bytes: 300) + Self.interface(3, name: "vnet0", bytes: 400)
        let text = try await FixtureCollection.text(of: [record, runningDomain("other")])
        #expect(Self.duplicates(in: text).isEmpty, "\(Self.duplicates(in: text))")
        let exposition = ParsedExposition(text)
        let received = exposition.samples("libvirt_domain_interface_stats_receive_bytes_total", ["domain": "sriov"])
        #expect(received.map { $0.labels["target_device"] } == ["vnet0"], "nameless interfaces give none: \(received)")
        #expect(received.first?.value == 100, "the first vnet0 keeps its series")
        #expect(exposition.value("libvirt_domain_info_state", ["domain": "other"]) == 1)
        #expect(exposition.value("libvirt_exporter_last_collection_success") == 1)
    }

    /// libvirt's test driver with a node whose domain has two host-device NICs (no `<target>` in
    /// the node file), a network NIC and a user-mode NIC: libvirt 9.0's test driver names all four
    /// (`testnet0` … `testnet3`), and each gets series of its own; the collection succeeds.
    @Test func hostDeviceNICsOfTheTestDriverGiveDistinctSeriesAndNoError() async throws {
        let node = Fixtures.repositoryRoot.appendingPathComponent("Tests/StatsCollectorTests/Fixtures/hostdev-node.xml")
        let logger = Logger(label: "device-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "device-tests", maximumThreads: 4), deadline: .seconds(10), logger: logger)
        let source = try LibvirtStatsSource(uri: "test://\(node.path)", runner: runner, logger: logger)
        let batch = try await source.fetchStats()
        let record = try #require(batch.domains.first { $0.name == "sriov" })
        let names = record.parameters.filter { $0.field.hasPrefix("net.") && $0.field.hasSuffix(".name") }
        #expect(names.compactMap { $0.value.stringValue } == ["testnet0", "testnet1", "testnet2", "testnet3"])
        #expect(batch.errors.allSatisfy { $0.isExpected }, "\(batch.errors)")
        let text = try await FixtureCollection.text(of: batch.domains)
        #expect(Self.duplicates(in: text).isEmpty, "\(Self.duplicates(in: text))")
        let exposition = ParsedExposition(text)
        let targets = exposition.samples("libvirt_domain_interface_stats_receive_bytes_total", ["domain": "sriov"])
            .compactMap { $0.labels["target_device"] }
        #expect(targets.sorted() == ["testnet0", "testnet1", "testnet2", "testnet3"])
        #expect(exposition.value("libvirt_domain_memory_stats_period_seconds", ["domain": "sriov"]) == 10)
        #expect(exposition.value("libvirt_domain_persistent", ["domain": "sriov"]) == 1)
        #expect(exposition.value("libvirt_domain_autostart", ["domain": "off"]) == 0)
    }

    /// A host-device NIC whose XML has no `<target>` (as qemu shows SR-IOV VFs) is left out of the
    /// per-domain fallback's interfaces, rather than asked for by an empty name.
    @Test func aNICWithoutTargetIsNotAskedFor() {
        let xml = """
            <domain><devices><interface type='hostdev' managed='yes'><mac address='52:54:00:6d:90:01'/>
            <source><address type='pci' domain='0' bus='3' slot='16' function='1'/></source></interface>
            <interface type='bridge'><source bridge='br0'/><target dev='vnet0'/></interface></devices></domain>
            """
        #expect(DomainDevices(xml: xml).interfaces == ["vnet0"])
    }

    /// A driver whose bulk call reports only the state (as bhyve's) and that lacks
    /// `virDomainMemoryStats`: the fallback keeps what `virDomainGetInfo` gave; the missing call
    /// costs only its own numbers, is counted once as unsupported and not made again.
    @Test func aDriverWithoutMemoryStatsKeepsItsOtherNumbers() async throws {
        let stateOnly = DomainStats(
            name: "bhyve1", uuid: "u1",
            parameters: [.init(field: "state.state", value: .int(1)), .init(field: "state.reason", value: .int(1))])
        let connection = ScriptedConnection(onBulkStats: { _, _ in [stateOnly] })
        let logger = Logger(label: "device-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "device-tests", maximumThreads: 4), deadline: .seconds(10), logger: logger)
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(connection), runner: runner, logger: logger)
        let batch = try await source.fetchStats()
        let fields = Set(batch.domains.first?.parameters.map(\.field) ?? [])
        #expect(fields.isSuperset(of: ["cpu.time", "balloon.current", "balloon.maximum", "vcpu.current"]), "\(fields)")
        #expect(!fields.contains { $0.hasPrefix("balloon.") && $0 != "balloon.current" && $0 != "balloon.maximum" })
        let refused = batch.errors.filter { $0.call == "virDomainMemoryStats" }
        #expect(refused.count == 1 && refused.allSatisfy(\.isExpected), "counted once, as unsupported: \(batch.errors)")
        let next = try await source.fetchStats()
        #expect(next.errors.isEmpty, "not asked again on this connection: \(next.errors)")
        #expect(next.domains.first?.parameters.contains { $0.field == "cpu.time" } == true)
    }
}
