import Foundation
import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// Fixtures captured with `virt-exporter dump-stats` on real KVM domains of this project's testbed,
/// whose libvirtd (9.0, cgroup v2) refuses per-host-CPU stats: `kvm-job-active.json` 5 s into a
/// `virsh dump --memory-only` job, `kvm-job-completed.json` after a `virsh backup-begin`; each
/// beside `virsh domjobinfo` of the same moment.
@Suite struct JobFixtureTests {
    private func exposition(_ fixture: String) async throws -> ParsedExposition {
        let domains = try FixtureStatsSource(json: Fixtures.data("StatsCollectorTests/Fixtures/\(fixture).json"))
            .domains
        return ParsedExposition(try await FixtureCollection.text(of: domains))
    }

    /// The fields `virsh domjobinfo` printed: "Memory total:     768.250 MiB" is
    /// `["Memory total": (768.25, "MiB")]`; a field without a number has its text and no unit.
    private func domjobinfo(_ fixture: String) throws -> [String: (number: Double?, text: String, unit: String)] {
        var fields: [String: (number: Double?, text: String, unit: String)] = [:]
        for line in try Fixtures.text("StatsCollectorTests/Fixtures/\(fixture).domjobinfo.txt").split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let words = line[line.index(after: colon)...].split(separator: " ")
            let number = words.first.flatMap { Double($0) }
            fields[String(line[..<colon])] = (
                number, words.first.map(String.init) ?? "", number != nil && words.count > 1 ? String(words[1]) : ""
            )
        }
        return fields
    }

    /// A domjobinfo amount in bytes: libvirt prints it in binary units with three decimals.
    private func bytes(_ field: (number: Double?, text: String, unit: String)?) throws -> Double {
        let field = try #require(field)
        let factor: [String: Double] = ["B": 1, "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824]
        return try #require(field.number) * (try #require(factor[field.unit], "unit \(field.unit)"))
    }

    /// The exposition and the domjobinfo text of `fixture`, whose one job series `info` must carry
    /// the job type and operation domjobinfo names.
    private func jobAndDomjobinfo(_ fixture: String, info: String) async throws -> (
        ParsedExposition, [String: (number: Double?, text: String, unit: String)]
    ) {
        let exposition = try await exposition(fixture)
        let text = try domjobinfo(fixture)
        let series = try #require(exposition.samples(info).first)
        #expect(series.labels["type"] == text["Job type"]?.text.lowercased())
        #expect(series.labels["operation"] == text["Operation"]?.text.lowercased())
        return (exposition, text)
    }

    @Test func anActiveDumpJob() async throws {
        let exposition = try await exposition("kvm-job-active")
        let domain = ["domain": "tb-job"]
        #expect(exposition.value("libvirt_domain_job_type", domain) == 2)
        #expect(exposition.value("libvirt_domain_job_operation", domain) == 8)
        #expect(
            exposition.value("libvirt_domain_job_info", ["domain": "tb-job", "type": "unbounded", "operation": "dump"])
                == 1)
        #expect(exposition.value("libvirt_domain_job_elapsed_seconds", domain) == 5.209)
        #expect(exposition.value("libvirt_domain_job_memory_total_bytes", domain) == 805_568_512)
        let progress = try #require(exposition.value("libvirt_domain_job_memory_progress_ratio", domain))
        #expect(abs(progress - 293_081_088.0 / 805_568_512.0) < 1e-12)
        // Fields libvirt leaves out for a dump stay absent.
        #expect(exposition.samples("libvirt_domain_job_data_total_bytes").isEmpty)
        #expect(exposition.samples("libvirt_domain_job_downtime_seconds").isEmpty)
    }

    /// `virsh domjobinfo` ran right after `dump-stats` (about 70 ms later, while the dump went on):
    /// the exported job agrees with it in type, operation and total, and is a little behind it in
    /// time and progress, in the units domjobinfo prints (ms, MiB).
    @Test func theDomjobinfoOfTheSameMomentAgrees() async throws {
        let (exposition, text) = try await jobAndDomjobinfo("kvm-job-active", info: "libvirt_domain_job_info")
        let domain = ["domain": "tb-job"]
        let total = try #require(exposition.value("libvirt_domain_job_memory_total_bytes", domain))
        #expect(abs(total - (try bytes(text["Memory total"]))) < 0.0005 * 1_048_576, "same total, to 3 decimals")
        let elapsed = try #require(exposition.value("libvirt_domain_job_elapsed_seconds", domain))
        let later = try #require(text["Time elapsed"]?.number) / 1000
        #expect(text["Time elapsed"]?.unit == "ms")
        #expect(elapsed <= later && later - elapsed < 0.2, "exported \(elapsed) s, domjobinfo \(later) s")
        let processed = try #require(exposition.value("libvirt_domain_job_memory_processed_bytes", domain))
        let remaining = try #require(exposition.value("libvirt_domain_job_memory_remaining_bytes", domain))
        let processedLater = try bytes(text["Memory processed"])
        #expect(processed <= processedLater && processedLater - processed < 0.01 * total)
        #expect(processed + remaining == total)
        #expect(abs(processedLater + (try bytes(text["Memory remaining"])) - total) < 0.001 * 1_048_576)
    }

    /// The completed job no longer moves: domjobinfo agrees with it exactly.
    @Test func theDomjobinfoOfTheCompletedJobAgrees() async throws {
        let (exposition, text) = try await jobAndDomjobinfo(
            "kvm-job-completed", info: "libvirt_domain_completed_job_info")
        let domain = ["domain": "tbs-001"]
        #expect(text["Time elapsed"]?.unit == "ms")
        #expect(
            exposition.value("libvirt_domain_completed_job_elapsed_seconds", domain)
                == (try #require(text["Time elapsed"]?.number)) / 1000)
        for (metric, field) in [
            ("libvirt_domain_completed_job_disk_total_bytes", "File total"),
            ("libvirt_domain_completed_job_disk_processed_bytes", "File processed"),
            ("libvirt_domain_completed_job_disk_remaining_bytes", "File remaining"),
        ] {
            #expect(exposition.value(metric, domain) == (try bytes(text[field])), "\(metric) against \(field)")
        }
    }

    @Test func aCompletedBackupJob() async throws {
        let exposition = try await exposition("kvm-job-completed")
        let domain = ["domain": "tbs-001"]
        #expect(exposition.value("libvirt_domain_completed_job_type", domain) == 3)
        #expect(exposition.value("libvirt_domain_completed_job_success", domain) == 1)
        #expect(
            exposition.value(
                "libvirt_domain_completed_job_info", ["domain": "tbs-001", "type": "completed", "operation": "backup"])
                == 1)
        #expect(exposition.value("libvirt_domain_completed_job_disk_processed_bytes", domain) == 67_108_864)
        #expect(exposition.value("libvirt_domain_completed_job_elapsed_seconds", domain) == 0.034)
        #expect(exposition.value("libvirt_domain_job_type", domain) == 0, "no job active now")
    }
}
