import TestSupport
import Testing

@testable import StatsCollector

@Suite struct DomainFactsTests {
    private static let uuid = "5c1f0b3e-8a0e-4f4c-9a55-3a1d2b9e7c01"
    /// A Nova 1.1 domain as `virsh dumpxml` shows one, with an RBD disk, a config drive, a bridged
    /// NIC and a second, custom metadata namespace.
    private static let novaFixture = "StatsCollectorTests/Fixtures/nova-1.1-domain.xml"

    private static func record(_ name: String = "instance-0000002a", uuid: String = uuid, active: Bool = true)
        -> DomainStats
    {
        DomainStats(
            name: name, uuid: uuid,
            parameters: [
                .init(field: "state.state", value: .int(active ? 1 : 5)),
                .init(field: "block.count", value: .uint(2)), .init(field: "block.0.name", value: .string("vda")),
                .init(field: "block.1.name", value: .string("sda")), .init(field: "net.count", value: .uint(1)),
                .init(field: "net.0.name", value: .string("tap1234")),
            ])
    }

    @Test func novaMetadataOfVersion1Dot1() throws {
        let facts = DomainFacts(xml: try Fixtures.text(Self.novaFixture), uuid: Self.uuid)
        #expect(
            facts.nova == [
                "metadata.nova.instance_name": "db-primary", "metadata.nova.instance_id": Self.uuid,
                "metadata.nova.flavor_name": "m1.large", "metadata.nova.user_name": "alice",
                "metadata.nova.user_id": "9f2d4c1a6b0e4d2f8a3b5c7d9e1f2a3b",
                "metadata.nova.project_name": "storage-team",
                "metadata.nova.project_id": "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6",
            ])
    }

    @Test func novaMetadataOfVersion1Dot0AndOfOtherNamespaces() throws {
        let version10 = try Fixtures.text(Self.novaFixture).replacing("nova/1.1", with: "nova/1.0")
        #expect(DomainFacts(xml: version10, uuid: Self.uuid).nova["metadata.nova.flavor_name"] == "m1.large")
        let version20 = try Fixtures.text(Self.novaFixture).replacing("nova/1.1", with: "nova/2.0")
        #expect(DomainFacts(xml: version20, uuid: Self.uuid).nova.isEmpty, "only Nova's 1.x namespaces")
        let unqualified = try Fixtures.text(Self.novaFixture).replacing(
            "xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\"", with: "xmlns:nova=\"urn:other\"")
        #expect(DomainFacts(xml: unqualified, uuid: Self.uuid).nova.isEmpty, "by namespace, not by prefix")
    }

    @Test func missingAndMalformedXMLGiveNoFacts() {
        let bare = DomainFacts(xml: "<domain><name>x</name></domain>", uuid: Self.uuid)
        #expect(bare.nova.isEmpty && bare.disks.isEmpty && bare.interfaces.isEmpty)
        let broken = DomainFacts(xml: "<domain><metadata><nova:instance", uuid: Self.uuid)
        #expect(broken == DomainFacts(xml: "", uuid: Self.uuid))
        #expect(broken.nova.isEmpty && broken.disks.isEmpty)
    }

    @Test func diskAndInterfaceDetailsLandAtTheirDevicesIndices() throws {
        let facts = DomainFacts(xml: try Fixtures.text(Self.novaFixture), uuid: Self.uuid)
        let fields = Dictionary(
            facts.parameters(for: Self.record()).map { ($0.field, $0.value.stringValue ?? "") },
            uniquingKeysWith: { $1 })
        #expect(fields["block.0.disk_type"] == "network")
        #expect(fields["block.0.driver_type"] == "raw")
        #expect(fields["block.0.cache"] == "writeback")
        #expect(fields["block.0.bus"] == "virtio")
        #expect(fields["block.0.serial"] == "358fba2f-19cf-4339-b1cc-e8e9d975a3cb")
        #expect(fields["block.0.source_protocol"] == "rbd")
        #expect(fields["block.0.source_name"] == "volumes/volume-358fba2f")
        #expect(fields["block.1.bus"] == "sata")
        #expect(fields["block.1.source_protocol"] == nil, "absent where the XML has none")
        #expect(fields["net.0.mac"] == "fa:16:3e:12:34:56")
        #expect(fields["net.0.source_bridge"] == "qbr1234")
        #expect(fields["net.0.model"] == "virtio")
        #expect(fields["net.0.type"] == "bridge")
        let suffixes = Set(facts.disks.values.flatMap(\.keys))
        #expect(suffixes.isSubset(of: Set(MetricCatalog.DiskFacts.details.map(\.1))), "every detail is a catalog field")
    }

    @Test func theCacheReadsOnlyWhatMayHaveChanged() throws {
        let facts = DomainFacts(xml: try Fixtures.text(Self.novaFixture), uuid: Self.uuid)
        var cache = DomainFactsCache()
        let now = ContinuousClock.now
        let record = Self.record()
        #expect(cache.domainsToRead(in: [record], at: now) == [record.nameKey: 0], "a new domain")
        cache.store(facts, of: record, at: now, clearing: 0)
        #expect(cache.domainsToRead(in: [record], at: now + .seconds(15)).isEmpty, "a steady host reads nothing")
        #expect(cache.facts(of: record) == facts)

        cache.invalidate(record.name)
        #expect(cache.domainsToRead(in: [record], at: now + .seconds(30)) == [record.nameKey: 1], "a metadata event")
        cache.store(facts, of: record, at: now + .seconds(30), clearing: 1)

        let redefined = Self.record(uuid: "another-uuid")
        #expect(cache.domainsToRead(in: [redefined], at: now + .seconds(45)) == [record.nameKey: 0], "defined anew")
        #expect(cache.facts(of: redefined) == nil, "never another domain's facts")

        var unplugged = record
        unplugged.parameters.removeAll { $0.field == "block.1.name" }
        #expect(cache.domainsToRead(in: [unplugged], at: now + .seconds(45)) == [record.nameKey: 0], "a device went")

        #expect(
            cache.domainsToRead(in: [record], at: now + .seconds(30) + DomainFactsCache.refreshPeriod) == [
                record.nameKey: 0
            ],
            "the safety net")

        let stopped = Self.record(active: false)
        _ = cache.facts(of: stopped)
        #expect(cache.domainsToRead(in: [stopped], at: now + .seconds(60)).isEmpty, "a stopped domain is not read")
        #expect(cache.domainsToRead(in: [record], at: now + .seconds(75)) == [record.nameKey: 0], "it started")

        cache.keep(only: [])
        #expect(cache.facts(of: record) == nil)
    }

    @Test func aCollectionReadsTheXMLOnceAndNovaLabelsTheInfoSeries() async throws {
        let xml = try Fixtures.text(Self.novaFixture)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [Self.record().adding(.init(field: "balloon.current", value: .ullong(1)))] },
            onXML: { _ in xml })
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "facts-tests", maximumThreads: 4), deadline: .seconds(5),
            logger: .init(label: "facts-tests"))
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(connection), runner: runner, logger: .init(label: "facts-tests"))
        for _ in 0..<3 { _ = try await source.fetchStats() }
        #expect(connection.count("virDomainGetXMLDesc") == 1, "read once, then from the cache")
        let batch = try await source.fetchStats()
        let parameters = try #require(batch.domains.first).parameters
        #expect(parameters.contains(.init(field: "metadata.nova.project_name", value: .string("storage-team"))))
        await source.domainMayHaveChanged("instance-0000002a")
        _ = try await source.fetchStats()
        #expect(connection.count("virDomainGetXMLDesc") == 2)
    }
}

extension DomainStats {
    fileprivate func adding(_ parameter: TypedParameter) -> DomainStats {
        DomainStats(name: name, uuid: uuid, parameters: parameters + [parameter])
    }
}
