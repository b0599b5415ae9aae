import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// Live migrations between the testbed's namespaced hosts (`scripts/testbed/hosts.sh`), watched
    /// by an exporter on each host, scraped every second by Debian's Prometheus evaluating the
    /// shipped rules (durations shortened by ``RuleDurations``, a factor of 60: 10 min → 10 s),
    /// which sends to Debian's Alertmanager, which notifies a webhook the test listens on.
    @Suite(.serialized) struct MigrationTests {
        /// The job and migration alerts, none of which may fire for a migration that converges.
        static let jobAlerts = "LibvirtMigration.*|LibvirtJob.*|LibvirtLastJobFailed"
        static let durationFactor = 60

        static func exporter(_ uri: String) throws -> ExporterProcess {
            let exporter = try ExporterProcess([
                "--libvirt.uri", uri, "--collector.interval", "5s", "--collector.job-poll-interval", "1s",
            ])
            try exporter.waitUntilReady()
            return exporter
        }

        /// A small guest at 4 MiB/s: done in a few passes within about 10 s. Once with the source's
        /// definition kept (its completed job stays there), once with `--undefinesource`, as Nova
        /// migrates (then only the destination has it). No job alert fires.
        @Test func aConvergingMigrationIsWatchedEverySecondAndRaisesNoAlert() throws {
            let hosts = try MigrationHosts.forAlertingTest()
            let watch = try MigrationWatch(hosts)
            let (source, destination, webhook, stack) = (watch.source, watch.destination, watch.webhook, watch.stack)
            let domain = "vxm-conv"
            var alertsSeen: [String] = []
            var pending: Set<String> = []
            for undefineSource in [false, true] {
                try hosts.startGuest(domain, on: MigrationHosts.source, cmdline: "fill=24 dirty=2")
                // both exporters know the domain (the source's) before the migration starts
                _ = try source.scrape(for: 15) { $0.value("libvirt_domain_info_state", ["domain": domain]) == 1 }
                let migration = try MigrationHosts.Migration(
                    domain, hosts: hosts, bandwidth: 4, undefineSource: undefineSource)
                var samples: [JobSample] = []
                var incoming: [JobSample] = []
                var ended: Double?
                // Until the migration ends, then until the domain runs on the destination only.
                while Date().timeIntervalSince(migration.started) < 90 {
                    samples.append(try JobSample.read(source, domain: domain, since: migration.started))
                    incoming.append(try JobSample.read(destination, domain: domain, since: migration.started))
                    if !migration.isRunning {
                        ended = ended ?? samples.last?.time
                        let (left, arrived) = (samples.last?.state, incoming.last?.state)
                        if arrived == 1 && (undefineSource ? left == nil : left != 1) { break }
                        if let ended, samples.last!.time - ended > 20 { break }
                    }
                    for alert in try stack.query("ALERTS{alertname=~\"\(Self.jobAlerts)\"}") {
                        let name = alert.labels["alertname"] ?? ""
                        if alert.labels["alertstate"] == "firing" {
                            alertsSeen.append(name)
                        } else {
                            pending.insert(name)
                        }
                    }
                    Thread.sleep(forTimeInterval: 0.25)
                }
                let status = migration.wait(seconds: 5)
                Self.expectTheDestinationTakesOver(
                    Handover(source: samples, destination: incoming), incoming: incoming, ended: ended ?? 90,
                    undefineSource: undefineSource)
                #expect(status == 0, "the migration completes (undefinesource \(undefineSource))")
                let running = samples.filter(\.isRunning)
                let duration = running.last.map(\.time) ?? 0
                Self.expectEverySecond(running, \.remaining, "memory remaining")
                Self.expectEverySecond(running, \.progress, "progress")
                Self.expectEverySecond(running.filter { $0.time > 3 }, \.eta, "ETA")
                let progress = running.compactMap(\.progress)
                #expect(zip(progress, progress.dropFirst()).allSatisfy { $0 <= $1 + 1e-9 }, "progress never goes back")
                print(
                    "E2E migration (converging, undefinesource \(undefineSource)): \(String(format: "%.1f", duration)) s, "
                        + "passes \(running.compactMap(\.iteration).max() ?? 0), "
                        + "ETA \(running.compactMap(\.eta).map { String(format: "%.1f", $0) })")

                // The completed job: on the source while its definition stays, on the destination
                // always (libvirt keeps both); read by the job poller when the job-completed event came.
                let keeper = undefineSource ? destination : source
                let operation: Double = undefineSource ? 4 : 5  // migration in, migration out
                let completed = try keeper.scrape(for: 15) {
                    $0.value("libvirt_domain_completed_job_type", ["domain": domain]) == 3
                        && $0.value("libvirt_domain_completed_job_operation", ["domain": domain]) == operation
                }
                let downtime = completed.exposition.value(
                    "libvirt_domain_completed_job_downtime_seconds", ["domain": domain])
                #expect(downtime != nil, "the completed job's downtime is there (undefinesource \(undefineSource))")
                #expect((downtime ?? 1) < 1, "a converging migration pauses the guest briefly")
                if undefineSource {
                    let gone = try source.scrape(for: 10) {
                        $0.value("libvirt_domain_info_state", ["domain": domain]) == nil
                    }
                    #expect(gone.exposition.value("libvirt_domain_completed_job_type", ["domain": domain]) == nil)
                } else {
                    Thread.sleep(forTimeInterval: 2)  // Prometheus' next scrape has the completed job
                    try Self.expectDashboardData(
                        on: stack, instance: "127.0.0.1:\(source.port)", domain: domain,
                        overLast: Int(Date().timeIntervalSince(migration.started).rounded(.up)) + 5)
                }
            }
            // Prometheus did ingest the jobs, so the rules had the data to (not) fire on.
            let ingested = try stack.query("count_over_time(libvirt_domain_job_memory_remaining_bytes[5m])")
            #expect(!ingested.isEmpty, "Prometheus saw the jobs")
            Thread.sleep(forTimeInterval: 12)  // the shortened `for:` of the slowest job rule, and more
            alertsSeen += try stack.query("ALERTS{alertname=~\"\(Self.jobAlerts)\",alertstate=\"firing\"}").map {
                "\($0.labels["alertname"] ?? "")"
            }
            print("E2E migration (converging): job alerts pending at some point (none may fire): \(pending.sorted())")
            #expect(alertsSeen.isEmpty, "no job alert fires for converging migrations: \(alertsSeen)")
            #expect(webhook.notifications.isEmpty, "nothing reached the webhook")
        }

        /// Every query of the dashboard, for the source's instance and the migrated domain, over the
        /// migration's window: the job and migration panels all have data, but for the disk
        /// progress (no storage is migrated) and libvirt's own time left (none for an unbounded job).
        static func expectDashboardData(on stack: AlertingStack, instance: String, domain: String, overLast: Int)
            throws
        {
            let dashboard = try DashboardQueries(instance: instance, domain: domain).run(on: stack, overLast: overLast)
            print(
                "E2E migration (converging): dashboard queries over the migration's \(overLast) s with data "
                    + "\(dashboard.withData.count) of \(dashboard.withData.count + dashboard.empty.count); job panels with "
                    + "data: \(DashboardQueries.jobPanels(dashboard.withData, except: []).map(DashboardQueries.metric)); "
                    + "without: "
                    + dashboard.empty.map { "\($0.row) / \($0.panel): \(DashboardQueries.metric($0))" }
                    .joined(separator: "; "))
            let missing = DashboardQueries.jobPanels(dashboard.empty, except: ["_disk_", "job_remaining_seconds"])
            #expect(missing.isEmpty, "job panels without data: \(missing.map(DashboardQueries.metric))")
        }

        /// The destination's exporter shows the incoming domain as libvirt reports it there (its
        /// state; no job statistics, which libvirt has only on the source, and no zeros for them),
        /// and shows it running within two collection intervals (10 s) of the switch-over, and of
        /// the last time the source's exporter showed it running; with `--undefinesource`, some
        /// series of the domain are on one exporter or the other at every moment.
        static func expectTheDestinationTakesOver(
            _ handover: Handover, incoming: [JobSample], ended: Double, undefineSource: Bool
        ) {
            let seen = incoming.first { $0.state != nil }
            #expect(
                incoming.allSatisfy { $0.remaining == nil && $0.progress == nil }, "no job figures on the destination")
            let takeover = handover.firstRunningOnDestination.map { $0 - ended }
            print(
                "E2E migration (destination, undefinesource \(undefineSource)): incoming domain first seen "
                    + "\(seen.map { String(format: "%.1f", $0.time) } ?? "-") s into the migration (state "
                    + "\(seen?.state.map { "\($0)" } ?? "-"), job type \(seen?.type.map { "\($0)" } ?? "absent")), "
                    + "running there \(takeover.map { String(format: "%.1f", max(0, $0)) } ?? "-") s after virsh "
                    + "migrate returned; hand-over: \(handover.summary)")
            #expect(takeover != nil, "the destination shows the domain running")
            #expect((takeover ?? 99) <= 10, "the destination shows the domain running within two collection intervals")
            #expect(
                (handover.runningGap ?? 99) <= 10, "running on neither exporter for at most two collection intervals")
            #expect(handover.longestUnseen <= 10, "shown by neither exporter for at most two collection intervals")
        }

        /// `keyPath` changed between samples at least every 2 s while the job ran (the poller reads
        /// every second), over at least 4 s.
        static func expectEverySecond(
            _ samples: [JobSample], _ keyPath: KeyPath<JobSample, Double?>, _ what: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            var changes: [Double] = []
            for (previous, next) in zip(samples, samples.dropFirst())
            where next[keyPath: keyPath] != previous[keyPath: keyPath] {
                changes.append(next.time)
            }
            let gaps = zip(changes, changes.dropFirst()).map { $1 - $0 }
            #expect(changes.count >= 4, "\(what) changed \(changes.count) times", sourceLocation: sourceLocation)
            #expect(
                (gaps.max() ?? 0) <= 2.5, "\(what) changed at most 2.5 s apart: \(gaps)", sourceLocation: sourceLocation
            )
        }
    }
}
