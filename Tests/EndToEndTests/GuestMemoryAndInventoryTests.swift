import Foundation
import TestSupport
import Testing

/// The guest's memory as the exporter reports it, for the testbed's three balloon cases, and the
/// inventory flags, against the testbed's libvirtd.
extension EndToEnd {
    @Suite struct GuestMemoryAndInventoryTests {
        private static let balloonDomains = ["vx-noperiod", "vx-nodriver"]

        /// Scrapes until `ready` holds (the first collections read the domain XML), for up to 30 s.
        private static func scrape(_ exporter: ExporterProcess, until ready: (ParsedExposition) -> Bool) throws
            -> (ParsedExposition, HTTPReply)
        {
            var last: (ParsedExposition, HTTPReply)?
            for _ in 0..<60 {
                let reply = try HTTPReply.fetch(port: exporter.port, path: "/metrics")
                let exposition = ParsedExposition(reply.text)
                last = (exposition, reply)
                if ready(exposition) { break }
                Thread.sleep(forTimeInterval: 0.5)
            }
            return try #require(last)
        }

        /// vx-1 (driver, 5 s period): used memory = available − usable, the fill of 8 MiB, and fresh
        /// statistics. vx-noperiod (driver, no period): period 0. vx-nodriver (no driver, 5 s
        /// period): no guest numbers, no used memory, last update 0, so the alert's condition holds.
        @Test func usedMemoryWithAPeriodAndTheSignalForTheOthers() throws {
            let uri = try #require(Testbed.uri)
            let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/testbed/balloon.sh").path
            defer {
                for domain in Self.balloonDomains {
                    _ = try? Testbed.virsh(["destroy", domain])
                    _ = try? Testbed.virsh(["undefine", domain, "--managed-save"])
                }
            }
            try Testbed.run(script, [])
            let exporter = try ExporterProcess(["--libvirt.uri", uri, "--collector.interval", "2s"])
            try exporter.waitUntilReady()
            let period = "libvirt_domain_memory_stats_period_seconds"
            let (exposition, reply) = try Self.scrape(exporter) { exposition in
                (["vx-1"] + Self.balloonDomains).allSatisfy { exposition.value(period, ["domain": $0]) != nil }
            }
            let collected = try #require(exposition.value("libvirt_exporter_last_collection_timestamp_seconds"))
            func value(_ metric: String, _ domain: String) -> Double? {
                exposition.value("libvirt_domain_memory_" + metric, ["domain": domain])
            }

            let available = try #require(value("stats_available_bytes", "vx-1"))
            let usable = try #require(value("stats_usable_bytes", "vx-1"))
            #expect(value("used_bytes", "vx-1") == available - usable)
            #expect(value("used_bytes", "vx-1") == 8_388_608, "the guest's fill=8: 8 MiB")
            #expect(value("stats_period_seconds", "vx-1") == 5)
            let age = collected - (try #require(value("stats_last_update_timestamp_seconds", "vx-1")))
            #expect(age >= 0 && age < 3 * 5 + 30, "vx-1's statistics are fresh: \(age) s old")

            #expect(value("stats_period_seconds", "vx-noperiod") == 0, "no period: the numbers date from boot")
            #expect(value("used_bytes", "vx-noperiod") != nil, "its driver reported once, at boot")

            #expect(value("stats_period_seconds", "vx-nodriver") == 5)
            #expect(value("stats_last_update_timestamp_seconds", "vx-nodriver") == 0)
            #expect(value("stats_available_bytes", "vx-nodriver") == nil)
            #expect(value("used_bytes", "vx-nodriver") == nil, "no driver: no used memory, never a made-up zero")
            #expect(value("stats_rss_bytes", "vx-nodriver") != nil, "the host's view stays")
            #expect(collected - 0 > 3 * 5 + 30, "LibvirtBalloonStatsStale's condition holds for vx-nodriver")

            let promtool = try Command.run("/usr/bin/promtool", ["check", "metrics"], input: reply.body)
            #expect(promtool.status == 0, "promtool check metrics: \(promtool.output)")

            // The other two flags for real, on these throwaway domains: autostart, and a managed save.
            try Testbed.virsh(["autostart", "vx-nodriver"])
            try Testbed.virsh(["managedsave", "vx-noperiod"])
            let (saved, _) = try Self.scrape(exporter) { exposition in
                exposition.value("libvirt_domain_managed_save", ["domain": "vx-noperiod"]) == 1
                    && exposition.value("libvirt_domain_autostart", ["domain": "vx-nodriver"]) == 1
            }
            #expect(saved.value("libvirt_domain_managed_save", ["domain": "vx-noperiod"]) == 1)
            #expect(saved.value("libvirt_domain_info_state", ["domain": "vx-noperiod"]) == 5)
            #expect(saved.value("libvirt_domain_memory_stats_period_seconds", ["domain": "vx-noperiod"]) == nil)
            #expect(saved.value("libvirt_domain_autostart", ["domain": "vx-nodriver"]) == 1)
            #expect(saved.value("libvirt_domain_autostart", ["domain": "vx-1"]) == 0)
        }

        /// The shut-off vx-off is persistent, not autostarted, without managed save, and every
        /// domain has the three flags; with --no-collector.inactive-domains vx-off is gone.
        @Test func inventoryFlagsAndInactiveDomains() throws {
            let uri = try #require(Testbed.uri)
            let exporter = try ExporterProcess(["--libvirt.uri", uri, "--collector.interval", "2s"])
            try exporter.waitUntilReady()
            let (exposition, _) = try Self.scrape(exporter) {
                $0.value("libvirt_domain_persistent", ["domain": "vx-1"]) != nil
            }
            let off = ["domain": Testbed.shutOffDomain]
            #expect(exposition.value("libvirt_domain_persistent", off) == 1)
            #expect(exposition.value("libvirt_domain_autostart", off) == 0)
            #expect(exposition.value("libvirt_domain_managed_save", off) == 0)
            let domains = try Testbed.virsh(["list", "--all", "--name"]).split(separator: "\n").map(String.init)
            let autostarted = try Testbed.virsh(["list", "--all", "--name", "--autostart"]).split(separator: "\n")
            for domain in domains where domain.hasPrefix("vx-") {
                let flag = exposition.value("libvirt_domain_autostart", ["domain": domain])
                #expect(flag == (autostarted.contains(Substring(domain)) ? 1 : 0), "\(domain)")
                #expect(exposition.value("libvirt_domain_managed_save", ["domain": domain]) != nil, "\(domain)")
            }
            #expect(exposition.value("libvirt_exporter_last_collection_success") == 1)

            let activeOnly = try ExporterProcess([
                "--libvirt.uri", uri, "--collector.interval", "2s", "--no-collector.inactive-domains",
            ])
            try activeOnly.waitUntilReady()
            let (running, _) = try Self.scrape(activeOnly) {
                $0.value("libvirt_domain_persistent", ["domain": "vx-1"]) != nil
            }
            #expect(running.samples("libvirt_domain_info", off).isEmpty)
            #expect(running.value("libvirt_domain_persistent", ["domain": "vx-1"]) == 1)
        }
    }
}
