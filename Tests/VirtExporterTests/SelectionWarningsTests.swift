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

    /// The `libvirt_domain*` names in each alert's `expr` of the shipped rules file.
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
                alert = String(trimmed.dropFirst("- alert: ".count))
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
            for match in trimmed.matches(of: /libvirt_domain[a-z_]*/) {
                alerts[alert, default: []].insert(String(match.output))
            }
        }
        return alerts
    }

    @Test func theTableOfShippedAlertsIsTheRulesFiles() throws {
        let table = Dictionary(
            uniqueKeysWithValues: SelectionWarnings.shippedAlerts.map { ($0.alert, Set($0.families)) })
        #expect(table == (try Self.alertsInRulesFile()))
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
