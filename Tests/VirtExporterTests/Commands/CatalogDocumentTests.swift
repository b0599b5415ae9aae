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

    /// The README does not list the metrics itself: it links the reference, which lists each one.
    @Test func everyMetricIsListedInTheReferenceTheReadmeLinks() throws {
        let readme = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("](docs/metrics.md)"), "the README links docs/metrics.md")
        let reference = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        let listed = Set(
            reference.split(separator: "\n").filter { $0.hasPrefix("| `") }.map {
                $0.dropFirst(3).prefix { $0 != "`" }
            })
        let missing = MetricCatalog.all.map(\.metric).filter { !listed.contains(Substring($0)) }
        #expect(missing.isEmpty, "not in docs/metrics.md: \(missing.joined(separator: ", "))")
        #expect(listed.count == MetricCatalog.all.count, "docs/metrics.md lists each metric once")
    }
}
