import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// A selection exports exactly the lines of the full output that belong to what it selects, and
/// a derived gauge that stays reads inputs that are not exported.
@Suite struct MetricSelectionTests {
    private static func domains() throws -> [DomainStats] {
        try FixtureStatsSource(json: Fixtures.data("StatsCollectorTests/Fixtures/kvm-domains.json")).domains
    }

    /// `domains` with every unsigned counter grown by `step` tenths, so that rates have values.
    private static func grown(_ domains: [DomainStats], step: Int) -> [DomainStats] {
        domains.map { domain in
            var domain = domain
            for index in domain.parameters.indices {
                if case .ullong(let value) = domain.parameters[index].value {
                    domain.parameters[index].value = .ullong(value + value / 10 * UInt64(step) + UInt64(step))
                }
            }
            return domain
        }
    }

    /// Two collections through a pipeline with `selection`: the text and the unmapped fields.
    private static func render(_ selection: MetricSelection) throws -> (ParsedExposition, [String: Int]) {
        var pipeline = StatsPipeline(selection: selection)
        var output = pipeline.run(grown(try domains(), step: 0), at: 0)
        output = pipeline.run(grown(try domains(), step: 1), at: 15)
        return (ParsedExposition(String(decoding: output.body.text, as: UTF8.self)), output.unmappedFields)
    }

    private static func selection(
        parts: Set<CollectorPart> = Set(CollectorPart.allCases), _ patterns: SelectionPatterns = SelectionPatterns()
    ) -> MetricSelection {
        MetricSelection(scope: CollectionScope(parts: parts, selection: patterns))
    }

    /// Every series of `all` that `keep` admits, as text, against every series of `chosen`.
    private static func expectSubset(
        _ chosen: ParsedExposition, of all: ParsedExposition, keeping keep: (ParsedExposition.Series) -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        func line(_ series: ParsedExposition.Series) -> String {
            series.name
                + series.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                + " \(series.value)"
        }
        let expected = all.series.filter(keep).map(line).sorted()
        #expect(chosen.series.map(line).sorted() == expected, sourceLocation: sourceLocation)
        #expect(!expected.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func theDefaultPartsLeaveOutTheirGroupsDetailsAndKeepTheRatiosTheyFeed() throws {
        let (all, allUnmapped) = try Self.render(.everything)
        let defaults = Set(CollectorPart.allCases.filter(\.isDefault))
        let (chosen, unmapped) = try Self.render(Self.selection(parts: defaults))
        #expect(unmapped == allUnmapped, "a field left out is not an unmapped field")
        #expect(!all.samples("libvirt_domain_vcpu_wait_seconds_total").isEmpty)
        #expect(chosen.samples("libvirt_domain_vcpu_wait_seconds_total").isEmpty)
        #expect(!chosen.samples("libvirt_domain_vcpu_wait_ratio").isEmpty, "read, not exported")
        #expect(!chosen.names.contains { $0.hasPrefix("libvirt_domain_vcpu_kvm_") })
        #expect(all.names.contains { $0.hasPrefix("libvirt_domain_vcpu_kvm_") })
        let leftOut: Set<CollectorPart> = Set(CollectorPart.allCases).subtracting(defaults)
        Self.expectSubset(chosen, of: all) { series in
            CollectorPart.subpart(ofFamily: series.name).map { !leftOut.contains($0) } ?? true
        }
    }

    @Test func familyPatternsMatchWholeNames() throws {
        let (all, _) = try Self.render(.everything)
        let (excluded, _) = try Self.render(
            Self.selection(SelectionPatterns(metricsExclude: "libvirt_domain_block_.*")))
        Self.expectSubset(excluded, of: all) { !$0.name.hasPrefix("libvirt_domain_block_") }
        let (included, _) = try Self.render(
            Self.selection(SelectionPatterns(metricsInclude: "libvirt_domain_(info_.*|interface_stats_.*)")))
        Self.expectSubset(included, of: all) {
            $0.name.hasPrefix("libvirt_domain_info_") || $0.name.hasPrefix("libvirt_domain_interface_stats_")
        }
        // `info` alone is no whole name of a family: nothing is left.
        let (none, _) = try Self.render(Self.selection(SelectionPatterns(metricsInclude: "info")))
        #expect(none.series.isEmpty)
    }

    @Test func aDerivedGaugeThatStaysReadsInputsLeftOut() throws {
        let (all, _) = try Self.render(.everything)
        let (chosen, _) = try Self.render(
            Self.selection(SelectionPatterns(metricsInclude: "libvirt_domain_block_read_bytes_per_second")))
        Self.expectSubset(chosen, of: all) { $0.name == "libvirt_domain_block_read_bytes_per_second" }
        let selection = Self.selection(SelectionPatterns(metricsInclude: "libvirt_domain_block_read_bytes_per_second"))
        #expect(selection.readOnlyFamilies == ["libvirt_domain_block_stats_read_bytes_total"])
        #expect(selection.derivedMetrics.map(\.descriptor.metric) == ["libvirt_domain_block_read_bytes_per_second"])
        #expect(selection.use(of: "libvirt_domain_block_stats_write_bytes_total") == .dropped)
    }

    @Test func devicePatternsTakeDisksByTargetOrPathAndNICsByTarget() throws {
        let (all, _) = try Self.render(.everything)
        let (byTarget, _) = try Self.render(Self.selection(SelectionPatterns(blockDeviceExclude: "vda")))
        Self.expectSubset(byTarget, of: all) { $0.labels["target_device"] != "vda" || !$0.name.contains("_block_") }
        let (byPath, _) = try Self.render(Self.selection(SelectionPatterns(blockDeviceInclude: ".*/tb-net\\.qcow2")))
        Self.expectSubset(byPath, of: all) {
            !$0.name.contains("_block_") || $0.labels["target_device"] == nil || $0.labels["domain"] == "tb-net"
        }
        let (nic, _) = try Self.render(Self.selection(SelectionPatterns(interfaceDeviceInclude: "none")))
        Self.expectSubset(nic, of: all) { !$0.name.hasPrefix("libvirt_domain_interface_") }
    }
}
