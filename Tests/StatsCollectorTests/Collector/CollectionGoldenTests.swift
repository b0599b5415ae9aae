import Foundation
import TestSupport
import Testing

@testable import StatsCollector

/// The whole `/metrics` body of one collection, self-metrics aside, pinned byte for byte, as
/// node_exporter's end-to-end test pins its output. The fixture `kvm-busy.json` was captured on a
/// testbed domain whose guest kept its IDE disk and its NIC busy (`scripts/testbed/io.sh`), so its
/// disk, network and vCPU counters are far from zero and a wrong unit or scale shows in the diff.
/// Run with `UPDATE_GOLDEN=1` to rewrite the golden file after an intended change, and review it.
@Suite struct CollectionGoldenTests {
    static let golden = "StatsCollectorTests/Fixtures/kvm-busy.prom"

    @Test func aCollectionOfTheBusyFixtureRendersToTheGoldenFile() async throws {
        let body = FixtureCollection.withoutSelfMetrics(try await FixtureCollection.text(of: FixtureTests.kvmBusy()))
        if ProcessInfoEnvironment.updateGolden {
            try body.write(
                to: Fixtures.repositoryRoot.appendingPathComponent("Tests/\(Self.golden)"), atomically: true,
                encoding: .utf8)
        }
        #expect(body == (try Fixtures.text(Self.golden)))
    }

    /// What the golden file is for: the counters a unit mistake would hide in are not zero.
    @Test func theBusyFixturesCountersHaveMoved() async throws {
        let exposition = ParsedExposition(try await FixtureCollection.text(of: FixtureTests.kvmBusy()))
        let disk = ["domain": "vxh-io", "target_device": "hda"]
        for metric in [
            "libvirt_domain_block_stats_read_requests_total", "libvirt_domain_block_stats_read_bytes_total",
            "libvirt_domain_block_stats_read_seconds_total", "libvirt_domain_block_stats_write_requests_total",
            "libvirt_domain_block_stats_write_bytes_total", "libvirt_domain_block_stats_write_seconds_total",
            "libvirt_domain_block_stats_flush_requests_total", "libvirt_domain_block_stats_flush_seconds_total",
        ] {
            #expect(try #require(exposition.value(metric, disk), "\(metric)") > 0, "\(metric)")
        }
        let nic = ["domain": "vxh-io", "target_device": "vxhtap0"]
        for metric in [
            "libvirt_domain_interface_stats_transmit_bytes_total",
            "libvirt_domain_interface_stats_transmit_packets_total",
            "libvirt_domain_interface_stats_transmit_drops_total",
        ] {
            #expect(try #require(exposition.value(metric, nic), "\(metric)") > 0, "\(metric)")
        }
        let vcpu = try #require(exposition.value("libvirt_domain_vcpu_time_seconds_total", ["domain": "vxh-io"]))
        #expect(vcpu > 1)
    }
}
