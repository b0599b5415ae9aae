import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

@Suite struct InfoSeriesTests {
    private func render(_ parameters: [TypedParameter]) -> ParsedExposition {
        var mapper = DomainStatsMapper()
        mapper.add(DomainStats(name: "d", uuid: "u", parameters: parameters))
        return ParsedExposition(String(decoding: TextEncoder.encode(Array(mapper.families.values)), as: UTF8.self))
    }

    @Test func jobTypeAndOperationAreCodesAndNames() {
        let exposition = render([
            .init(field: "job.type", value: .int(2)), .init(field: "job.operation", value: .int(8)),
            .init(field: "job.time_elapsed", value: .ullong(1500)),
            .init(field: "completedjob.type", value: .int(4)), .init(field: "completedjob.operation", value: .int(5)),
            .init(field: "completedjob.success", value: .boolean(false)),
            .init(
                field: "completedjob.errmsg", value: .string("operation failed: migration out job: unexpectedly failed")
            ),
        ])
        #expect(exposition.value("libvirt_domain_job_type", ["domain": "d"]) == 2)
        #expect(exposition.value("libvirt_domain_job_operation", ["domain": "d"]) == 8)
        #expect(
            exposition.value("libvirt_domain_job_info", ["domain": "d", "type": "unbounded", "operation": "dump"]) == 1)
        #expect(exposition.value("libvirt_domain_job_elapsed_seconds", ["domain": "d"]) == 1.5)
        #expect(exposition.value("libvirt_domain_completed_job_type", ["domain": "d"]) == 4)
        #expect(exposition.value("libvirt_domain_completed_job_success", ["domain": "d"]) == 0)
        #expect(
            exposition.value(
                "libvirt_domain_completed_job_info", ["domain": "d", "type": "failed", "operation": "migration_out"])
                == 1)
        #expect(!exposition.series.contains { $0.labels.values.contains { $0.contains("unexpectedly") } })
    }

    @Test func nestedMonitorsAreLabelledByNameAndNode() {
        let exposition = render([
            .init(field: "memory.bandwidth.monitor.count", value: .uint(1)),
            .init(field: "memory.bandwidth.monitor.0.name", value: .string("vcpus_0-1")),
            .init(field: "memory.bandwidth.monitor.0.vcpus", value: .string("0-1")),
            .init(field: "memory.bandwidth.monitor.0.node.count", value: .uint(2)),
            .init(field: "memory.bandwidth.monitor.0.node.0.id", value: .uint(0)),
            .init(field: "memory.bandwidth.monitor.0.node.0.bytes.total", value: .ullong(100)),
            .init(field: "memory.bandwidth.monitor.0.node.1.id", value: .uint(1)),
            .init(field: "memory.bandwidth.monitor.0.node.1.bytes.total", value: .ullong(200)),
        ])
        let metric = "libvirt_domain_memory_bandwidth_monitor_bytes_total"
        #expect(exposition.value(metric, ["monitor": "vcpus_0-1", "node": "0"]) == 100)
        #expect(exposition.value(metric, ["monitor": "vcpus_0-1", "node": "1"]) == 200)
        #expect(
            exposition.value("libvirt_domain_memory_bandwidth_monitor_info", ["monitor": "vcpus_0-1", "vcpus": "0-1"])
                == 1)
        #expect(exposition.value("libvirt_domain_memory_bandwidth_monitor_nodes", ["monitor": "vcpus_0-1"]) == 2)
    }

    @Test func perCPUStatsAreLabelledByHostCPU() {
        let exposition = render([
            .init(field: "cpustats.0.cpu_time", value: .ullong(2_000_000_000)),
            .init(field: "cpustats.1.cpu_time", value: .ullong(500_000_000)),
            .init(field: "cpustats.cpu_time", value: .ullong(2_500_000_000)),
        ])
        #expect(exposition.value("libvirt_domain_cpu_stats_host_cpu_seconds_total", ["cpu": "0"]) == 2)
        #expect(exposition.value("libvirt_domain_cpu_stats_host_cpu_seconds_total", ["cpu": "1"]) == 0.5)
        #expect(exposition.value("libvirt_domain_cpu_stats_time_seconds_total", ["domain": "d"]) == 2.5)
    }

    @Test func iothreadsAndDirtyRatePerVCPU() {
        let exposition = render([
            .init(field: "iothread.count", value: .uint(1)),
            .init(field: "iothread.3.poll-max-ns", value: .ullong(32768)),
            .init(field: "dirtyrate.vcpu.1.megabytes_per_second", value: .llong(2)),
            .init(field: "perf.cmt", value: .ullong(4096)),
        ])
        #expect(exposition.value("libvirt_domain_iothread_poll_max_seconds", ["iothread": "3"]) == 32768e-9)
        #expect(exposition.value("libvirt_domain_dirtyrate_vcpu_bytes_per_second", ["vcpu": "1"]) == 2_097_152)
        #expect(exposition.value("libvirt_domain_perf_cmt_bytes", ["domain": "d"]) == 4096)
    }
}
