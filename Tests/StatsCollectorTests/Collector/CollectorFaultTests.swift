import Logging
import Synchronization
import TestSupport
import Testing

@testable import StatsCollector

/// A source that answers each fetch when the test says so.
private actor LateSource: StatsSource {
    private var answers: [StatsBatch]
    private var waiting: CheckedContinuation<Void, Never>?
    private var fetchStarted = false

    init(_ answers: [StatsBatch]) {
        self.answers = answers
    }

    func fetchStats() async throws(CollectionError) -> StatsBatch {
        fetchStarted = true
        await withCheckedContinuation { waiting = $0 }
        return answers.removeFirst()
    }

    var isWaiting: Bool { waiting != nil }

    func answer() {
        waiting?.resume()
        waiting = nil
    }
}

private final class FailingSource: StatsSource {
    let error: CollectionError
    init(_ error: CollectionError) { self.error = error }
    func fetchStats() async throws(CollectionError) -> StatsBatch { throw error }
}

@Suite struct CollectorFaultTests {
    private static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    private func exposition(_ store: SnapshotStore) throws -> ParsedExposition {
        ParsedExposition(String(decoding: try #require(store.latest).text.array, as: UTF8.self))
    }

    /// Runs one collection of `collector`, letting `source` answer once it is asked.
    private func collect(_ collector: Collector, answering source: LateSource, before answer: () async -> Void = {})
        async
    {
        async let collected: Bool = collector.collectOnce()
        #expect(await eventually { await source.isWaiting })
        await answer()
        await source.answer()
        _ = await collected
    }

    @Test func aHungLibvirtPublishesAStaleSnapshotWithoutDomainSeries() async throws {
        let store = SnapshotStore()
        let hung = CollectionError(
            call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded, message: "no answer")
        let collector = Collector(
            source: FailingSource(hung), store: store, exporterVersion: "1", libvirtVersion: "9.0.0",
            logger: Self.logger)
        await collector.collectOnce()
        await collector.collectOnce()
        let text = try exposition(store)
        #expect(text.value("libvirt_up") == 0)
        #expect(text.value("libvirt_exporter_collection_stale") == 1)
        #expect(text.value("libvirt_exporter_stale_snapshots_total") == 2)
        #expect(text.series.filter { $0.name.hasPrefix("libvirt_domain") }.isEmpty, "no domain series")
        #expect(
            text.value(
                "libvirt_exporter_collection_errors_total",
                ["call": "virConnectGetAllDomainStats", "reason": "deadline_exceeded"]) == 2)
    }

    @Test func aPartlyReadDomainIsFlagged() async throws {
        let store = SnapshotStore()
        let batch = StatsBatch(
            domains: [runningDomain("healthy"), runningDomain("stopped", partial: true)],
            incompleteDomains: ["stopped"])
        let late = LateSource([batch])
        let flagged = Collector(
            source: late, store: store, exporterVersion: "1", libvirtVersion: "9.0.0", logger: Self.logger)
        await collect(flagged, answering: late)
        let text = try exposition(store)
        #expect(text.value("libvirt_domain_stats_complete", ["domain": "stopped"]) == 0)
        #expect(text.value("libvirt_domain_stats_complete", ["domain": "healthy"]) == 1)
        #expect(text.value("libvirt_domain_memory_stats_rss_bytes", ["domain": "stopped"]) == nil, "absent, not frozen")
        #expect(text.value("libvirt_exporter_collection_stale") == 0)
        #expect(text.value("libvirt_up") == 1)
    }

    @Test func aCollectionThatLandsAfterAJobUpdateKeepsTheNewerJobFields() async throws {
        let store = SnapshotStore()
        func domain(processed: UInt64) -> DomainStats {
            DomainStats(
                name: "web", uuid: "u",
                parameters: [
                    .init(field: "state.state", value: .int(1)), .init(field: "job.type", value: .int(2)),
                    .init(field: "job.time_elapsed", value: .ullong(1000)),
                    .init(field: "job.data_processed", value: .ullong(processed)),
                    .init(field: "job.data_total", value: .ullong(1000)),
                ])
        }
        let source = LateSource([
            StatsBatch(domains: [domain(processed: 100)]), StatsBatch(domains: [domain(processed: 200)]),
        ])
        let collector = Collector(
            source: source, store: store, exporterVersion: "1", libvirtVersion: "9.0.0", logger: Self.logger)
        await collect(collector, answering: source)

        // The second collection starts, the poller delivers newer fields, then the collection lands.
        await collect(collector, answering: source) {
            await collector.apply(
                JobUpdate(
                    domain: "web",
                    parameters: [
                        .init(field: "job.type", value: .int(2)),
                        .init(field: "job.time_elapsed", value: .ullong(2000)),
                        .init(field: "job.data_processed", value: .ullong(700)),
                        .init(field: "job.data_total", value: .ullong(1000)),
                    ], readAt: .now), polls: 1)
        }
        let text = try exposition(store)
        #expect(text.value("libvirt_domain_job_data_processed_bytes", ["domain": "web"]) == 700)
    }
}

/// Polls an async `condition` every 10 ms for up to 60 s (a loaded CI machine may starve the test).
func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<6000 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
