import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// The guest part on the testbed: `virt-exporter guest-agent` asks every running domain on a
    /// read-write connection, and the exporter shows what the report says. The testbed's guests
    /// have no guest agent channel, so libvirt answers every call with "QEMU guest agent is not
    /// configured": this exercises the real call, the report file and its reading; what a guest
    /// that answers looks like is covered by the unit tests on scripted libvirt.
    @Suite struct GuestPartTests {
        @Test func theAgentProcessReportsEveryRunningDomainAndTheExporterShowsIt() throws {
            let uri = try #require(Testbed.uri)
            let report = FileManager.default.temporaryDirectory.appendingPathComponent("vx-guest-\(UUID()).json")
            defer { try? FileManager.default.removeItem(at: report) }
            let pass = try Command.run(
                ExporterProcess.binary.path,
                ["guest-agent", "--once", "--libvirt.uri", uri, "--report-file", report.path, "--timeout", "5s"],
                timeout: 60)
            #expect(pass.status == 0, "\(pass.output)")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
            let domains = try #require(json["domains"] as? [[String: Any]])
            let running = try Testbed.virsh(["list", "--name"]).split(separator: "\n").map(String.init)
            #expect(Set(domains.compactMap { $0["name"] as? String }) == Set(running))
            #expect(domains.allSatisfy { $0["error"] as? String == "argument_unsupported" }, "\(domains)")

            let exporter = try ExporterProcess([
                "--libvirt.uri", uri, "--collector.interval", "2s", "--collector.guest",
                "--collector.guest-report-file", report.path,
            ])
            try exporter.waitUntilReady()
            let metrics = try exporter.scrape(every: 0.5, for: 20) {
                $0.value("libvirt_exporter_guest_report_age_seconds") != nil
            }.exposition
            for domain in try Testbed.runningDomains() {
                #expect(metrics.value("libvirt_domain_guest_agent_answered", ["domain": domain]) == 0, "\(domain)")
            }
            #expect(metrics.samples("libvirt_domain_guest_info").isEmpty, "no agent, no identity")
            #expect((metrics.value("libvirt_exporter_guest_report_age_seconds") ?? .infinity) < 60)

            // A report three intervals old is stale: its domain series go, the age stays, and it is counted.
            var stale = json
            stale["written"] = Date().timeIntervalSince1970 - 3 * 60 - 10
            try JSONSerialization.data(withJSONObject: stale).write(to: report, options: .atomic)
            let after = try exporter.scrape(every: 0.5, for: 20) {
                $0.samples("libvirt_domain_guest_agent_answered").isEmpty
            }.exposition
            #expect(after.samples("libvirt_domain_guest_agent_answered").isEmpty)
            #expect((after.value("libvirt_exporter_guest_report_age_seconds") ?? 0) > 180)
            #expect(
                (after.value(
                    "libvirt_exporter_collection_errors_total", ["call": "guest agent report", "reason": "stale"]) ?? 0)
                    >= 1)
        }
    }
}
