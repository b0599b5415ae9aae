import Foundation
import TestSupport
import Testing

/// The transformation the migration tests apply to the shipped rules file (no testbed needed).
@Suite struct RuleDurationsTests {
    @Test func durationsThresholdsAndWindowsAreDividedAndNothingElse() {
        let rules = """
              # (b) for 10 minutes: [10m] in a comment stays
              - alert: X
                expr: |
                  deriv(libvirt_domain_job_eta_seconds[10m]) > 0
                    and libvirt_domain_job_elapsed_seconds > 600
                    and time() - libvirt_exporter_last_collection_timestamp_seconds > 120
                    or increase(libvirt_domain_events_total[15m]) > 0 unless x offset 15m
                    or libvirt_domain_completed_job_downtime_seconds > 1
                    or libvirt_domain_job_memory_stalled_passes >= 3
                for: 1h
                annotations:
                  description: "for [10m] and > 600"
              - alert: Y
                expr: up == 0
                for: 30s
            """
        let expected = """
              # (b) for 10 minutes: [10m] in a comment stays
              - alert: X
                expr: |
                  deriv(libvirt_domain_job_eta_seconds[10s]) > 0
                    and libvirt_domain_job_elapsed_seconds > 10
                    and time() - libvirt_exporter_last_collection_timestamp_seconds > 120
                    or increase(libvirt_domain_events_total[15s]) > 0 unless x offset 15s
                    or libvirt_domain_completed_job_downtime_seconds > 1
                    or libvirt_domain_job_memory_stalled_passes >= 3
                for: 60s
                annotations:
                  description: "for [10m] and > 600"
              - alert: Y
                expr: up == 0
                for: 1s
            """
        #expect(RuleDurations.shorten(rules, by: 60) == expected)
        #expect(RuleDurations.shorten(rules, by: 1) != rules, "factor 1 still normalises to seconds")
        #expect(RuleDurations.seconds(of: "90s") == 90 && RuleDurations.seconds(of: "2h") == 7200)
        #expect(RuleDurations.seconds(of: "1h30m") == nil)
    }

    /// The shipped file, shortened, is still a valid rules file with the same alerts, and its
    /// pass-counting rule is untouched.
    @Test func theShippedRulesShortenedAreValid() throws {
        let shipped = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("deploy/prometheus/virt-exporter.rules.yml"),
            encoding: .utf8)
        let shortened = RuleDurations.shorten(shipped, by: 60)
        #expect(shortened.contains("libvirt_domain_job_memory_stalled_passes >= 3"))
        #expect(!shortened.contains("for: 10m") && shortened.contains("for: 10s"))
        func alerts(_ text: String) -> [Substring] {
            text.split(separator: "\n").filter { $0.contains("- alert:") }
        }
        #expect(alerts(shortened) == alerts(shipped))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vx-rules-\(UUID()).yml")
        try shortened.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else { return }
        let check = try Command.run("/usr/bin/promtool", ["check", "rules", file.path])
        #expect(check.status == 0, "promtool check rules: \(check.output)")
    }
}
