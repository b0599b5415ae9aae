import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// A QEMU that stops answering, and a libvirtd that stops answering, on the real testbed:
    /// SIGSTOP for a bounded time, always followed by SIGCONT.
    @Suite struct FaultTests {
        /// The collector interval of these tests; the bounds below are in its units.
        static let interval = 2.0
        /// How late data may be: two intervals and a second.
        static let bound = 2 * interval + 1

        /// Runs `body`, and on an error adds the exporter's log to it, for CI's output.
        private func withLog<Result>(_ exporter: ExporterProcess, _ body: () throws -> Result) throws -> Result {
            do {
                return try body()
            } catch {
                throw HTTPTestError("\(error); the exporter's log ends:\n\(exporter.log.suffix(6000))")
            }
        }

        private func exporter(_ uri: String, interval: Double = FaultTests.interval) throws -> ExporterProcess {
            let exporter = try ExporterProcess([
                "--libvirt.uri", uri, "--collector.interval", "\(Int(interval))s", "--collector.job-poll-interval",
                "1s",
            ])
            try exporter.waitUntilReady()
            Thread.sleep(forTimeInterval: 2 * interval)
            return exporter
        }

        @Test func aStoppedQEMUFreezesNoOtherDomainAndIsFlagged() throws {
            let uri = try #require(Testbed.uri)
            let domains = try Testbed.runningDomains()
            try #require(domains.count >= 2, "the testbed runs at least two domains")
            let stuck = domains.last!
            let healthy = domains.filter { $0 != stuck }
            let exporter = try exporter(uri)
            let hang = 40.0
            let start = Date()
            let stopped = try StoppedProcess(pid: try Faults.qemuPID(of: stuck), atMost: Int(hang) + 20)
            var virshSeconds: [Double] = []
            let scrapes = try TimedScrape.series(port: exporter.port, from: start, for: hang + 3 * Self.interval) {
                time in
                if time >= hang { stopped.resume() }
                if time < hang, virshSeconds.count < Int(time / 5) + 1 {
                    virshSeconds.append(try Faults.virshListSeconds())
                }
            }
            stopped.resume()

            #expect(scrapes.allSatisfy { $0.seconds < 1 }, "every scrape answers in under 1 s")
            #expect(virshSeconds.allSatisfy { $0 < 1 }, "libvirtd answers other clients: \(virshSeconds)")
            let during = scrapes.filter { $0.time < hang }
            let gaps = healthy.map {
                during.longestGapBetweenChanges(
                    "libvirt_domain_info_cpu_time_seconds_total", ["domain": $0], from: 0, to: hang)
            }
            let flagged = during.first { $0.exposition.value("libvirt_domain_stats_complete", ["domain": stuck]) == 0 }
            let whole = scrapes.last { $0.exposition.value("libvirt_domain_stats_complete", ["domain": stuck]) != 0 }
            let back = scrapes.first {
                $0.time >= hang && $0.exposition.value("libvirt_domain_stats_complete", ["domain": stuck]) == 1
            }
            let overdue = scrapes.compactMap { $0.exposition.value("libvirt_exporter_overdue_calls") }.max() ?? 0
            print(
                "E2E hung QEMU (\(stuck), \(Int(hang)) s, interval \(Self.interval) s): longest gap of healthy data \(gaps.map { String(format: "%.1f s", $0) }), flagged after \(flagged.map { String(format: "%.1f s", $0.time) } ?? "never"), whole again \(back.map { String(format: "%.1f s", $0.time - hang) } ?? "never") after SIGCONT, virsh list ≤ \(String(format: "%.2f s", virshSeconds.max() ?? 0)), overdue calls ≤ \(Int(overdue)) (for \(stuck): ≤ \(Faults.mostCallsWaiting(for: stuck, in: exporter.log))), slowest scrape \(String(format: "%.1f ms", 1000 * (scrapes.map(\.seconds).max() ?? 0)))"
            )
            #expect(gaps.allSatisfy { $0 <= Self.bound }, "healthy domains' counters keep advancing")
            let flaggedAt = try #require(flagged, "the stuck domain is flagged").time
            #expect(flaggedAt <= Self.bound)
            for scrape in during where scrape.time > flaggedAt + Self.interval {
                #expect(scrape.exposition.value("libvirt_domain_stats_complete", ["domain": stuck]) == 0)
                #expect(
                    scrape.exposition.value("libvirt_domain_memory_stats_rss_bytes", ["domain": stuck]) == nil,
                    "what libvirt could not read is absent, not a frozen copy")
                #expect(scrape.exposition.value("libvirt_up") == 1)
            }
            let waiting = Faults.mostCallsWaiting(for: stuck, in: exporter.log)
            #expect(waiting <= 1, "at most one per-domain call waits for the stuck domain at any time")
            #expect(overdue <= 10, "calls past their deadline stay within the call threads")
            let backAt = try #require(back, "the domain is whole again after SIGCONT").time
            #expect(backAt - hang <= 2 * Self.interval)
            _ = whole
        }

        @Test func aStoppedLibvirtdGivesStaleSnapshotsAndFreshDataAfterIt() throws {
            let uri = try #require(Testbed.uri)
            let exporter = try exporter(uri)
            let hang = 30.0
            let start = Date()
            let stopped = try StoppedProcess(pid: try Faults.libvirtdPID(), atMost: Int(hang) + 20)
            let scrapes = try TimedScrape.series(port: exporter.port, from: start, for: hang + 3 * Self.interval) {
                time in
                if time >= hang { stopped.resume() }
            }
            stopped.resume()

            #expect(scrapes.allSatisfy { $0.seconds < 1 }, "every scrape answers in under 1 s")
            func isStale(_ scrape: TimedScrape) -> Bool {
                scrape.exposition.value("libvirt_up") == 0
                    && scrape.exposition.value("libvirt_exporter_collection_stale") == 1
                    && !scrape.exposition.series.contains { $0.name.hasPrefix("libvirt_domain") }
            }
            let firstStale = scrapes.first(where: isStale)
            let fresh = scrapes.first {
                $0.time >= hang && $0.exposition.value("libvirt_up") == 1
                    && $0.exposition.series.contains { $0.name == "libvirt_domain_info_cpu_time_seconds_total" }
            }
            print(
                "E2E hung libvirtd (\(Int(hang)) s, interval \(Self.interval) s): stale after \(firstStale.map { String(format: "%.1f s", $0.time) } ?? "never"), fresh data \(fresh.map { String(format: "%.1f s", $0.time - hang) } ?? "never") after SIGCONT"
            )
            for scrape in scrapes where scrape.time >= Self.bound && scrape.time < hang {
                #expect(isStale(scrape), "at \(scrape.time) s the snapshot says it is stale and has no domain series")
            }
            let freshAt = try #require(fresh, "fresh domain data after SIGCONT").time
            #expect(freshAt - hang <= 2 * Self.interval)
            #expect(try #require(scrapes.last).exposition.value("libvirt_exporter_collection_stale") == 0)
        }

        @Test func aStuckDomainDoesNotDelayAnotherDomainsJobStats() throws {
            let uri = try #require(Testbed.uri)
            let jobScript = Fixtures.repositoryRoot.appendingPathComponent("scripts/testbed/job.sh").path
            let jobDomain = JobTests.jobDomain
            try Testbed.run(jobScript, ["--prepare", jobDomain])
            let stuck = try #require(try Testbed.runningDomains().last)
            let exporter = try exporter(uri)
            try Testbed.run(jobScript, [jobDomain, "20"])
            defer { _ = try? Testbed.run(jobScript, ["--wait", jobDomain, "120"]) }
            let start = Date()
            let stopped = try StoppedProcess(pid: try Faults.qemuPID(of: stuck), atMost: 40)
            let scrapes = try withLog(exporter) {
                try TimedScrape.series(port: exporter.port, from: start, for: 15, every: 0.25)
            }
            stopped.resume()

            let running = scrapes.filter { $0.exposition.value("libvirt_domain_job_type", ["domain": jobDomain]) == 2 }
            let gap = running.longestGapBetweenChanges(
                "libvirt_domain_job_elapsed_seconds", ["domain": jobDomain], from: running.first?.time ?? 0,
                to: running.last?.time ?? 0)
            print(
                "E2E job poller with \(stuck) stopped: \(running.count) running samples, longest gap between job updates \(String(format: "%.2f s", gap))"
            )
            #expect(running.count >= 20, "the job was seen running while the other domain hung")
            #expect(gap <= 2.5, "job stats keep refreshing about every second")
        }

        @Test func repeatedHangsLeaveThreadsAndMemoryBounded() throws {
            let uri = try #require(Testbed.uri)
            let stuck = try #require(try Testbed.runningDomains().first)
            let exporter = try exporter(uri, interval: 1)
            let pid = try Faults.qemuPID(of: stuck)
            let threadsBefore = Faults.procStatus(exporter.pid, "Threads") ?? 0
            let rssBefore = Faults.procStatus(exporter.pid, "VmRSS") ?? 0
            var threads: [Int] = []
            for _ in 0..<10 {
                let stopped = try StoppedProcess(pid: pid, atMost: 20)
                Thread.sleep(forTimeInterval: 4)
                threads.append(Faults.procStatus(exporter.pid, "Threads") ?? 0)
                stopped.resume()
                Thread.sleep(forTimeInterval: 2)
            }
            Thread.sleep(forTimeInterval: 3)
            let threadsAfter = Faults.procStatus(exporter.pid, "Threads") ?? 0
            let rssAfter = Faults.procStatus(exporter.pid, "VmRSS") ?? 0
            print(
                "E2E 10 hangs of \(stuck): threads \(threadsBefore) → \(threadsAfter) (max \(threads.max() ?? 0) during), RSS \(rssBefore / 1024) → \(rssAfter / 1024) MiB"
            )
            #expect(threads.allSatisfy { $0 <= threadsBefore + 10 }, "call threads are bounded")
            #expect(threadsAfter <= threadsBefore + 10)
            #expect(rssAfter - rssBefore < 8 * 1024, "memory stays flat over repeated hangs")
            let exposition = ParsedExposition(try HTTPReply.fetch(port: exporter.port, path: "/metrics").text)
            #expect(exposition.value("libvirt_exporter_overdue_calls") == 0, "every late call came back")
            // The collector's 7 threads, the stats pool's for two batches and the hung domain's call,
            // the job poller's 4: threads are started on demand and kept, never one per hang.
            #expect((exposition.value("libvirt_exporter_call_threads") ?? .infinity) <= 14, "the pools' bound")
        }
    }
}
