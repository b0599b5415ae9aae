import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// The host part on the testbed, against what virsh says of the same host.
    @Suite struct HostCapacityTests {
        /// The value of `key` in virsh's `key: value` or `key=value` lines.
        private func field(_ key: String, in text: String) -> String? {
            text.split(separator: "\n").lazy.compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                for separator in [":", "="] where trimmed.hasPrefix(key + separator) {
                    return trimmed.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
                }
                return nil
            }.first
        }

        @Test func theHostsCapacityAndWhatItsDomainsAreGivenMatchVirsh() throws {
            let uri = try #require(Testbed.uri)
            let exporter = try ExporterProcess(["--libvirt.uri", uri, "--collector.interval", "2s"])
            try exporter.waitUntilReady()
            let metrics = try exporter.scrape(every: 0.5, for: 20) {
                $0.value("libvirt_node_domain_vcpus", ["domains": "running"]) != nil
                    && $0.value("libvirt_node_domain_vcpus", ["domains": "inactive"]) != nil
            }.exposition

            let cpuMap = try Testbed.virsh(["nodecpumap"])
            #expect(metrics.value("libvirt_node_cpus") == field("CPUs present", in: cpuMap).flatMap(Double.init))
            #expect(metrics.value("libvirt_node_cpus_online") == field("CPUs online", in: cpuMap).flatMap(Double.init))

            // The cells' memory, as the capabilities XML gives it (KiB on this host).
            let capabilities = try Testbed.virsh(["capabilities"])
            let cellMemory = try #require(
                capabilities.firstMatch(of: /<cell id='0'>\s*<memory unit='KiB'>(\d+)<\/memory>/)
            ).1
            #expect(metrics.value("libvirt_node_numa_cell_memory_bytes", ["cell": "0"]) == Double(cellMemory)! * 1024)
            // Free memory moves; both reads within 5 % of each other.
            let freeCell = try #require(
                field("0", in: try Testbed.virsh(["freecell", "--cellno", "0"]))?.split(separator: " ").first
                    .flatMap { Double($0) })
            let free = try #require(metrics.value("libvirt_node_numa_cell_memory_free_bytes", ["cell": "0"]))
            #expect(abs(free - freeCell * 1024) / free < 0.05, "\(free) against virsh's \(freeCell) KiB")
            #expect(
                metrics.value(
                    "libvirt_node_numa_cell_hugepages_free", ["cell": "0", "page_size_bytes": "2097152"]) != nil)

            // vCPUs and memory of every running domain, and of the shut-off ones, from virsh.
            var given: [String: (vcpus: Double, bytes: Double)] = ["running": (0, 0), "inactive": (0, 0)]
            for state in ["running", "inactive"] {
                let listing = state == "running" ? ["list", "--name"] : ["list", "--name", "--inactive"]
                let names = try Testbed.virsh(listing).split(separator: "\n").map(String.init)
                for name in names {
                    let info = try Testbed.virsh(["dominfo", name])
                    let vcpus = try #require(field("CPU(s)", in: info).flatMap(Double.init))
                    let kib = try #require(
                        field("Max memory", in: info)?.split(separator: " ").first.flatMap { Double($0) })
                    given[state]!.vcpus += vcpus
                    given[state]!.bytes += kib * 1024
                }
            }
            print(
                "E2E host: \(given), exporter running \(metrics.value("libvirt_node_domain_vcpus", ["domains": "running"]) ?? -1) vCPUs"
            )
            for state in ["running", "inactive"] {
                #expect(
                    metrics.value("libvirt_node_domain_vcpus", ["domains": state]) == given[state]!.vcpus, "\(state)")
                #expect(
                    metrics.value("libvirt_node_domain_memory_bytes", ["domains": state]) == given[state]!.bytes,
                    "\(state)")
            }
        }
    }
}
