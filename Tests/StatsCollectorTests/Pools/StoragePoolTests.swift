import Logging
import TestSupport
import Testing

@testable import StatsCollector

/// Storage pools on scripted libvirt calls: pools that answer, fail, or do not answer, beside domains.
@Suite struct StoragePoolTests {
    private static let logger = Logger(label: "pool-tests", factory: { _ in SwiftLogNoOpLogHandler() })
    /// The default parts but the host's and the inventory's, whose calls beside the pools' have
    /// tests of their own and would share the pools' deadline on a loaded machine.
    private static let scope = CollectionScope(parts: CollectionScope.defaults.parts.subtracting([.host, .inventory]))

    private static func runner(deadline: Duration = .seconds(4)) -> LibvirtCallRunner {
        LibvirtCallRunner(
            pool: BlockingCallPool(name: "pool-tests", maximumThreads: 6), deadline: deadline, logger: logger)
    }

    private static let identities = [
        StoragePoolIdentity(name: "default", uuid: "u-default"), StoragePoolIdentity(name: "off", uuid: "u-off"),
        StoragePoolIdentity(name: "broken", uuid: "u-broken"), StoragePoolIdentity(name: "stuck", uuid: "u-stuck"),
    ]

    /// A host with a running pool, an inactive one, one whose info call fails and one whose info
    /// call waits at `stuck` until the test opens it.
    private static func connection(stuck: Latch) -> ScriptedConnection {
        ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web")] },
            pools: ScriptedPools(
                onList: { identities },
                onInfo: { name throws(LibvirtError) in
                    switch name {
                    case "off": return StoragePoolInfo(state: 0, capacity: 0, allocation: 0, available: 0)
                    case "broken":
                        throw LibvirtError(
                            function: "virStoragePoolGetInfo", code: .systemError, origin: 18,
                            message: "cannot stat /srv/broken")
                    case "stuck": stuck.wait()
                    default: break
                    }
                    return StoragePoolInfo(state: 2, capacity: 10_000, allocation: 4_000, available: 6_000)
                },
                onXML: { name in name == "off" ? "<pool type='logical'><name>off</name></pool>" : "<pool type='dir'/>" }
            ))
    }

    @Test func poolsAreReadBesideTheDomainsAndAFailingOrStuckPoolIsLeftOutAndCounted() async throws {
        let stuck = Latch()
        defer { stuck.open() }
        let connection = Self.connection(stuck: stuck)
        let runner = Self.runner()
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(connection), runner: runner, scope: Self.scope,
            logger: Self.logger)

        let first = try await source.fetchStats()
        #expect(first.domains.map(\.name) == ["web"], "the domains come whatever the pools do")
        let pools = try #require(first.pools)
        #expect(pools.map(\.identity.name) == ["default", "off"])
        #expect(pools.map(\.type) == ["dir", "logical"])
        #expect(pools[0].info.capacity == 10_000 && pools[0].hasSizes)
        #expect(!pools[1].hasSizes, "an inactive pool's zeros are not sizes")
        let failures = Dictionary(first.errors.map { ("\($0.call) \($0.reason)", $0.message) }) { a, _ in a }
        #expect(failures["virStoragePoolGetInfo system_error"]?.contains("broken") == true, "\(first.errors)")
        #expect(failures["virStoragePoolGetInfo deadline_exceeded"]?.contains("stuck") == true, "\(first.errors)")

        // The stuck pool's call still waits: it gets no second call, and the others are read again.
        let second = try await source.fetchStats()
        #expect(second.pools?.map(\.identity.name) == ["default", "off"])
        #expect(connection.count("virStoragePoolGetInfo stuck") == 1, "one call in flight, never a second")
        #expect(connection.count("virStoragePoolGetInfo default") == 2)
        #expect(connection.count("virStoragePoolGetXMLDesc default") == 1, "a pool's type is read once")

        stuck.open()
        #expect(await eventually { runner.pool.overdueCalls == 0 })
        let third = try await source.fetchStats()
        #expect(third.pools?.map(\.identity.name) == ["default", "off", "stuck"])
    }

    @Test func aListingThatFailsCostsThePoolsOnly() async throws {
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web")] },
            pools: ScriptedPools(onList: { () throws(LibvirtError) in
                throw LibvirtError(
                    function: "virConnectListAllStoragePools", code: .noSupport, origin: 18,
                    message: "no storage driver")
            }))
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(connection), runner: Self.runner(), scope: Self.scope,
            logger: Self.logger)
        let batch = try await source.fetchStats()
        #expect(batch.domains.map(\.name) == ["web"])
        #expect(batch.pools == [])
        #expect(batch.errors.map(\.call) == ["virConnectListAllStoragePools"])
    }

    @Test func theCollectorPublishesPoolsAndCountsTheirFailures() async throws {
        let stuck = Latch()
        stuck.open()
        let store = SnapshotStore()
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(Self.connection(stuck: stuck)),
            // Nothing waits here (the stuck pool is let go): a long deadline, so that a loaded
            // machine cannot run the pools' budget out before the failing pool is read.
            runner: Self.runner(deadline: .seconds(20)), scope: Self.scope, logger: Self.logger)
        let collector = Collector(
            source: source, store: store, exporterVersion: "1", libvirtVersion: "9.0.0", logger: Self.logger)
        await collector.collectOnce()
        await collector.collectOnce()
        let text = ParsedExposition(String(decoding: try #require(store.latest).text.array, as: UTF8.self))
        let running = ["storage_pool": "default"]
        #expect(
            text.value("libvirt_storage_pool_info", ["storage_pool": "off", "uuid": "u-off", "type": "logical"]) == 1)
        #expect(text.value("libvirt_storage_pool_state", running) == 2)
        #expect(text.value("libvirt_storage_pool_capacity_bytes", running) == 10_000)
        #expect(text.value("libvirt_storage_pool_allocation_bytes", running) == 4_000)
        #expect(text.value("libvirt_storage_pool_available_bytes", running) == 6_000)
        #expect(text.value("libvirt_storage_pool_state", ["storage_pool": "off"]) == 0)
        #expect(text.value("libvirt_storage_pool_capacity_bytes", ["storage_pool": "off"]) == nil, "absent, not 0")
        #expect(text.samples("libvirt_storage_pool_state", ["storage_pool": "broken"]).isEmpty)
        #expect(
            text.value(
                "libvirt_exporter_collection_errors_total",
                ["call": "virStoragePoolGetInfo", "reason": "system_error"]) == 2)
        #expect(text.value("libvirt_domain_info_cpu_time_seconds_total", ["domain": "web"]) != nil)
        #expect(text.value("libvirt_up") == 1)
    }
}
