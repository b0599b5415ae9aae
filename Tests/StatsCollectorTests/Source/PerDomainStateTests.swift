import Logging
import PromFormat
import Synchronization
import Testing

@testable import StatsCollector

/// Every table kept per domain forgets a domain once it is gone: 1,000 domains that come and go
/// leave no more behind than the domains that exist.
@Suite struct PerDomainStateTests {
    private static let logger = Logger(label: "state-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// 100 generations of 10 domains, each living two collections. Of each generation one domain
    /// has a job running, one a failed completed job, one a control interface that times out (a
    /// backoff), one a batch that fails (asked alone afterwards) and one gets events.
    @Test func aThousandDomainsThatComeAndGoLeaveNothingBehind() async throws {
        let generation = Atomic<Int>(0)
        @Sendable func names() -> [String] { (0..<10).map { "g\(generation.load(ordering: .relaxed))-\($0)" } }
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in names().map { runningDomain($0) } },
            onDomainStats: { requested, _, _ throws(LibvirtError) in
                if requested.count > 1, requested.contains(where: { $0.hasSuffix("-3") }) {
                    throw LibvirtError(
                        function: "virDomainListGetStats", code: .internalError, origin: 10, message: "x")
                }
                return requested.map { runningDomain($0) }
            },
            onControlInfo: { name throws(LibvirtError) in
                if name.hasSuffix("-2") {
                    throw LibvirtError(
                        function: "virDomainGetControlInfo", code: .operationTimeout, origin: 10, message: "timeout")
                }
                return DomainControlInfo(state: .ok, stateTime: .zero)
            },
            onJobStats: { name, completed in
                if completed, name.hasSuffix("-1") {
                    return JobStats(
                        type: 4, parameters: [.init(field: "errmsg", value: .string("failed: \(name)"))])
                }
                return JobStats(type: !completed && name.hasSuffix("-0") ? 2 : 0, parameters: [])
            })
        let gate = DomainCallGate()
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "state-tests", maximumThreads: 6), deadline: .seconds(2), logger: Self.logger)
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(connection), runner: runner, gate: gate, logger: Self.logger)
        let collector = Collector(
            source: source, store: SnapshotStore(), exporterVersion: "1", libvirtVersion: "9.0.0", logger: Self.logger)
        let poller = JobPoller(
            uri: "scripted:///", api: ScriptedLibvirt(connection), interval: .seconds(1), runner: runner, gate: gate,
            logger: Self.logger)
        for round in 0..<200 {
            generation.store(round / 2, ordering: .relaxed)
            for name in names() where name.hasSuffix("-4") {
                await collector.count(DomainEvent(domain: name, kind: .lifecycle(.suspended, detail: 0)))
            }
            await collector.collectOnce()
            await CollectorService.updateJobPolling(poller, from: collector)
        }
        let kept = (
            source: await source.retainedDomainCount, collector: await collector.retainedDomainCount,
            gate: gate.retainedDomainCount, poller: await poller.trackedCount
        )
        #expect(kept.source <= 50, "the source's tables: \(kept.source) entries for 10 domains")
        #expect(kept.collector <= 20, "the collector's: \(kept.collector)")
        #expect(kept.gate <= 10, "the gate's backoffs: \(kept.gate)")
        #expect(kept.poller <= 10, "the job poller's tracked domains: \(kept.poller)")
    }
}
