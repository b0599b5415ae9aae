import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// Domain metadata on the testbed: Nova's and a custom namespace's, set with `virsh metadata`
    /// on a running domain while the exporter runs, and what the collector parts ask libvirt for.
    @Suite struct MetadataTests {
        static let domain = "vx-2"
        static let nova = "http://openstack.org/xmlns/libvirt/nova/1.1"
        static let fleet = "http://example.org/xmlns/fleet/1.0"
        static let interval = 2.0

        private static func setMetadata(_ namespace: String, key: String, _ xml: String) throws {
            try Testbed.virsh(["metadata", domain, namespace, "--live", "--key", key, "--set", xml])
        }

        private static func removeMetadata() {
            for namespace in [nova, fleet] {
                _ = try? Testbed.virsh(["metadata", domain, namespace, "--live", "--remove"])
            }
        }

        /// Scrapes every 100 ms until `condition` holds, for up to 30 s; returns the exposition and
        /// the seconds it took.
        private func scrape(_ exporter: ExporterProcess, until condition: (ParsedExposition) -> Bool) throws -> (
            ParsedExposition, Double
        ) {
            try exporter.scrape(every: 0.1, for: 30, until: condition)
        }

        @Test func novaAndCustomMetadataShowAndAChangeShowsWithinOneInterval() throws {
            let uri = try #require(Testbed.uri)
            Self.removeMetadata()
            defer { Self.removeMetadata() }
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("vx-metadata-\(UUID()).json")
            defer { try? FileManager.default.removeItem(at: config) }
            try Data(
                """
                {"collector": {"metadata-labels": [
                  {"label": "team", "namespace": "\(Self.fleet)", "path": "fleet/team"},
                  {"label": "tier", "namespace": "\(Self.fleet)", "path": "fleet/@tier"}]}}
                """.utf8
            ).write(to: config)
            let exporter = try ExporterProcess([
                "--libvirt.uri", uri, "--collector.interval", "2s", "--config.file", config.path,
            ])
            try exporter.waitUntilReady()
            let (before, _) = try scrape(exporter) { $0.value("libvirt_domain_info", ["domain": Self.domain]) != nil }
            #expect(before.samples("libvirt_domain_openstack_info", ["domain": Self.domain]).isEmpty)
            #expect(before.samples("libvirt_domain_metadata_info").isEmpty, "no domain has the labels yet")

            try Self.setMetadata(
                Self.nova, key: "nova",
                """
                <instance><name>db-primary</name><flavor name="m1.large"/><owner><user uuid="u-1">alice</user>\
                <project uuid="p-1">storage-team</project></owner></instance>
                """)
            try Self.setMetadata(Self.fleet, key: "fleet", #"<fleet tier="gold"><team>dba</team></fleet>"#)
            let novaLabels = [
                "domain": Self.domain, "instance_name": "db-primary", "flavor_name": "m1.large", "user_name": "alice",
                "user_id": "u-1", "project_name": "storage-team", "project_id": "p-1",
            ]
            let (set, setAfter) = try scrape(exporter) {
                $0.value("libvirt_domain_openstack_info", novaLabels) == 1
                    && $0.value("libvirt_domain_metadata_info", ["domain": Self.domain, "team": "dba"]) == 1
            }
            #expect(set.value("libvirt_domain_openstack_info", novaLabels) == 1, "\(exporter.log)")
            #expect(
                set.value("libvirt_domain_metadata_info", ["domain": Self.domain, "team": "dba", "tier": "gold"]) == 1)

            try Self.setMetadata(Self.fleet, key: "fleet", #"<fleet tier="gold"><team>web</team></fleet>"#)
            let (changed, changedAfter) = try scrape(exporter) {
                $0.value("libvirt_domain_metadata_info", ["domain": Self.domain, "team": "web"]) == 1
            }
            print("metadata shown \(setAfter) s after it was set, a change \(changedAfter) s after it was made")
            #expect(changed.value("libvirt_domain_metadata_info", ["domain": Self.domain, "team": "web"]) == 1)
            #expect(changed.samples("libvirt_domain_metadata_info", ["team": "dba"]).isEmpty, "the old value is gone")
            // One collection after the metadata-change event, plus a scrape's slack.
            #expect(setAfter < Self.interval + 1.5 && changedAfter < Self.interval + 1.5)

            Self.removeMetadata()
            let (removed, _) = try scrape(exporter) { $0.samples("libvirt_domain_metadata_info").isEmpty }
            #expect(removed.samples("libvirt_domain_metadata_info").isEmpty)
            #expect(removed.samples("libvirt_domain_openstack_info", ["domain": Self.domain]).isEmpty)
        }

        /// Whether a logged bulk call has VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE in its flags.
        static func asksForInactiveDomains(_ line: Substring) -> Bool {
            guard let range = line.range(of: "flags=0x"),
                let flags = UInt32(line[range.upperBound...].prefix { $0.isHexDigit }, radix: 16)
            else { return false }
            return flags & 0x2 != 0
        }

        /// The stats groups the bulk calls ask for, read from libvirt's own debug log of the
        /// exporter's process. The call for every domain (virConnectGetAllDomainStats) asks for the
        /// groups gathered without the QEMU monitor: state, interface, perf, memory (0x151), or the
        /// state alone (0x1). The calls for running domains (virDomainListGetStats) ask for the
        /// others: 0 (every group the driver has) with every part on; by default all but the kvm
        /// (vm) and dirtyrate groups (0xae: cpu-total, balloon, vcpu, block, iothread); the block
        /// group alone (0x20) with `--collector.disable-defaults --collector.block`.
        @Test(arguments: [
            (["every"], "0x151", "0x0"), ([], "0x151", "0xae"),
            (["--collector.disable-defaults", "--collector.block"], "0x1", "0x20"),
        ])
        func theCollectorPartsChangeWhatTheBulkCallsAskFor(
            flags: [String], withoutMonitor: String, withMonitor: String
        ) throws {
            let uri = try #require(Testbed.uri)
            let flags = flags == ["every"] ? try Testbed.everyPartFlags() : flags
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("vx-libvirt-\(UUID()).log")
            defer { try? FileManager.default.removeItem(at: log) }
            let exporter = try ExporterProcess(
                ["--libvirt.uri", uri, "--collector.interval", "2s"] + flags,
                environment: ["LIBVIRT_DEBUG": "1", "LIBVIRT_LOG_OUTPUTS": "1:file:\(log.path)"])
            try exporter.waitUntilReady()
            let metrics = ParsedExposition(try HTTPReply.fetch(port: exporter.port, path: "/metrics").text)
            _ = exporter.terminate()
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
            for (call, stats) in [
                ("virConnectGetAllDomainStats:", withoutMonitor), ("virDomainListGetStats:", withMonitor),
            ] {
                // The host part's call for the inactive domains' definitions (flag
                // VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE, 0x2; groups vcpu and balloon) is not one of these.
                let calls = lines.filter { $0.contains(call) && !Self.asksForInactiveDomains($0) }
                #expect(!calls.isEmpty, "\(call) called")
                #expect(
                    calls.allSatisfy { $0.contains("stats=\(stats),") }, "\(calls.prefix(3))")
            }
            let domain = try #require(try Testbed.runningDomains().first)
            let vcpu = metrics.samples("libvirt_domain_vcpu_maximum", ["domain": domain])
            #expect(vcpu.isEmpty == (withMonitor == "0x20"), "the vcpu group is there only when asked for")
            #expect(!metrics.samples("libvirt_domain_block_stats_read_bytes_total", ["domain": domain]).isEmpty)
        }
    }
}
