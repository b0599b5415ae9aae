import Foundation
import Logging
import PromFormat
import Synchronization
import TestSupport
import Testing

@testable import StatsCollector

/// A job update re-renders one domain's job series and the self-metrics, and leaves every other
/// byte of the snapshot as the last collection rendered it.
@Suite struct JobUpdateRenderTests {
    /// A source that answers each fetch with the next batch of a script.
    private final class ScriptedSource: StatsSource {
        private let batches: Mutex<[StatsBatch]>

        init(_ batches: [StatsBatch]) {
            self.batches = Mutex(batches)
        }

        func fetchStats() async throws(CollectionError) -> StatsBatch {
            batches.withLock { $0.removeFirst() }
        }
    }

    /// A running domain with one disk, one NIC and CPU time, its counters grown by `step`, and the
    /// given job fields.
    private static func domain(_ name: String, step: UInt64, job: [TypedParameter]) -> DomainStats {
        let counters: [(String, UInt64)] = [
            ("block.0.rd.reqs", 100), ("block.0.rd.bytes", 409_600), ("block.0.rd.times", 2_000_000),
            ("block.0.wr.reqs", 50), ("block.0.wr.bytes", 204_800), ("block.0.wr.times", 3_000_000),
            ("block.0.fl.reqs", 10), ("block.0.fl.times", 500_000), ("net.0.rx.bytes", 1_000),
            ("net.0.tx.bytes", 2_000), ("cpu.time", 5_000_000_000),
        ]
        var parameters: [TypedParameter] = [
            .init(field: "state.state", value: .int(1)), .init(field: "block.count", value: .uint(1)),
            .init(field: "block.0.name", value: .string("vda")),
            .init(field: "block.0.path", value: .string("/var/lib/\(name).qcow2")),
            .init(field: "net.count", value: .uint(1)), .init(field: "net.0.name", value: .string("tap-\(name)")),
        ]
        parameters += counters.map { .init(field: $0.0, value: .ullong($0.1 * (1 + step))) }
        return DomainStats(name: name, uuid: "uuid-\(name)", parameters: parameters + job)
    }

    private static func migrationJob(elapsedMilliseconds: UInt64, processed: UInt64) -> [TypedParameter] {
        [
            .init(field: "job.type", value: .int(2)), .init(field: "job.operation", value: .int(3)),
            .init(field: "job.time_elapsed", value: .ullong(elapsedMilliseconds)),
            .init(field: "job.data_total", value: .ullong(1_000_000)),
            .init(field: "job.data_processed", value: .ullong(processed)),
            .init(field: "job.data_remaining", value: .ullong(1_000_000 - processed)),
            .init(field: "job.memory_iteration", value: .ullong(elapsedMilliseconds / 1000)),
            .init(field: "job.memory_remaining", value: .ullong(1_000_000 - processed)),
            .init(field: "migration.max_downtime", value: .ullong(300)),
        ]
    }

    private static let noJob: [TypedParameter] = [.init(field: "job.type", value: .int(0))]

    private static func isJobOrSelfLine(_ line: Substring) -> Bool {
        let name = line.hasPrefix("# ") ? line.split(separator: " ")[2] : line.prefix { $0 != "{" && $0 != " " }
        return [
            "libvirt_domain_job_", "libvirt_domain_completed_job_", "libvirt_domain_migration_", "libvirt_exporter_",
        ]
        .contains { name.hasPrefix($0) } || name == "libvirt_up"
    }

    private static func lines(_ snapshot: MetricsSnapshot) -> [Substring] {
        String(decoding: snapshot.text.array, as: UTF8.self).split(separator: "\n")
    }

    private static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let (status, output) = try Gunzip.run(bytes)
        #expect(status == 0)
        return output
    }

    private func collector(_ batches: [StatsBatch], store: SnapshotStore) -> Collector {
        Collector(
            source: ScriptedSource(batches), store: store, exporterVersion: "1.2.3", libvirtVersion: "9.0.0",
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func jobUpdatesLeaveEveryOtherLineAsTheCollectionRenderedIt() async throws {
        let batches = (0..<2).map { step in
            StatsBatch(domains: [
                Self.domain(
                    "mig", step: UInt64(step),
                    job: Self.migrationJob(elapsedMilliseconds: 1000 + 1000 * UInt64(step), processed: 100_000)),
                Self.domain("web", step: UInt64(step), job: Self.noJob),
                Self.domain("db", step: UInt64(step), job: Self.noJob),
            ])
        }
        let store = SnapshotStore()
        let collector = collector(batches, store: store)
        await collector.collectOnce()
        await collector.collectOnce()
        let collected = try #require(store.latest)
        let before = Self.lines(collected)
        let exposition = ParsedExposition(before.joined(separator: "\n"))
        for latency in ["read", "write", "flush"] {
            #expect(
                exposition.value("libvirt_domain_block_\(latency)_latency_seconds", ["domain": "web"]) != nil,
                "the fixture gives the two-counter gauges")
        }

        for (poll, processed) in [(1, 300_000), (2, 600_000), (3, 650_000)] {
            await collector.apply(
                JobUpdate(
                    domain: "mig",
                    parameters: Self.migrationJob(
                        elapsedMilliseconds: UInt64(3000 + 1000 * poll), processed: UInt64(processed)),
                    readAt: .now),
                polls: UInt64(poll))
            let updated = try #require(store.latest)
            let after = Self.lines(updated)
            #expect(after.filter { !Self.isJobOrSelfLine($0) } == before.filter { !Self.isJobOrSelfLine($0) })
            let otherJobLines = { (lines: [Substring]) in
                lines.filter { Self.isJobOrSelfLine($0) && !$0.contains("domain=\"mig\"") && !$0.hasPrefix("#") }
                    .filter { !$0.hasPrefix("libvirt_exporter_") && !$0.hasPrefix("libvirt_up") }
            }
            #expect(otherJobLines(after) == otherJobLines(before), "other domains' job series stay")
            let parsed = ParsedExposition(after.joined(separator: "\n"))
            #expect(parsed.value("libvirt_domain_job_data_processed_bytes", ["domain": "mig"]) == Double(processed))
            #expect(
                parsed.value("libvirt_domain_job_data_progress_ratio", ["domain": "mig"]) == Double(processed) / 1e6)
            #expect(parsed.value("libvirt_exporter_job_polls_total") == Double(poll))
            #expect(try Self.gunzip(try #require(updated.gzip).array) == updated.text.array)
        }
    }

    @Test func aJobThatEndsTakesItsFamiliesAwayAndTheBodyStaysValid() async throws {
        let batches = [
            StatsBatch(domains: [
                Self.domain("mig", step: 0, job: Self.migrationJob(elapsedMilliseconds: 1000, processed: 1000)),
                Self.domain("web", step: 0, job: Self.noJob),
            ])
        ]
        let store = SnapshotStore()
        let collector = collector(batches, store: store)
        await collector.collectOnce()
        await collector.apply(
            JobUpdate(
                domain: "mig",
                parameters: Self.noJob + [
                    .init(field: "completedjob.type", value: .int(3)),
                    .init(field: "completedjob.operation", value: .int(3)),
                    .init(field: "completedjob.time_elapsed", value: .ullong(9000)),
                ], readAt: .now), polls: 1)
        let snapshot = try #require(store.latest)
        let text = String(decoding: snapshot.text.array, as: UTF8.self)
        #expect(!text.contains("libvirt_domain_job_data_total_bytes"), "no family without samples, not even its HELP")
        #expect(!text.contains("libvirt_domain_migration_max_downtime_seconds"))
        let exposition = ParsedExposition(text)
        #expect(exposition.value("libvirt_domain_completed_job_elapsed_seconds", ["domain": "mig"]) == 9)
        #expect(exposition.value("libvirt_domain_job_type", ["domain": "mig"]) == 0)
        #expect(exposition.value("libvirt_domain_job_type", ["domain": "web"]) == 0)
        // Each family once, its lines together, in name order.
        let typeLines = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map {
            $0.split(separator: " ")[2]
        }
        #expect(typeLines == typeLines.sorted() && Set(typeLines).count == typeLines.count)
        var seen: Set<Substring> = []
        var current: Substring = ""
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            if name != current {
                #expect(seen.insert(name).inserted, "\(name) is contiguous")
                current = name
            }
        }
        #expect(try Self.gunzip(try #require(snapshot.gzip).array) == snapshot.text.array)
    }
}
