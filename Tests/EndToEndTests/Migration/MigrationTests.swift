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
            #expect(AlertingStack.isInstalled, "scripts/lib/packages.sh's test packages include both")
            guard AlertingStack.isInstalled else { return }
            let hosts = try MigrationHosts()
            let source = try Self.exporter(try hosts.uri(MigrationHosts.source))
            let destination = try Self.exporter(try hosts.uri(MigrationHosts.destination))
            let webhook = try WebhookReceiver()
            let stack = try AlertingStack(
                targets: ["127.0.0.1:\(source.port)", "127.0.0.1:\(destination.port)"], webhook: webhook.port,
                durationFactor: Self.durationFactor)
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
                while migration.isRunning && Date().timeIntervalSince(migration.started) < 90 {
                    samples.append(try JobSample.read(source, domain: domain, since: migration.started))
                    incoming.append(try JobSample.read(destination, domain: domain, since: migration.started))
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
                let ended = Date().timeIntervalSince(migration.started)
                try Self.expectTheDestinationTakesOver(
                    incoming, destination: destination, domain: domain, ended: ended, started: migration.started)
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

        /// The destination's exporter shows the incoming domain as libvirt reports it there (its
        /// state; no job statistics, which libvirt has only on the source, and no zeros for them),
        /// and shows it running within two collection intervals (10 s) of the switch-over.
        static func expectTheDestinationTakesOver(
            _ incoming: [JobSample], destination: ExporterProcess, domain: String, ended: Double, started: Date
        ) throws {
            let seen = incoming.first { $0.state != nil }
            #expect(
                incoming.allSatisfy { $0.remaining == nil && $0.progress == nil }, "no job figures on the destination")
            let running = try destination.scrape(every: 0.25, for: 15) {
                $0.value("libvirt_domain_info_state", ["domain": domain]) == 1
            }
            let takeover = Date().timeIntervalSince(started) - ended
            print(
                "E2E migration (destination): incoming domain first seen \(seen.map { String(format: "%.1f", $0.time) } ?? "-") s "
                    + "into the migration (state \(seen?.state.map { "\($0)" } ?? "-"), job type \(seen?.type.map { "\($0)" } ?? "absent")), "
                    + "running there \(String(format: "%.1f", max(0, takeover))) s after virsh migrate returned")
            #expect(running.exposition.value("libvirt_domain_info_state", ["domain": domain]) == 1)
            #expect(takeover <= 10, "the destination shows the domain running within two collection intervals")
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
