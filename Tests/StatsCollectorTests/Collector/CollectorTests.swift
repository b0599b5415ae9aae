import Logging
import PromFormat
import Synchronization
import TestSupport
import Testing

@testable import StatsCollector

/// A source whose answers the test scripts, one per fetch.
private final class ScriptedSource: StatsSource {
    private let answers: Mutex<[Result<StatsBatch, CollectionError>]>

    init(_ answers: [Result<StatsBatch, CollectionError>]) {
        self.answers = Mutex(answers)
    }

    func fetchStats() async throws(CollectionError) -> StatsBatch {
        try answers.withLock { $0.removeFirst() }.get()
    }
}

extension DomainStats {
    fileprivate func renamed(_ name: String) -> DomainStats {
        DomainStats(name: name, uuid: uuid + "-" + name, parameters: parameters)
    }
}

@Suite struct CollectorTests {
    private static let domain = DomainStats(
        name: "web", uuid: "u-1", parameters: [.init(field: "state.state", value: .int(1))])
    private static let refused = CollectionError(
        call: "virConnectOpenReadOnly", reason: "system_error", message: "Failed to connect socket: Connection refused")

    private func snapshotText(_ store: SnapshotStore) throws -> ParsedExposition {
        ParsedExposition(String(decoding: try #require(store.latest).text.array, as: UTF8.self))
    }

    private func collector(_ answers: [Result<StatsBatch, CollectionError>], store: SnapshotStore) -> Collector {
        Collector(
            source: ScriptedSource(answers), store: store, exporterVersion: "1.2.3", revision: "abc123",
            libvirtVersion: "9.0.0",
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func publishesDomainsAndSelfMetrics() async throws {
        let store = SnapshotStore()
        #expect(store.latest == nil)
        let collector = collector([.success(StatsBatch(domains: [Self.domain]))], store: store)
        #expect(await collector.collectOnce())
        let exposition = try snapshotText(store)
        #expect(exposition.value("libvirt_up") == 1)
        #expect(exposition.value("libvirt_domain_info_state", ["domain": "web"]) == 1)
        #expect(exposition.value("libvirt_domain_info", ["domain": "web", "uuid": "u-1"]) == 1)
        #expect(exposition.value("libvirt_exporter_domains") == 1)
        #expect(exposition.value("libvirt_exporter_collections_total") == 1)
        #expect(exposition.value("libvirt_exporter_last_collection_success") == 1)
        #expect(
            exposition.value(
                "libvirt_exporter_build_info", ["version": "1.2.3", "revision": "abc123", "libvirt_version": "9.0.0"])
                == 1)
        #expect(exposition.samples("libvirt_exporter_collection_errors_total").isEmpty)
        #expect(try #require(exposition.value("libvirt_exporter_last_collection_timestamp_seconds")) > 1_700_000_000)
    }

    @Test func anUnreachableSourceDropsDomainSeriesAndCountsTheError() async throws {
        let store = SnapshotStore()
        let collector = collector(
            [
                .success(StatsBatch(domains: [Self.domain])), .failure(Self.refused), .failure(Self.refused),
                .success(StatsBatch(domains: [Self.domain])),
            ],
            store: store)
        await collector.collectOnce()
        #expect(await collector.collectOnce() == false)
        await collector.collectOnce()
        var exposition = try snapshotText(store)
        #expect(exposition.value("libvirt_up") == 0)
        #expect(exposition.samples("libvirt_domain_info").isEmpty)
        #expect(exposition.samples("libvirt_exporter_domains").isEmpty)
        #expect(
            exposition.value(
                "libvirt_exporter_collection_errors_total",
                ["call": "virConnectOpenReadOnly", "reason": "system_error"]) == 2)
        #expect(exposition.value("libvirt_exporter_last_collection_success") == 0)

        #expect(await collector.collectOnce())
        exposition = try snapshotText(store)
        #expect(exposition.value("libvirt_up") == 1)
        #expect(exposition.value("libvirt_domain_info", ["domain": "web"]) == 1)
        #expect(exposition.value("libvirt_exporter_collections_total") == 4)
        #expect(
            exposition.value(
                "libvirt_exporter_collection_errors_total",
                ["call": "virConnectOpenReadOnly", "reason": "system_error"]) == 2)
    }

    @Test func aPartialFailureKeepsEveryDomain() async throws {
        let store = SnapshotStore()
        let failure = CollectionError(
            call: "virDomainGetJobStats", reason: "operation_timeout", domain: "db", message: "timeout")
        let collector = collector([.success(StatsBatch(domains: [Self.domain], errors: [failure]))], store: store)
        #expect(await collector.collectOnce())
        let exposition = try snapshotText(store)
        #expect(exposition.value("libvirt_up") == 1)
        #expect(exposition.value("libvirt_domain_info_state", ["domain": "web"]) == 1)
        #expect(exposition.value("libvirt_exporter_last_collection_success") == 0)
        #expect(
            exposition.value(
                "libvirt_exporter_collection_errors_total",
                ["call": "virDomainGetJobStats", "reason": "operation_timeout"]) == 1)
    }

    @Test func aJobUpdateReplacesTheDomainsJobFieldsAtOnce() async throws {
        let store = SnapshotStore()
        let running = DomainStats(
            name: "web", uuid: "u-1",
            parameters: [
                .init(field: "state.state", value: .int(1)), .init(field: "job.type", value: .int(2)),
                .init(field: "job.operation", value: .int(8)), .init(field: "job.time_elapsed", value: .ullong(1000)),
                .init(field: "job.data_processed", value: .ullong(100)),
                .init(field: "job.data_total", value: .ullong(1000)),
            ])
        let collector = collector(
            [.success(StatsBatch(domains: [running, Self.domain.renamed("idle")]))], store: store)
        await collector.collectOnce()
        #expect(await collector.domainsWithActiveJobs == ["web"])
        #expect(try snapshotText(store).value("libvirt_domain_job_data_progress_ratio", ["domain": "web"]) == 0.1)

        await collector.apply(
            JobUpdate(
                domain: "web",
                parameters: [
                    .init(field: "job.type", value: .int(2)), .init(field: "job.operation", value: .int(8)),
                    .init(field: "job.time_elapsed", value: .ullong(3000)),
                    .init(field: "job.data_processed", value: .ullong(500)),
                    .init(field: "job.data_total", value: .ullong(1000)),
                ], readAt: .now), polls: 7)
        var exposition = try snapshotText(store)
        #expect(exposition.value("libvirt_domain_job_data_progress_ratio", ["domain": "web"]) == 0.5)
        #expect(exposition.value("libvirt_domain_job_data_transfer_bytes_per_second", ["domain": "web"]) == 200)
        #expect(exposition.value("libvirt_exporter_job_polls_total") == 7)
        #expect(exposition.value("libvirt_domain_info_state", ["domain": "idle"]) == 1, "other domains stay")

        await collector.apply(
            JobUpdate(
                domain: "web",
                parameters: [
                    .init(field: "job.type", value: .int(0)), .init(field: "completedjob.type", value: .int(3)),
                    .init(field: "completedjob.operation", value: .int(8)),
                    .init(field: "completedjob.time_elapsed", value: .ullong(4000)),
                ], readAt: .now), polls: 8)
        exposition = try snapshotText(store)
        #expect(exposition.samples("libvirt_domain_job_data_progress_ratio").isEmpty)
        #expect(exposition.value("libvirt_domain_job_type", ["domain": "web"]) == 0)
        #expect(exposition.value("libvirt_domain_completed_job_elapsed_seconds", ["domain": "web"]) == 4)
        #expect(await collector.domainsWithActiveJobs.isEmpty)
    }

    /// A collection that could not read a migrating domain's job (the domain was busy with the
    /// poller's call) keeps the last poll's job fields, so the job's series have no gap; a poll
    /// read before the last collection started is older than the job fields that collection read,
    /// and is left out.
    @Test func aBusyDomainKeepsItsLastPolledJobAndOlderPollsAreLeftOut() async throws {
        let store = SnapshotStore()
        func job(pass: Int64) -> [TypedParameter] {
            [
                .init(field: "job.type", value: .int(2)), .init(field: "job.operation", value: .int(5)),
                .init(field: "job.memory_iteration", value: .ullong(UInt64(pass))),
            ]
        }
        let state = [TypedParameter(field: "state.state", value: .int(1))]
        func web(_ parameters: [TypedParameter]) -> Result<StatsBatch, CollectionError> {
            .success(StatsBatch(domains: [DomainStats(name: "web", uuid: "u-1", parameters: parameters)]))
        }
        let collector = collector(
            [web(state + job(pass: 2)), web(state), web(state + job(pass: 5)), web(state)], store: store)
        func pass() throws -> Double? {
            try snapshotText(store).value("libvirt_domain_job_memory_iteration", ["domain": "web"])
        }
        await collector.collectOnce()
        await collector.apply(JobUpdate(domain: "web", parameters: job(pass: 3), readAt: .now), polls: 1)
        await collector.collectOnce()
        #expect(try pass() == 3, "the domain was busy: the poll stands in")
        let beforeThird = ContinuousClock.now
        await collector.collectOnce()
        #expect(try pass() == 5)
        await collector.apply(JobUpdate(domain: "web", parameters: job(pass: 4), readAt: beforeThird), polls: 2)
        #expect(try pass() == 5, "a poll older than the collection's own job fields is left out")
        await collector.collectOnce()
        #expect(try pass() == nil, "no poll since the previous collection started stands in")
    }

    /// A job update and the events of `cafe\u{301}` are that domain's, not those of `caf\u{E9}`.
    @Test func jobUpdatesAndEventsGoToTheDomainOfTheExactName() async throws {
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        let store = SnapshotStore()
        let collector = collector(
            [.success(StatsBatch(domains: [Self.domain.renamed(precomposed), Self.domain.renamed(decomposed)]))],
            store: store)
        await collector.collectOnce()
        await collector.count(DomainEvent(domain: precomposed, kind: .lifecycle(.suspended, detail: 0)))
        await collector.count(DomainEvent(domain: decomposed, kind: .lifecycle(.suspended, detail: 0)))
        await collector.apply(
            JobUpdate(domain: decomposed, parameters: [.init(field: "job.type", value: .int(2))], readAt: .now),
            polls: 1)
        let text = String(decoding: try #require(store.latest).text.array, as: UTF8.self)
        func lines(_ metric: String) -> [[UInt8]] {
            text.split(separator: "\n").filter { $0.hasPrefix(metric + "{") }.map { Array($0.utf8) }
        }
        #expect(lines("libvirt_domain_job_type") == [Array("libvirt_domain_job_type{domain=\"\(decomposed)\"} 2".utf8)])
        #expect(lines("libvirt_domain_info_state").count == 2)
        #expect(lines("libvirt_domain_events_total").count == 2, "one series per domain")
        #expect(await collector.domainsWithActiveJobs == [ExactText(decomposed)])
    }

    /// A call not made is counted by reason and makes the collection not a success; a hung
    /// libvirtd's workers (the listing answered) keep `libvirt_up` at 1.
    @Test func skippedCallsAndBusyWorkersAreAccountedFor() async throws {
        let store = SnapshotStore()
        var busy = CollectionError(call: "virConnectGetAllDomainStats", reason: "deadline_exceeded", message: "busy")
        busy.libvirtAnswered = true
        let skipped = CollectionError.skipped(
            "per-domain calls", domain: "web", reason: CollectionError.inFlight, message: "held")
        let collector = collector(
            [.success(StatsBatch(domains: [Self.domain], errors: [skipped])), .failure(busy)], store: store)
        await collector.collectOnce()
        var exposition = try snapshotText(store)
        #expect(
            exposition.value(
                "libvirt_exporter_skipped_calls_total", ["call": "per-domain calls", "reason": "in_flight"]) == 1)
        #expect(exposition.samples("libvirt_exporter_collection_errors_total").isEmpty)
        #expect(exposition.value("libvirt_exporter_last_collection_success") == 0)
        await collector.collectOnce()
        exposition = try snapshotText(store)
        #expect(exposition.value("libvirt_up") == 1, "libvirtd answered the listing")
        #expect(exposition.value("libvirt_exporter_collection_stale") == 1, "no fresh domain series")
        #expect(exposition.samples("libvirt_domain_info_state").isEmpty)
    }

    @Test func snapshotCarriesGzipOfItsText() throws {
        let snapshot = MetricsSnapshot(text: Array("libvirt_up 1\n".utf8))
        let gzip = try #require(snapshot.gzip)
        #expect(gzip.array.starts(with: [0x1f, 0x8b]))
        #expect(snapshot.text.array == Array("libvirt_up 1\n".utf8))
    }

    @Test func retryDelaysDoubleUpToTheCapAndReset() {
        var delay = RetryDelay(first: .seconds(1), cap: .seconds(5))
        #expect((0..<5).map { _ in delay.next() } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        delay.reset()
        #expect(delay.next() == .seconds(1))
        var short = RetryDelay(first: .seconds(1), cap: .milliseconds(500))
        #expect(short.next() == .milliseconds(500))
    }
}
