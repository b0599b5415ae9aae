import Logging
import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// The duration and success of each kind of call of a collection, in node_exporter's manner.
@Suite struct CallTimingTests {
    private static let logger = Logger(label: "timing-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func eachKindOfCallIsTimedAndAFailingOneIsNotSuccessful() async throws {
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web")] },
            pools: ScriptedPools(onList: { () throws(LibvirtError) in
                throw LibvirtError(
                    function: "virConnectListAllStoragePools", code: .systemError, origin: 18, message: "broken")
            }))
        let store = SnapshotStore()
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(connection),
            runner: LibvirtCallRunner(
                pool: BlockingCallPool(name: "timing-tests", maximumThreads: 7), deadline: .seconds(5),
                logger: Self.logger),
            logger: Self.logger)
        let collector = Collector(
            source: source, store: store, exporterVersion: "1", libvirtVersion: "9.0.0", logger: Self.logger)
        let started = ContinuousClock.now
        await collector.collectOnce()
        let collection = (ContinuousClock.now - started).inSeconds
        let text = ParsedExposition(String(decoding: try #require(store.latest).text.array, as: UTF8.self))
        let calls = [
            "virConnectGetAllDomainStats", "virDomainListGetStats", "per-domain calls", "storage pools", "host",
            "virConnectListAllDomains",
        ]
        for call in calls {
            let seconds = try #require(text.value("libvirt_exporter_call_duration_seconds", ["call": call]), "\(call)")
            #expect(seconds >= 0 && seconds <= collection, "\(call): \(seconds) s of a \(collection) s collection")
            #expect(text.value("libvirt_exporter_call_success", ["call": call]) == (call == "storage pools" ? 0 : 1))
        }
        #expect(
            text.samples("libvirt_exporter_call_success").count == calls.count,
            "the guest part is off: no series for its report")
    }
}
