import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// The metadata labels a user configures: their definitions, their values in domain XML, and the
/// `libvirt_domain_metadata_info` series they make.
@Suite struct MetadataLabelTests {
    private static let app = "http://example.org/xmlns/app/1.0"
    private static let uuid = "5c1f0b3e-8a0e-4f4c-9a55-3a1d2b9e7c01"

    private static func xml(_ metadata: String) -> String {
        "<domain type='kvm'><name>web</name><metadata>\(metadata)</metadata></domain>"
    }

    private static func labels() throws -> [MetadataLabel] {
        [
            try MetadataLabel(label: "team", namespace: app, path: "labels/team"),
            try MetadataLabel(label: "tier", namespace: app, path: "labels/@tier"),
            try MetadataLabel(label: "cost_center", namespace: app, path: "labels/billing/center"),
        ]
    }

    @Test func aPathLeadsToTextOrAnAttributeInTheNamedNamespaceOnly() throws {
        let facts = DomainFacts(
            xml: Self.xml(
                """
                <x:labels xmlns:x="\(Self.app)" tier="gold"><x:team>
                  dba </x:team><billing><center>cc-17</center></billing></x:labels>
                <y:labels xmlns:y="urn:other"><y:team>not this one</y:team></y:labels>
                """), uuid: Self.uuid, labels: try Self.labels())
        #expect(
            facts.metadataLabels == [
                .init(label: "team", value: "dba"), .init(label: "tier", value: "gold"),
                .init(label: "cost_center", value: "cc-17"),
            ])
        let other = DomainFacts(
            xml: Self.xml("<y:labels xmlns:y=\"urn:other\"><y:team>dba</y:team></y:labels>"), uuid: Self.uuid,
            labels: try Self.labels())
        #expect(other.metadataLabels.isEmpty, "by namespace, not by element name or prefix")
    }

    @Test func missingValuesAreEmptyAndADomainWithNoneHasNoSeries() throws {
        let partial = DomainFacts(
            xml: Self.xml("<a:labels xmlns:a=\"\(Self.app)\"><a:team>web</a:team><a:tier/></a:labels>"),
            uuid: Self.uuid, labels: try Self.labels())
        let exposition = Self.render(partial)
        #expect(exposition.value("libvirt_domain_metadata_info", ["domain": "web", "team": "web"]) == 1)
        let series = try #require(exposition.samples("libvirt_domain_metadata_info").first)
        #expect(series.labels["tier"] == "" && series.labels["cost_center"] == "", "\(series.labels)")

        for xml in [Self.xml(""), "<domain><name>web</name></domain>", "<domain><metadata><a:labels", ""] {
            let none = DomainFacts(xml: xml, uuid: Self.uuid, labels: try Self.labels())
            #expect(none.metadataLabels.isEmpty)
            #expect(Self.render(none).samples("libvirt_domain_metadata_info").isEmpty, "\(xml)")
        }
    }

    @Test func withoutConfiguredLabelsThereIsNoSeriesAndNothingUnmapped() throws {
        let facts = DomainFacts(
            xml: Self.xml("<a:labels xmlns:a=\"\(Self.app)\"><a:team>web</a:team></a:labels>"), uuid: Self.uuid)
        #expect(facts.metadataLabels.isEmpty)
        var mapper = DomainStatsMapper()
        let labelled = DomainFacts(
            xml: Self.xml("<a:labels xmlns:a=\"\(Self.app)\"><a:team>web</a:team></a:labels>"), uuid: Self.uuid,
            labels: try Self.labels())
        let record = DomainStats(name: "web", uuid: Self.uuid, parameters: [])
        mapper.add(DomainStats(name: "web", uuid: Self.uuid, parameters: labelled.parameters(for: record)))
        #expect(mapper.unmappedFields.isEmpty, "\(mapper.unmappedFields)")
    }

    @Test(arguments: [
        ("1team", "labels/team", "is not a label name"), ("team-name", "labels/team", "is not a label name"),
        ("domain", "labels/team", "reserved"), ("__team", "labels/team", "reserved"),
        ("team", "", "must be element names"), ("team", "labels//team", "must be element names"),
        ("team", "labels/@", "must be element names"), ("team", "@tier", "must be element names"),
        ("team", "labels/x:team", "must be element names"), ("team", "labels[1]/team", "must be element names"),
    ])
    func badDefinitionsAreRefusedWithTheReason(label: String, path: String, reason: String) {
        #expect {
            _ = try MetadataLabel(label: label, namespace: Self.app, path: path)
        } throws: { error in
            (error as? MetadataLabel.Invalid)?.reason.contains(reason) == true
        }
    }

    @Test func anEmptyNamespaceIsRefused() {
        #expect(throws: MetadataLabel.Invalid.self) { try MetadataLabel(label: "a", namespace: "", path: "x") }
        #expect(throws: MetadataLabel.Invalid.self) { try MetadataLabel(label: "a", namespace: "urn: x", path: "x") }
    }

    private static func render(_ facts: DomainFacts) -> ParsedExposition {
        let record = DomainStats(name: "web", uuid: uuid, parameters: [])
        var mapper = DomainStatsMapper()
        mapper.add(DomainStats(name: "web", uuid: uuid, parameters: facts.parameters(for: record)))
        return ParsedExposition(String(decoding: TextEncoder.encode(Array(mapper.families.values)), as: UTF8.self))
    }
}
