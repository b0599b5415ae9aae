import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// The guest's used memory (available − usable) and the balloon's stats period from the XML.
@Suite struct GuestMemoryTests {
    private static func domain(_ name: String, _ fields: [String: UInt64]) -> DomainStats {
        DomainStats(
            name: name, uuid: "uuid-\(name)",
            parameters: [.init(field: "state.state", value: .int(1))]
                + fields.sorted { $0.key < $1.key }.map { .init(field: $0.key, value: .ullong($0.value)) })
    }

    /// The testbed's three cases (scripts/testbed/README.md, "Measured"), in KiB as libvirt gives them.
    private static let testbed = [
        domain(
            "driver",
            [
                "balloon.current": 65536, "balloon.available": 49152, "balloon.usable": 40960,
                "balloon.unused": 40960, "balloon.disk_caches": 0, "balloon.rss": 43496,
                "balloon.last-update": 1_796_597_656,
            ]),
        domain("nodriver", ["balloon.current": 65536, "balloon.last-update": 0, "balloon.rss": 42572]),
        domain("oldguest", ["balloon.current": 65536, "balloon.available": 49152, "balloon.unused": 30000]),
    ]

    @Test func usedMemoryIsAvailableLessUsableAndAbsentWithoutThem() async throws {
        let exposition = ParsedExposition(try await FixtureCollection.text(of: Self.testbed))
        #expect(exposition.value("libvirt_domain_memory_used_bytes", ["domain": "driver"]) == 8_388_608, "8 MiB")
        #expect(exposition.value("libvirt_domain_memory_used_bytes", ["domain": "nodriver"]) == nil)
        #expect(exposition.value("libvirt_domain_memory_used_bytes", ["domain": "oldguest"]) == nil, "no usable")
        #expect(
            exposition.value("libvirt_domain_memory_stats_last_update_timestamp_seconds", ["domain": "nodriver"]) == 0)
    }

    @Test func aUsableAboveAvailableGivesNothingRatherThanANegativeUse() {
        var engine = DerivedMetricsEngine()
        let labels = [Label("domain", "odd")]
        var families: [String: MetricFamily] = [:]
        for (name, value) in [
            ("libvirt_domain_memory_stats_available_bytes", 1000.0), ("libvirt_domain_memory_stats_usable_bytes", 2000),
        ] {
            var family = try! MetricFamily(name: name, help: "h", type: .gauge)
            try! family.append(Sample(labels: labels, value: .double(value)))
            families[name] = family
        }
        #expect(!engine.derive(from: families, at: 0).contains { $0.name == "libvirt_domain_memory_used_bytes" })
    }

    private static func xml(_ devices: String) -> String {
        "<domain type='kvm'><name>d</name><devices>\(devices)</devices></domain>"
    }

    @Test func theStatsPeriodIsReadFromTheMemballoon() {
        let cases: [(String, Int64?)] = [
            ("<memballoon model='virtio'><stats period='5'/></memballoon>", 5),
            ("<memballoon model='virtio'><alias name='balloon0'/></memballoon>", 0),
            ("<memballoon model='none'/>", nil),
            ("", nil),
            ("<memballoon model='virtio'><stats period='soon'/></memballoon>", nil),
        ]
        for (devices, period) in cases {
            #expect(DomainFacts(xml: Self.xml(devices), uuid: "u").memoryStatsPeriod == period, "\(devices)")
        }
    }

    @Test func thePeriodIsReportedForRunningDomainsOnly() {
        let facts = DomainFacts(
            xml: Self.xml("<memballoon model='virtio'><stats period='10'/></memballoon>"), uuid: "u")
        let running = Self.domain("d", [:])
        let period = facts.parameters(for: running).first { $0.field == MetricCatalog.memoryStatsPeriodField }
        #expect(period?.value == .llong(10))
        let stopped = DomainStats(name: "d", uuid: "u", parameters: [.init(field: "state.state", value: .int(5))])
        #expect(!facts.parameters(for: stopped).contains { $0.field == MetricCatalog.memoryStatsPeriodField })
    }
}
