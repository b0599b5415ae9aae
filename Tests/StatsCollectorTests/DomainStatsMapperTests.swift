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

    /// Every typed parameter that the catalog maps is exported with libvirt's number converted by
    /// the catalog's conversion, under the domain's and its device's labels.
    @Test func everyMappedFieldIsExportedWithItsConvertedValue() throws {
        let domains = try FixtureTests.kvmDomains()
        let (exposition, _) = render(domains)
        var checked = 0
        for domain in domains where domain.isActive {
            let fields = Dictionary(uniqueKeysWithValues: domain.parameters.map { ($0.field, $0.value) })
            for parameter in domain.parameters {
                let pattern = FieldPattern(field: parameter.field)
                guard let descriptor = MetricCatalog.descriptor(forPattern: pattern.pattern) else { continue }
                var labels = ["domain": domain.name]
                if let group = DeviceGroup.containing(pattern.pattern) {
                    for (label, value) in zip(group.labels, group.labelValues(indices: pattern.indices, fields: fields))
                    {
                        labels[label.name] = value
                    }
                }
                let exported = try #require(
                    exposition.value(descriptor.metric, labels), "\(domain.name) \(parameter.field)")
                let expected = try #require(descriptor.conversion.convert(parameter.value)).doubleValue
                #expect(exported == expected, "\(domain.name) \(parameter.field)")
                checked += 1
            }
        }
        #expect(checked >= 190, "the fixture's running domains have 196 mapped fields")
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

    /// The rendered domain families of the KVM fixture, pinned byte for byte.
    /// Run with `UPDATE_GOLDEN=1` to rewrite the golden file after an intended change.
    @Test func kvmFixtureRendersToTheGoldenFile() throws {
        var mapper = DomainStatsMapper()
        try FixtureTests.kvmDomains().forEach { mapper.add($0) }
        let rendered = String(decoding: TextEncoder.encode(Array(mapper.families.values)), as: UTF8.self)
        let path = "StatsCollectorTests/Fixtures/kvm-domains.prom"
        if ProcessInfoEnvironment.updateGolden {
            try rendered.write(
                to: Fixtures.repositoryRoot.appendingPathComponent("Tests/\(path)"), atomically: true, encoding: .utf8)
        }
        #expect(rendered == (try Fixtures.text(path)))
    }
}
