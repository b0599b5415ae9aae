import Foundation
import StatsCollector
import TestSupport
import Testing

@testable import virt_exporter

@Suite struct CatalogDocumentTests {
    @Test func committedMetricsReferenceMatchesTheCatalog() throws {
        let committed = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        #expect(
            committed == CatalogDocument.markdown(),
            "docs/metrics.md is stale: run `swift run virt-exporter catalog --format markdown > docs/metrics.md`")
    }

    @Test func jsonListsEveryMetricWithSourceAndScale() throws {
        let entries = try #require(
            JSONSerialization.jsonObject(with: Data(try CatalogDocument.json().utf8)) as? [[String: Any]])
        #expect(entries.count == MetricCatalog.all.count)
        let readBytes = try #require(
            entries.first { $0["metric"] as? String == "libvirt_domain_vcpu_time_seconds_total" })
        #expect(readBytes["source"] as? String == "vcpu.<n>.time")
        #expect(readBytes["scale"] as? Double == 1e-9)
        #expect(readBytes["type"] as? String == "counter")
        #expect(readBytes["labels"] as? [String] == ["domain", "vcpu"])
        #expect(readBytes["api"] as? String == "virConnectGetAllDomainStats")
    }

    @Test func everyMetricIsListedInTheReadme() throws {
        let readme = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("docs/metrics.md"))
    }
}
