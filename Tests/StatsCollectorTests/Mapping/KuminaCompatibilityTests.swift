import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// The compatibility mode with Debian's exporter: its families and labels beside ours, from the
/// same records and facts, and nothing else changed.
@Suite struct KuminaCompatibilityTests {
    private static let novaUUID = "5c1f0b3e-8a0e-4f4c-9a55-3a1d2b9e7c01"
    private static let plainUUID = "0a1b2c3d-0000-4000-8000-000000000001"
    private static let stoppedUUID = "0a1b2c3d-0000-4000-8000-000000000002"

    /// A running Nova domain whose facts come from the Nova 1.1 fixture (a bridged NIC, an RBD
    /// disk), with `step` added to its counters; a paused domain without facts; a stopped one.
    private static func domains(step: UInt64 = 0) throws -> [DomainStats] {
        var nova = DomainStats(
            name: "instance-0000002a", uuid: novaUUID,
            parameters: [
                .init(field: "state.state", value: .int(1)), .init(field: "state.reason", value: .int(1)),
                .init(field: "cpu.time", value: .ullong(5_000_000_000 + step * 1_000_000_000)),
                .init(field: "balloon.current", value: .ullong(65536)),
                .init(field: "balloon.maximum", value: .ullong(131072)),
                .init(field: "vcpu.current", value: .uint(2)), .init(field: "vcpu.maximum", value: .uint(2)),
                .init(field: "net.count", value: .uint(1)), .init(field: "net.0.name", value: .string("tap1234")),
                .init(field: "net.0.rx.bytes", value: .ullong(1000 + step * 100)),
                .init(field: "net.0.tx.bytes", value: .ullong(2000 + step * 100)),
                .init(field: "block.count", value: .uint(1)), .init(field: "block.0.name", value: .string("vda")),
                .init(field: "block.0.rd.bytes", value: .ullong(4096 + step * 512)),
                .init(field: "block.0.rd.times", value: .ullong(1_000_000 + step * 1000)),
            ])
        let facts = DomainFacts(
            xml: try Fixtures.text("StatsCollectorTests/Fixtures/nova-1.1-domain.xml"), uuid: novaUUID)
        nova.parameters += facts.parameters(for: nova)
        let plain = DomainStats(
            name: "plain", uuid: plainUUID,
            parameters: [.init(field: "state.state", value: .int(3)), .init(field: "state.reason", value: .int(1))])
        let stopped = DomainStats(
            name: "stopped", uuid: stoppedUUID,
            parameters: [.init(field: "state.state", value: .int(5)), .init(field: "state.reason", value: .int(1))])
        return [nova, plain, stopped]
    }

    private static func text(_ compatibility: KuminaCompatibility?, collections: Int = 1) throws -> String {
        var pipeline = StatsPipeline(layout: LabelLayout(kumina: compatibility))
        var body = RenderedBody.empty
        for step in 0..<collections {
            body = pipeline.run(try domains(step: UInt64(step)), at: Double(step) * 15).body
        }
        return String(decoding: body.text, as: UTF8.self)
    }

    private static func lines(_ text: String, of family: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.hasPrefix(family + "{") || $0.hasPrefix(family + " ") }
    }

    @Test func addsDebiansTwoFamilies() throws {
        let text = try Self.text(KuminaCompatibility())
        #expect(
            Self.lines(text, of: "libvirt_domain_state_code") == [
                "libvirt_domain_state_code{domain=\"instance-0000002a\",uuid=\"\(Self.novaUUID)\"} 1",
                "libvirt_domain_state_code{domain=\"plain\",uuid=\"\(Self.plainUUID)\"} 3",
            ], "the active domains only, as in Debian's exporter")
        #expect(Self.lines(text, of: "libvirt_domains_number") == ["libvirt_domains_number 2"], "active ones")
        #expect(Self.lines(text, of: "libvirt_domain_info_state").count == 3, "ours has the stopped one")
        #expect(text.contains("# TYPE libvirt_domain_state_code gauge\n"))
        #expect(text.contains("# TYPE libvirt_domains_number gauge\n"))
    }

    @Test func noCountOfDomainsWhenLibvirtDidNotAnswer() {
        var pipeline = StatsPipeline(layout: LabelLayout(kumina: KuminaCompatibility()))
        let unreached = String(decoding: pipeline.run([], at: 0, reachedLibvirt: false).body.text, as: UTF8.self)
        #expect(!unreached.contains("libvirt_domains_number"), "unknown, not 0")
        let empty = String(decoding: pipeline.run([], at: 15).body.text, as: UTF8.self)
        #expect(
            Self.lines(empty, of: "libvirt_domains_number") == ["libvirt_domains_number 0"], "a host without domains")
    }

    @Test func putsUUIDAndSourceBridgeOnDebiansFamilies() throws {
        let text = try Self.text(KuminaCompatibility())
        let domain = "domain=\"instance-0000002a\""
        let uuid = "uuid=\"\(Self.novaUUID)\""
        #expect(
            Self.lines(text, of: "libvirt_domain_info_cpu_time_seconds_total") == [
                "libvirt_domain_info_cpu_time_seconds_total{\(domain),\(uuid)} 5"
            ])
        #expect(
            Self.lines(text, of: "libvirt_domain_info_memory_usage_bytes") == [
                "libvirt_domain_info_memory_usage_bytes{\(domain),\(uuid)} 67108864"
            ])
        #expect(
            Self.lines(text, of: "libvirt_domain_info_virtual_cpus") == [
                "libvirt_domain_info_virtual_cpus{\(domain),\(uuid)} 2"
            ])
        #expect(
            Self.lines(text, of: "libvirt_domain_interface_stats_receive_bytes_total") == [
                "libvirt_domain_interface_stats_receive_bytes_total{\(domain),target_device=\"tap1234\",\(uuid),source_bridge=\"qbr1234\"} 1000"
            ])
        #expect(
            Self.lines(text, of: "libvirt_domain_block_stats_read_bytes_total") == [
                "libvirt_domain_block_stats_read_bytes_total{\(domain),target_device=\"vda\",source_file=\"\",\(uuid)} 4096"
            ])
        #expect(
            Self.lines(text, of: "libvirt_domain_block_stats_read_seconds_total") == [
                "libvirt_domain_block_stats_read_seconds_total{\(domain),target_device=\"vda\",source_file=\"\",\(uuid)} 0.001"
            ])
        #expect(!text.contains(",name=\"db-primary\""), "Nova's labels only with exportsNovaMetadata")
    }

    @Test func novaMetadataLabelsEveryDebianFamilyFromTheSameFactsAsTheInfoSeries() throws {
        let text = try Self.text(KuminaCompatibility(exportsNovaMetadata: true))
        let nova = "name=\"db-primary\",flavor=\"m1.large\",project_name=\"storage-team\""
        for family in MetricCatalog.Kumina.domainFamilies.sorted() + ["libvirt_domain_state_code"] {
            for line in Self.lines(text, of: family) where line.contains("instance-0000002a") {
                #expect(line.contains(nova), "\(line)")
            }
        }
        #expect(
            Self.lines(text, of: "libvirt_domain_state_code").last
                == "libvirt_domain_state_code{domain=\"plain\",uuid=\"\(Self.plainUUID)\",name=\"\",flavor=\"\",project_name=\"\"} 3",
            "a domain without Nova metadata has them empty, as in Debian's exporter")
        let info = try #require(Self.lines(text, of: "libvirt_domain_openstack_info").first)
        #expect(info.contains("instance_name=\"db-primary\"") && info.contains("flavor_name=\"m1.large\""))
        #expect(info.contains("project_name=\"storage-team\"") && !info.contains("uuid="), "the info series as ever")
    }

    @Test func everyOtherSeriesStaysAsItIsWithoutTheMode() throws {
        let off = try Self.text(nil, collections: 2)
        let on = try Self.text(KuminaCompatibility(exportsNovaMetadata: true), collections: 2)
        #expect(off == (try Self.text(nil, collections: 2)))
        let debianFamilies = MetricCatalog.Kumina.domainFamilies.union(
            MetricCatalog.Kumina.rows.map(\.metric))
        func others(_ text: String) -> [Substring] {
            text.split(separator: "\n").filter { line in
                let name = line.prefix { $0 != "{" && $0 != " " }
                return !debianFamilies.contains(String(name))
                    && !debianFamilies.contains { line.hasPrefix("# HELP \($0) ") || line.hasPrefix("# TYPE \($0) ") }
            }
        }
        #expect(others(on) == others(off), "derived gauges and every other family unchanged")
        #expect(
            off.contains("libvirt_domain_cpu_usage_cores{domain=\"instance-0000002a\"}"), "derived gauges are there")
        #expect(!off.contains("libvirt_domain_state_code") && !off.contains("libvirt_domains_number"))
        let offLines = off.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(
            offLines.filter { $0.contains("uuid=") }.allSatisfy { $0.hasPrefix("libvirt_domain_info{") },
            "off, the UUID is on libvirt_domain_info alone")
        #expect(
            offLines.filter { $0.contains("source_bridge=") }.allSatisfy {
                $0.hasPrefix("libvirt_domain_interface_info{")
            },
            "off, the bridge is on libvirt_domain_interface_info alone")
        for family in debianFamilies.sorted() {
            let offLines = Self.lines(off, of: family)
            let onLines = Self.lines(on, of: family)
            #expect(offLines.count <= onLines.count, "\(family): the same series, relabelled")
        }
    }
}
