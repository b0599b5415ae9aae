import Foundation
import TestSupport
import Testing

extension EndToEnd.MigrationTests {
    /// Eight guests migrate from one host at once: each one's job is watched at the job-poll
    /// interval (its elapsed time moves in the exporter at least every 2 × 1 s, plus the test's
    /// own 0.25 s sampling), and after they end every one's completed job is there.
    @Test func eightMigrationsAtOnceAreEachWatchedEverySecond() throws {
        let hosts = try MigrationHosts()
        let domains = (1...8).map { "vxm-many-\($0)" }
        for domain in domains {
            try hosts.startGuest(domain, on: MigrationHosts.source, memory: 64, cmdline: "fill=8 dirty=1")
        }
        let source = try Self.exporter(try hosts.uri(MigrationHosts.source))
        _ = try source.scrape(for: 15) { exposition in
            domains.allSatisfy { exposition.value("libvirt_domain_info_state", ["domain": $0]) == 1 }
        }
        let migrations = try domains.map { try MigrationHosts.Migration($0, hosts: hosts, bandwidth: 1) }
        let started = migrations[0].started
        var changes: [String: [Double]] = [:]
        var last: [String: Double] = [:]
        while migrations.contains(where: \.isRunning) && Date().timeIntervalSince(started) < 120 {
            let text = try HTTPReply.fetch(port: source.port, path: "/metrics").text
            let exposition = ParsedExposition(text)
            let now = Date().timeIntervalSince(started)
            for domain in domains {
                guard let elapsed = exposition.value("libvirt_domain_job_elapsed_seconds", ["domain": domain]) else {
                    continue
                }
                if last[domain] != elapsed { changes[domain, default: []].append(now) }
                last[domain] = elapsed
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
        let statuses = migrations.map { $0.wait(seconds: 10) }
        #expect(statuses.allSatisfy { $0 == 0 }, "every migration completes: \(statuses)")
        var worst: [String: Double] = [:]
        for domain in domains {
            let times = changes[domain] ?? []
            worst[domain] = zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? .infinity
            #expect(times.count >= 4, "\(domain)'s job was seen moving \(times.count) times")
        }
        print(
            "E2E migration (eight at once): longest gap between job updates per domain (s): "
                + domains.map { String(format: "%.2f", worst[$0] ?? -1) }.joined(separator: " "))
        #expect(worst.values.allSatisfy { $0 <= 2.25 }, "no gap longer than twice the poll interval: \(worst)")
        let completed = try source.scrape(for: 20) { exposition in
            domains.allSatisfy { exposition.value("libvirt_domain_completed_job_type", ["domain": $0]) == 3 }
        }
        let missing = domains.filter {
            completed.exposition.value("libvirt_domain_completed_job_type", ["domain": $0]) != 3
        }
        #expect(missing.isEmpty, "every domain's completed job is there after the migrations")
    }
}
