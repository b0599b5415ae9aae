import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// `--no-collector.block-source-file`: a disk's path on its info series only.
@Suite struct LabelLayoutTests {
    private static let disk: [TypedParameter] = [
        .init(field: "block.count", value: .uint(1)), .init(field: "block.0.name", value: .string("vda")),
        .init(field: "block.0.path", value: .string("/var/lib/libvirt/images/web.qcow2")),
        .init(field: "block.0.backingIndex", value: .uint(0)), .init(field: "block.0.rd.bytes", value: .ullong(4096)),
        .init(field: "net.count", value: .uint(1)), .init(field: "net.0.name", value: .string("vnet0")),
        .init(field: "net.0.rx.bytes", value: .ullong(100)),
    ]

    private static func render(_ layout: LabelLayout) -> ParsedExposition {
        var mapper = DomainStatsMapper(layout: layout)
        mapper.add(DomainStats(name: "web", uuid: "u", parameters: disk))
        return ParsedExposition(String(decoding: TextEncoder.encode(Array(mapper.families.values)), as: UTF8.self))
    }

    @Test func theDefaultLabelsEveryBlockSeriesWithItsSourceFile() {
        let exposition = Self.render(LabelLayout())
        let read = exposition.samples("libvirt_domain_block_stats_read_bytes_total")
        #expect(read.map(\.labels["source_file"]) == ["/var/lib/libvirt/images/web.qcow2"])
    }

    @Test func offItIsOnTheInfoSeriesOnly() throws {
        let exposition = Self.render(LabelLayout(sourceFileOnBlockSeries: false))
        let read = try #require(exposition.samples("libvirt_domain_block_stats_read_bytes_total").first)
        #expect(read.labels == ["domain": "web", "target_device": "vda"])
        #expect(read.value == 4096)
        let info = try #require(exposition.samples("libvirt_domain_block_info").first)
        #expect(info.labels["source_file"] == "/var/lib/libvirt/images/web.qcow2")
        #expect(info.labels["target_device"] == "vda")
        #expect(
            exposition.value("libvirt_domain_interface_stats_receive_bytes_total", ["target_device": "vnet0"]) == 100)
    }
}
