import Foundation
import StatsCollector
import TestSupport
import Testing

@testable import virt_exporter

/// A selection that leaves out what a shipped alert reads says so at start.
@Suite struct SelectionWarningsTests {
    private func scope(_ arguments: [String]) throws -> (CollectionScope, Bool) {
        let configuration = try ExporterConfiguration.resolved(arguments)
        return (configuration.collectors.scope, configuration.derivesMetrics)
    }

    /// The `libvirt_*` names in the `expr` of each alert of the shipped rules file (an alert that
    /// reads none, such as one on `up`, with an empty set).
    private static func alertsInRulesFile() throws -> [String: Set<String>] {
        let text = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("deploy/prometheus/virt-exporter.rules.yml"),
            encoding: .utf8)
        var alerts: [String: Set<String>] = [:]
        var alert: String?
        var inExpression = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("- alert: ") {
                let name = String(trimmed.dropFirst("- alert: ".count))
                alert = name
                alerts[name] = alerts[name] ?? []
                inExpression = false
            } else if trimmed.hasPrefix("- record: ") {
                alert = nil
            } else if trimmed.hasPrefix("expr:") {
                inExpression = true
            } else if trimmed.hasSuffix(":") || trimmed.hasPrefix("for:") || trimmed.hasPrefix("labels:")
                || trimmed.hasPrefix("annotations:")
            {
                inExpression = false
            }
            guard let alert, inExpression, !trimmed.hasPrefix("#") else { continue }
            for match in trimmed.matches(of: /libvirt_[a-z0-9_]+/) {
                alerts[alert, default: []].insert(String(match.output))
            }
        }
        return alerts
    }

    /// Whether some configuration can leave the family `name` out: the metric patterns select
    /// domain and pool families, a part switched off takes its own.
    private static func selectable(_ name: String, under narrowest: (CollectionScope, Bool)) -> Bool {
        let (scope, rates) = narrowest
        let selection = MetricSelection(scope: scope, derivesMetrics: rates)
        return name.hasPrefix("libvirt_domain") || name.hasPrefix("libvirt_storage_pool_")
            || !SelectionWarnings.exports(name, scope: scope, selection: selection, derivesMetrics: rates)
    }

    /// Every alert of the rules file, with the families it reads that a configuration can leave
    /// out, is in the table, and the table has nothing else: an alert missing, gone or renamed,
    /// or a family added to or dropped from an expression, fails here.
    @Test func theTableOfShippedAlertsIsTheRulesFiles() throws {
        let table = Dictionary(
            uniqueKeysWithValues: SelectionWarnings.shippedAlerts.map { ($0.alert, Set($0.families)) })
        let alerts = try Self.alertsInRulesFile()
        let text = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("deploy/prometheus/virt-exporter.rules.yml"),
            encoding: .utf8)
        #expect(alerts.count == text.components(separatedBy: "- alert: ").count - 1, "the parser found every alert")
        let offFlags = CollectorPart.allCases.map { "--no-collector.\($0.rawValue)" } + ["--no-collector.rates"]
        let narrowest = try scope(offFlags + ["--collector.metrics-include", "libvirt_domain_nothing"])
        var expected: [String: Set<String>] = [:]
        for (alert, families) in alerts {
            let selectable = families.filter { Self.selectable($0, under: narrowest) }
            if !selectable.isEmpty { expected[alert] = selectable }
        }
        #expect(Set(table.keys).subtracting(alerts.keys).isEmpty, "the table lists alerts the file no longer has")
        #expect(table == expected)
        // Those left out read only what every configuration exports (`up`, libvirt_up, the
        // exporter's own families): they are the exporter's health, not a selection's.
        let unlisted = Set(alerts.keys).subtracting(table.keys)
        #expect(
            unlisted == [
                "LibvirtExporterCollectionStale", "LibvirtExporterDown", "LibvirtExporterCollectionErrors",
                "LibvirtDown",
            ], "\(unlisted.sorted())")
    }

    @Test func theDefaultsKeepEveryShippedAlert() throws {
        let (scope, rates) = try scope([])
        #expect(SelectionWarnings.messages(scope: scope, derivesMetrics: rates).isEmpty)
    }

    @Test func aSelectionThatSilencesAnAlertSaysWhich() throws {
        let (excluded, rates) = try scope(["--collector.metrics-exclude", "libvirt_domain_job_eta_seconds"])
        #expect(
            SelectionWarnings.messages(scope: excluded, derivesMetrics: rates) == [
                "the shipped alert LibvirtJobEtaGrowing reads libvirt_domain_job_eta_seconds, which this configuration does not export; it cannot fire"
            ])
        let (noRates, off) = try scope(["--no-collector.rates"])
        let messages = SelectionWarnings.messages(scope: noRates, derivesMetrics: off)
        #expect(
            messages.contains {
                $0.hasPrefix("the shipped alert LibvirtVcpuWaitHigh reads libvirt_domain_vcpu_wait_ratio")
            })
        let (noEvents, _) = try scope(["--no-collector.events"])
        #expect(
            SelectionWarnings.messages(scope: noEvents, derivesMetrics: true).map { $0.prefix(47) } == [
                "the shipped alert LibvirtDomainCrashed reads li", "the shipped alert LibvirtDomainPausedOnIOError ",
            ])
    }
}
