import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

@Suite struct DomainStatsMapperTests {
    private func render(_ domains: [DomainStats]) -> (ParsedExposition, DomainStatsMapper) {
        var mapper = DomainStatsMapper()
        domains.forEach { mapper.add($0) }
        let text = String(decoding: TextEncoder.encode(Array(mapper.families.values)), as: UTF8.self)
        return (ParsedExposition(text), mapper)
    }

    /// One field of every stats group and per-domain call, with libvirt's raw number and the line
    /// the exporter must print for it, written out by hand from libvirt's documented units (ns, ms,
    /// KiB, MiB, percent) rather than computed with the catalog's own conversions.
    private static let handWrittenRows: [(field: String, value: TypedValue, line: String)] = [
        ("state.state", .int(1), #"libvirt_domain_info_state{domain="d"} 1"#),
        ("state.reason", .int(5), #"libvirt_domain_info_state_reason{domain="d"} 5"#),
        ("cpu.time", .ullong(1_500_000_000), #"libvirt_domain_info_cpu_time_seconds_total{domain="d"} 1.5"#),
        (
            "cpu.haltpoll.fail.time", .ullong(250_000_000),
            #"libvirt_domain_cpu_haltpoll_fail_seconds_total{domain="d"} 0.25"#
        ),
        (
            "cpu.cache.monitor.0.bank.1.bytes", .ullong(4096),
            #"libvirt_domain_cpu_cache_monitor_bank_bytes{domain="d",monitor="l3mon",bank="2"} 4096"#
        ),
        ("balloon.current", .ullong(65536), #"libvirt_domain_info_memory_usage_bytes{domain="d"} 67108864"#),
        ("balloon.swap_in", .ullong(3), #"libvirt_domain_memory_stats_swap_in_bytes_total{domain="d"} 3072"#),
        ("balloon.major_fault", .ullong(17), #"libvirt_domain_memory_stats_major_fault_total{domain="d"} 17"#),
        ("vcpu.current", .uint(2), #"libvirt_domain_info_virtual_cpus{domain="d"} 2"#),
        ("vcpu.1.time", .ullong(2_000_000_000), #"libvirt_domain_vcpu_time_seconds_total{domain="d",vcpu="1"} 2"#),
        ("vcpu.1.halted", .boolean(true), #"libvirt_domain_vcpu_halted{domain="d",vcpu="1"} 1"#),
        (
            "net.0.tx.bytes", .ullong(6000),
            #"libvirt_domain_interface_stats_transmit_bytes_total{domain="d",target_device="vnet0"} 6000"#
        ),
        (
            "block.0.rd.bytes", .ullong(4096),
            #"libvirt_domain_block_stats_read_bytes_total{domain="d",target_device="vda",source_file="/img/a.qcow2"} 4096"#
        ),
        (
            "block.0.fl.times", .ullong(3_000_000),
            #"libvirt_domain_block_stats_flush_seconds_total{domain="d",target_device="vda",source_file="/img/a.qcow2"} 0.003"#
        ),
        ("perf.cpu_cycles", .ullong(123_456), #"libvirt_domain_perf_cpu_cycles_total{domain="d"} 123456"#),
        (
            "iothread.1.poll-max-ns", .ullong(500_000),
            #"libvirt_domain_iothread_poll_max_seconds{domain="d",iothread="1"} 0.0005"#
        ),
        (
            "memory.bandwidth.monitor.0.node.1.bytes.total", .ullong(1000),
            #"libvirt_domain_memory_bandwidth_monitor_bytes_total{domain="d",monitor="bwmon",node="3"} 1000"#
        ),
        (
            "dirtyrate.megabytes_per_second", .llong(3),
            #"libvirt_domain_dirtyrate_bytes_per_second{domain="d"} 3145728"#
        ),
        ("vm.remote_tlb_flush.sum", .ullong(7), #"libvirt_domain_kvm_remote_tlb_flush_total{domain="d"} 7"#),
        ("vm.pages_4k.cur", .ullong(300), #"libvirt_domain_kvm_pages_4k{domain="d"} 300"#),
        (
            "vcpu.1.halt_wait_ns.sum", .ullong(1_000_000),
            #"libvirt_domain_vcpu_kvm_halt_wait_seconds_total{domain="d",vcpu="1"} 0.001"#
        ),
        (
            "cpustats.1.cpu_time", .ullong(5_000_000_000),
            #"libvirt_domain_cpu_stats_host_cpu_seconds_total{domain="d",cpu="1"} 5"#
        ),
        ("job.type", .int(2), #"libvirt_domain_job_type{domain="d"} 2"#),
        ("job.time_elapsed", .ullong(1500), #"libvirt_domain_job_elapsed_seconds{domain="d"} 1.5"#),
        ("job.auto_converge_throttle", .int(25), #"libvirt_domain_job_auto_converge_throttle_ratio{domain="d"} 0.25"#),
        ("completedjob.downtime", .ullong(40), #"libvirt_domain_completed_job_downtime_seconds{domain="d"} 0.04"#),
        ("migration.max_downtime", .ullong(300), #"libvirt_domain_migration_max_downtime_seconds{domain="d"} 0.3"#),
    ]

    /// Every row's field is exported as its hand-written line, through a whole collection.
    @Test func representativeFieldsOfEveryGroupAreExportedWithTheirUnitsConverted() async throws {
        let labels: [TypedParameter] = [
            .init(field: "net.0.name", value: .string("vnet0")), .init(field: "block.0.name", value: .string("vda")),
            .init(field: "block.0.path", value: .string("/img/a.qcow2")),
            // resctrl monitors are labelled with their names and the host's cache and node ids
            .init(field: "cpu.cache.monitor.0.name", value: .string("l3mon")),
            .init(field: "cpu.cache.monitor.0.bank.1.id", value: .uint(2)),
            .init(field: "memory.bandwidth.monitor.0.name", value: .string("bwmon")),
            .init(field: "memory.bandwidth.monitor.0.node.1.id", value: .uint(3)),
        ]
        let domain = DomainStats(
            name: "d", uuid: "u",
            parameters: labels + Self.handWrittenRows.map { .init(field: $0.field, value: $0.value) })
        let lines = Set(try await FixtureCollection.text(of: [domain]).split(separator: "\n").map(String.init))
        for row in Self.handWrittenRows {
            #expect(lines.contains(row.line), "\(row.field) = \(row.value) should be exported as \(row.line)")
        }
        #expect(lines.contains(#"libvirt_domain_info{domain="d",uuid="u"} 1"#))
    }

    @Test func convertsUnitsOfKnownFields() throws {
        let (exposition, _) = render(try FixtureTests.kvmDomains())
        let domstats = try FixtureTests.kvmDomstats()
        let net = try #require(domstats.domains["tb-net"])
        #expect(
            exposition.value("libvirt_domain_info_memory_usage_bytes", ["domain": "tb-net"]) == Double(
                net["balloon.current"]!)! * 1024)
        #expect(
            exposition.value("libvirt_domain_memory_stats_rss_bytes", ["domain": "tb-net"]) == Double(
                net["balloon.rss"]!)! * 1024)
        #expect(
            exposition.value(
                "libvirt_domain_interface_stats_transmit_bytes_total", ["domain": "tb-net", "target_device": "tbtap0"])
                == Double(net["net.0.tx.bytes"]!)!)
        #expect(
            exposition.value(
                "libvirt_domain_block_stats_capacity_bytes",
                ["domain": "tb-net", "target_device": "vda", "source_file": net["block.0.path"]!]) == 67_108_864)
        #expect(
            exposition.value("libvirt_domain_vcpu_time_seconds_total", ["domain": "tb-net", "vcpu": "0"]) == Double(
                net["vcpu.0.time"]!)! / 1e9)
        #expect(exposition.value("libvirt_domain_info", ["domain": "tb-net"]) == 1)
    }

    @Test func aShutOffDomainHasItsStateOnly() throws {
        let (exposition, _) = render(try FixtureTests.kvmDomains())
        #expect(exposition.value("libvirt_domain_info_state", ["domain": "tb-off"]) == 5)
        #expect(exposition.samples("libvirt_domain_vcpu_time_seconds_total", ["domain": "tb-off"]).isEmpty)
        #expect(exposition.samples("libvirt_domain_interface_stats_receive_bytes_total", ["domain": "tb-off"]).isEmpty)
        #expect(exposition.samples("libvirt_domain_memory_stats_rss_bytes", ["domain": "tb-off"]).isEmpty)
        // libvirt reports cpu.* for a shut-off domain, but they are libvirtd's own CPU times.
        let domstats = try FixtureTests.kvmDomstats()
        #expect(domstats.domains["tb-off"]?["cpu.time"] != nil)
        #expect(exposition.samples("libvirt_domain_info_cpu_time_seconds_total", ["domain": "tb-off"]).isEmpty)
        #expect(exposition.samples("libvirt_domain_block_stats_capacity_bytes", ["domain": "tb-off"]).isEmpty)
    }

    @Test func fieldsLibvirtDoesNotReportAreAbsentNotZero() {
        let domain = DomainStats(name: "d", uuid: "u", parameters: [.init(field: "state.state", value: .int(1))])
        let (exposition, _) = render([domain])
        #expect(exposition.names == ["libvirt_domain_info", "libvirt_domain_info_state"])
    }

    @Test func countsUnknownFieldsAndStringsWhereNumbersBelong() {
        let domain = DomainStats(
            name: "d", uuid: "u",
            parameters: [
                .init(field: "vcpu.0.exits.sum", value: .ullong(3)),
                .init(field: "vcpu.1.odd-name.sum", value: .ullong(4)),
                .init(field: "cpu.time", value: .string("oops")),
                .init(field: "block.0.name", value: .string("vda")),
            ])
        let (exposition, mapper) = render([domain])
        #expect(mapper.unmappedFields == ["vcpu.<n>.odd-name.sum": 1, "cpu.time": 1])
        #expect(exposition.samples("libvirt_domain_info_cpu_time_seconds_total").isEmpty)
    }

    @Test func labelsDevicesByNameAndPathAndLeavesMissingPathEmpty() {
        let domain = DomainStats(
            name: "d", uuid: "u",
            parameters: [
                .init(field: "block.0.name", value: .string("vda")),
                .init(field: "block.0.rd.bytes", value: .ullong(10)),
                .init(field: "block.1.name", value: .string("sda")),
                .init(field: "block.1.path", value: .string("/img/b.qcow2")),
                .init(field: "block.1.rd.bytes", value: .ullong(20)),
            ])
        let (exposition, _) = render([domain])
        let metric = "libvirt_domain_block_stats_read_bytes_total"
        #expect(exposition.value(metric, ["target_device": "vda", "source_file": ""]) == 10)
        #expect(exposition.value(metric, ["target_device": "sda", "source_file": "/img/b.qcow2"]) == 20)
    }
}
