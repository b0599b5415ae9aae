import Foundation
import TestSupport
import Testing

extension EndToEnd.MigrationTests {
    /// Slow but sure: the guest dirties memory at about 70% of the bandwidth, so the memory left
    /// at the start of each pass shrinks by only about 30% a pass, and the migration converges in
    /// many passes. `LibvirtMigrationNotConverging` (shipped: 3 passes without a new low) and the
    /// other job alerts (durations shortened by ``RuleDurations``) must neither fire nor be pending
    /// at any time, as Prometheus' own `ALERTS` series over the migration's window say.
    @Test func aMigrationThatConvergesSlowlyButSurelyRaisesNoAlert() throws {
        let hosts = try MigrationHosts.forAlertingTest()
        let domain = "vxm-slow"
        try hosts.startGuest(
            domain, on: MigrationHosts.source, memory: SlowGuest.memory,
            cmdline: "fill=\(SlowGuest.fill) dirty=\(SlowGuest.dirty)")
        let watch = try MigrationWatch(hosts)
        let (source, webhook, stack) = (watch.source, watch.webhook, watch.stack)
        _ = try source.scrape(for: 15) { $0.value("libvirt_domain_info_state", ["domain": domain]) == 1 }

        let migration = try MigrationHosts.Migration(domain, hosts: hosts, bandwidth: SlowGuest.bandwidth)
        defer { _ = try? hosts.virsh(MigrationHosts.source, ["domjobabort", domain]) }
        var samples: [JobSample] = []
        var alerts: Set<String> = []
        while migration.isRunning && Date().timeIntervalSince(migration.started) < 150 {
            samples.append(try JobSample.read(source, domain: domain, since: migration.started))
            for alert in try stack.query("ALERTS{alertname=~\"\(Self.jobAlerts)\"}") {
                alerts.insert("\(alert.labels["alertname"] ?? "") \(alert.labels["alertstate"] ?? "")")
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
        let status = migration.wait(seconds: 5)
        let duration = Date().timeIntervalSince(migration.started)
        let starts = Self.passStarts(samples)
        let passes = samples.compactMap(\.iteration).max() ?? 0
        let stalled = samples.compactMap(\.stalledPasses).max() ?? 0
        Thread.sleep(forTimeInterval: 3)  // Prometheus' last scrape and evaluation of the job
        // Prometheus' view: the stalled-pass gauge it stored, and any job alert over the window.
        let window = Int(duration.rounded(.up)) + 10
        let stored = try stack.query(
            "max_over_time(libvirt_domain_job_memory_stalled_passes{domain=\"\(domain)\"}[\(window)s])"
        ).first?.value
        // Evaluations (one a second) at which each job alert was pending or firing.
        func evaluations(_ state: String) throws -> [String: Int] {
            let series = try stack.query(
                "count_over_time(ALERTS{alertname=~\"\(Self.jobAlerts)\",alertstate=\"\(state)\"}[\(window)s])")
            return Dictionary(series.map { ($0.labels["alertname"] ?? "", Int($0.value)) }, uniquingKeysWith: +)
        }
        let firing = try evaluations("firing")
        let pending = try evaluations("pending")
        print(
            "E2E migration (slow but sure, \(SlowGuest.description)): exit \(status.map { "\($0)" } ?? "running") after "
                + "\(String(format: "%.1f", duration)) s, \(Int(passes)) passes; pass starts (s, pass, MB left, "
                + "stalled passes, expected/max downtime): "
                + starts.map {
                    String(
                        format: "%.1f/%.0f/%.2f/%.0f/%.1f", $0.time, $0.pass, $0.remaining / 1e6, $0.stalled, $0.ratio)
                }.joined(separator: " ")
                + "; memory left at the passes' starts by QEMU (pass: MB): "
                + Self.qemuPassStarts(samples).map { String(format: "%.0f: %.1f", $0.pass, $0.start / 1e6) }
                .joined(separator: ", ")
                + "; most stalled passes seen \(Int(stalled)), in Prometheus \(stored.map { "\(Int($0))" } ?? "-"); "
                + "job alerts firing \(firing), pending (evaluations) \(pending)")
        #expect(status == 0, "the migration completes")
        #expect(passes >= 6, "it converges slowly, in many passes: \(passes)")
        #expect(stalled < 3 && (stored ?? 0) < 3, "never 3 passes without a new low: \(stalled), \(stored ?? -1)")
        #expect(firing.isEmpty && !alerts.contains { $0.hasSuffix("firing") }, "no job alert fires: \(firing)")
        // The one alert that may be pending (7 of its 10 s here): when the second pass begins,
        // QEMU's first dirty rate adds the passes to come to the ETA, which jumps up once, and
        // with durations divided by 60 a 50 s job is older than the rule's 10 minutes. It must
        // not last its `for:`, which the firing check above says.
        let allowed = "LibvirtJobEtaGrowing"
        #expect(
            pending.filter { $0.key != allowed }.isEmpty,
            "no job alert pending but a rising ETA: \(pending), \(alerts.sorted())")
        #expect(webhook.notifications.isEmpty, "nothing reached the webhook")
    }

    /// Per pass seen, from its last sample (QEMU updates its expected downtime up to 0.1 s into a
    /// pass): QEMU's expected downtime × bandwidth, the memory left at the pass's start. None for
    /// the first pass, in which QEMU has no dirty rate yet.
    static func qemuPassStarts(_ samples: [JobSample]) -> [(pass: Double, start: Double)] {
        var last: [Double: Double] = [:]
        for sample in samples {
            guard let pass = sample.iteration, pass >= 2, let start = sample.passStart else { continue }
            last[pass] = start
        }
        return last.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The guest and link of the slow-but-sure migration. A pass takes the time to send what was
    /// dirtied during the one before, so with a dirty rate d and bandwidth b the memory left at a
    /// pass's start shrinks by d / b a pass: `dirty` pages per 10 ms are `dirty` × 400 KiB/s.
    enum SlowGuest {
        static let memory = 128
        static let fill = 40
        static let dirty = 8
        static let bandwidth = 4
        static var description: String {
            "\(memory) MiB guest, fill=\(fill) dirty=\(dirty) (\(dirty * 400) KiB/s), \(bandwidth) MiB/s"
        }
    }
}
