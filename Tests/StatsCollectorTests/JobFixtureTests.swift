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
    private func exposition(_ fixture: String) throws -> ParsedExposition {
        let domains = try FixtureStatsSource(json: Fixtures.data("StatsCollectorTests/Fixtures/\(fixture).json"))
            .domains
        var mapper = DomainStatsMapper()
        domains.forEach { mapper.add($0) }
        var engine = DerivedMetricsEngine()
        let families = Array(mapper.families.values) + engine.derive(from: mapper.families, at: 0)
        return ParsedExposition(String(decoding: TextEncoder.encode(families), as: UTF8.self))
    }

    @Test func anActiveDumpJob() throws {
        let exposition = try exposition("kvm-job-active")
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

    @Test func theDomjobinfoOfTheSameMomentAgrees() throws {
        let text = try Fixtures.text("StatsCollectorTests/Fixtures/kvm-job-active.domjobinfo.txt")
        #expect(text.contains("Operation:        Dump"))
        #expect(text.contains("Memory total:     768.250 MiB"))
        #expect(805_568_512.0 / 1_048_576 == 768.25)
    }

    @Test func aCompletedBackupJob() throws {
        let exposition = try exposition("kvm-job-completed")
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

    /// On this host libvirt refuses per-CPU stats; the fixtures then have none, and the rest maps.
    @Test func withPerCPUStatsRefused() throws {
        let stderr = try Fixtures.text("StatsCollectorTests/Fixtures/kvm-job-active.stderr.txt")
        #expect(stderr.contains("operation 'getCpuacctPercpuUsage' not supported for backend 'cgroup V2'"))
        let exposition = try exposition("kvm-job-active")
        #expect(exposition.samples("libvirt_domain_cpu_stats_host_cpu_seconds_total").isEmpty)
        #expect(exposition.value("libvirt_domain_info_cpu_time_seconds_total", ["domain": "tb-job"]) != nil)
    }
}
