import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// Most of a host's QEMUs stopped at once (6 of 9, then 8 of 9, 30 s each), on the real testbed:
    /// the healthy domains stay fresh, the stopped ones are flagged, libvirtd is not declared dead,
    /// and every domain is whole again, per-domain series and all, soon after SIGCONT.
    @Suite struct ManyHangsTests {
        static let interval = 2.0
        /// How late data may be: two intervals and a second.
        static let bound = 2 * interval + 1
        static let hang = 30.0
        /// How long after SIGCONT every domain must be whole again, and stay so.
        static let recovery = 3 * interval
        /// Families that only the per-domain calls give: the job, the completed job, and the facts
        /// from the domain XML.
        static let perDomainFamilies = [
            "libvirt_domain_job_", "libvirt_domain_completed_job_", "libvirt_domain_interface_info",
        ]

        @Test func mostQEMUsStoppedAtOnceLeaveTheOthersFreshAndLibvirtUp() throws {
            let uri = try #require(Testbed.uri)
            let crowd = Fixtures.repositoryRoot.appendingPathComponent("scripts/testbed/crowd.sh").path
            try Testbed.run(crowd, ["up", "6"])
            defer { _ = try? Testbed.run(crowd, ["down"]) }
            let testbed = Array(try Testbed.runningDomains().prefix(3))
            let crowdDomains = try Testbed.virsh(["list", "--name"]).split(separator: "\n").map(String.init).filter {
                $0.hasPrefix("vx-crowd-")
            }
            let domains = testbed + crowdDomains
            try #require(domains.count == 9, "three testbed domains and six of the crowd: \(domains)")
            let exporter = try ExporterProcess([
                "--libvirt.uri", uri, "--collector.interval", "\(Int(Self.interval))s",
            ])
            try exporter.waitUntilReady()
            Thread.sleep(forTimeInterval: 3 * Self.interval)
            // A testbed domain among the stopped ones, and testbed domains among the healthy ones.
            for stopped in [[testbed[0]] + crowdDomains.prefix(5), [testbed[0], testbed[2]] + crowdDomains] {
                try checkHang(of: stopped, among: domains, exporter: exporter)
            }
        }

        private func checkHang(of stopped: [String], among domains: [String], exporter: ExporterProcess) throws {
            let healthy = domains.filter { !stopped.contains($0) }
            let before = ParsedExposition(try HTTPReply.fetch(port: exporter.port, path: "/metrics").text)
            let perDomainBefore = Dictionary(
                uniqueKeysWithValues: domains.map { ($0, perDomainSeries(of: $0, in: before)) })
            let start = Date()
            let processes = try stopped.map {
                try StoppedProcess(pid: try Faults.qemuPID(of: $0), atMost: Int(Self.hang) + 20)
            }
            let scrapes = try withLog(exporter) {
                try TimedScrape.series(port: exporter.port, from: start, for: Self.hang + 5 * Self.interval) { time in
                    if time >= Self.hang { processes.forEach { $0.resume() } }
                }
            }
            processes.forEach { $0.resume() }

            let during = scrapes.filter { $0.time < Self.hang }
            func isWhole(_ scrape: TimedScrape, _ domain: String) -> Bool {
                scrape.exposition.value("libvirt_domain_stats_complete", ["domain": domain]) == 1
                    && scrape.exposition.value("libvirt_domain_info_cpu_time_seconds_total", ["domain": domain]) != nil
            }
            let notWhole = healthy.map { domain in
                let whole = [0] + during.filter { isWhole($0, domain) }.map(\.time) + [Self.hang]
                return zip(whole, whole.dropFirst()).map { $1 - $0 }.max() ?? Self.hang
            }
            let counterGaps = healthy.filter { !$0.hasPrefix("vx-crowd-") }.map {
                during.longestGapBetweenChanges(
                    "libvirt_domain_info_cpu_time_seconds_total", ["domain": $0], from: 0, to: Self.hang)
            }
            let flagged = stopped.map { domain in
                during.first { $0.exposition.value("libvirt_domain_stats_complete", ["domain": domain]) == 0 }?.time
            }
            let back = scrapes.first { scrape in
                scrape.time >= Self.hang
                    && domains.allSatisfy { domain in
                        isWhole(scrape, domain)
                            && perDomainBefore[domain]!.isSubset(of: perDomainSeries(of: domain, in: scrape.exposition))
                    }
            }
            let last = try #require(scrapes.last).exposition
            let threads = scrapes.compactMap { $0.exposition.value("libvirt_exporter_call_threads") }.max() ?? 0
            let overdue = scrapes.compactMap { $0.exposition.value("libvirt_exporter_overdue_calls") }.max() ?? 0
            print(
                "E2E \(stopped.count) of \(domains.count) QEMUs stopped (\(Int(Self.hang)) s, interval \(Self.interval) s): healthy domains not whole for at most \(notWhole.map { String(format: "%.1f s", $0) }), testbed counters' longest gap \(counterGaps.map { String(format: "%.1f s", $0) }), stopped flagged after \(flagged.map { $0.map { String(format: "%.1f s", $0) } ?? "never" }), all whole with their per-domain series \(back.map { String(format: "%.1f s", $0.time - Self.hang) } ?? "never") after SIGCONT, call threads ≤ \(Int(threads)), overdue calls ≤ \(Int(overdue)), slowest scrape \(String(format: "%.1f ms", 1000 * (scrapes.map(\.seconds).max() ?? 0))), RSS \((Faults.procStatus(exporter.pid, "VmRSS") ?? 0) / 1024) MiB"
            )
            #expect(scrapes.allSatisfy { $0.seconds < 1 }, "every scrape answers in under 1 s")
            #expect(
                during.allSatisfy { $0.exposition.value("libvirt_up") == 1 }, "libvirtd answers: libvirt_up stays 1")
            #expect(during.allSatisfy { $0.exposition.value("libvirt_exporter_collection_stale") == 0 })
            #expect(notWhole.allSatisfy { $0 <= Self.bound }, "the healthy domains stay whole: \(healthy) \(notWhole)")
            #expect(counterGaps.allSatisfy { $0 <= Self.bound }, "their counters keep advancing")
            for (domain, time) in zip(stopped, flagged) {
                let flaggedAt = try #require(time, "\(domain) is flagged")
                #expect(flaggedAt <= Self.bound)
                for scrape in during where scrape.time > flaggedAt + Self.interval {
                    #expect(
                        scrape.exposition.value("libvirt_domain_stats_complete", ["domain": domain]) == 0,
                        "at \(scrape.time) s \(domain) stays flagged")
                    #expect(
                        scrape.exposition.value("libvirt_domain_memory_stats_rss_bytes", ["domain": domain]) == nil,
                        "what libvirt could not read is absent, not a frozen copy")
                    #expect(
                        scrape.exposition.value("libvirt_domain_info_state", ["domain": domain]) == 1, "its state stays"
                    )
                }
            }
            let backAt = try #require(back, "every domain whole again, with its per-domain series").time
            #expect(backAt - Self.hang <= Self.recovery)
            for scrape in scrapes where scrape.time >= backAt {
                for domain in domains {
                    #expect(isWhole(scrape, domain), "at \(scrape.time) s \(domain) stays whole")
                    let missing = perDomainBefore[domain]!.subtracting(
                        perDomainSeries(of: domain, in: scrape.exposition))
                    #expect(missing.isEmpty, "at \(scrape.time) s \(domain) lacks \(missing)")
                }
            }
            #expect(last.value("libvirt_exporter_overdue_calls") == 0, "every call that waited came back")
            #expect((last.value("libvirt_exporter_call_threads") ?? .infinity) <= 24, "the pools' bounds")
            #expect(
                (last.value(
                    "libvirt_exporter_skipped_calls_total", ["call": "virDomainListGetStats", "reason": "in_flight"])
                    ?? 0)
                    > 0, "the stats not asked of the stopped domains are counted")
            #expect(
                (last.value(
                    "libvirt_exporter_skipped_calls_total", ["call": "per-domain calls", "reason": "domain_incomplete"])
                    ?? 0)
                    > 0, "so are their per-domain calls")
        }

        /// The series of `domain` that its per-domain calls give, by name and labels.
        private func perDomainSeries(of domain: String, in exposition: ParsedExposition) -> Set<String> {
            Set(
                exposition.series.filter { series in
                    series.labels["domain"] == domain && Self.perDomainFamilies.contains { series.name.hasPrefix($0) }
                }.map { "\($0.name)\($0.labels.sorted { $0.key < $1.key })" })
        }

        /// Runs `body`, and on an error adds the exporter's log to it, for CI's output.
        private func withLog<Result>(_ exporter: ExporterProcess, _ body: () throws -> Result) throws -> Result {
            do {
                return try body()
            } catch {
                throw HTTPTestError("\(error); the exporter's log ends:\n\(exporter.log.suffix(6000))")
            }
        }
    }
}
