import Foundation
import TestSupport
import Testing

/// The built binary against the testbed's libvirtd: every domain, the right states, clean output.
extension EndToEnd {
    @Suite struct DomainsTests {
        @Test func everyDomainAppearsAndTheShutOffOneWithItsStateOnly() throws {
            let uri = try #require(Testbed.uri)
            let exporter = try ExporterProcess(["--libvirt.uri", uri, "--collector.interval", "2s"])
            try exporter.waitUntilReady()
            let reply = try HTTPReply.fetch(port: exporter.port, path: "/metrics")
            let exposition = ParsedExposition(reply.text)

            let all = try Testbed.virsh(["list", "--all", "--name"]).split(separator: "\n").map(String.init)
                .filter { $0.hasPrefix("vx-") }
            let running = try Testbed.runningDomains()
            #expect(running.count >= 3, "the testbed runs 3 or more domains")
            #expect(all.contains(Testbed.shutOffDomain))
            for domain in all {
                #expect(exposition.samples("libvirt_domain_info", ["domain": domain]).count == 1, "\(domain)")
            }
            for domain in running {
                #expect(exposition.value("libvirt_domain_info_state", ["domain": domain]) == 1, "\(domain)")
                #expect(exposition.value("libvirt_domain_vcpu_maximum", ["domain": domain]) != nil)
                #expect(
                    !exposition.samples("libvirt_domain_interface_stats_transmit_bytes_total", ["domain": domain])
                        .isEmpty)
                #expect(!exposition.samples("libvirt_domain_block_stats_capacity_bytes", ["domain": domain]).isEmpty)
                #expect(exposition.value("libvirt_domain_job_type", ["domain": domain]) != nil)
            }
            let off = ["domain": Testbed.shutOffDomain]
            #expect(exposition.value("libvirt_domain_info_state", off) == 5)
            for runtimeOnly in [
                "libvirt_domain_vcpu_maximum", "libvirt_domain_interface_stats_receive_bytes_total",
                "libvirt_domain_memory_stats_rss_bytes", "libvirt_domain_job_type",
            ] {
                #expect(exposition.samples(runtimeOnly, off).isEmpty, "\(runtimeOnly) on a shut-off domain")
            }
            #expect(exposition.value("libvirt_up") == 1)
            #expect(exposition.value("libvirt_exporter_unmapped_fields") == 0)

            let promtool = try Command.run("/usr/bin/promtool", ["check", "metrics"], input: reply.body)
            #expect(promtool.status == 0, "promtool check metrics: \(promtool.output)")
        }
    }
}
