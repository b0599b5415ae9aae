import PromFormat
import Testing

@testable import StatsCollector

/// A migration switched to post-copy: the phase read with the job, and the pre-copy gauges that
/// end with it.
@Suite struct PostcopyTests {
    private static let web = [Label("domain", "web")]

    @Test(arguments: [
        (Int32(1), Int32(1), false), (1, 10, true), (1, 11, true), (3, 12, true), (3, 13, true),
        (3, 2, false), (3, 10, false), (1, 12, false), (5, 12, false),
    ])
    func thePostcopyStateReasonsOfARunningOrPausedDomain(state: Int32, reason: Int32, postcopy: Bool) {
        #expect(PerDomainCalls.isPostcopy(state: state, reason: reason) == postcopy)
    }

    private static func connection(operation: Int32, state: (Int32, Int32)) -> ScriptedConnection {
        ScriptedConnection(
            onBulkStats: { _, _ in [] },
            onJobStats: { _, completed in
                completed
                    ? JobStats(type: 0, parameters: [])
                    : JobStats(type: 2, parameters: [TypedParameter(field: "operation", value: .int(operation))])
            },
            onState: { _ in state })
    }

    private static func field(_ name: String, of fields: [TypedParameter]) -> Int64? {
        fields.first { $0.field == name }?.value.integerCode
    }

    @Test func anOutgoingMigrationCarriesItsPhaseFromTheDomainsStateReason() throws {
        let precopy = try PerDomainCalls.jobFields(of: "web", on: Self.connection(operation: 5, state: (1, 1)))
        #expect(Self.field("migration.postcopy", of: precopy) == 0)
        let postcopy = try PerDomainCalls.jobFields(of: "web", on: Self.connection(operation: 5, state: (3, 12)))
        #expect(Self.field("migration.postcopy", of: postcopy) == 1)
        #expect(Self.field("migration.max_downtime", of: postcopy) == 300)
        // Other jobs (here an incoming migration's, which libvirt does not report) have no phase.
        let dump = try PerDomainCalls.jobFields(of: "web", on: Self.connection(operation: 7, state: (3, 12)))
        #expect(Self.field("migration.postcopy", of: dump) == nil)
    }

    private static func families(_ series: [(String, Double)]) -> [String: MetricFamily] {
        var families: [String: MetricFamily] = [:]
        for (metric, value) in series {
            var family = families[metric] ?? (try! MetricFamily(name: metric, help: "h", type: .gauge))
            try! family.append(Sample(labels: web, value: .double(value)))
            families[metric] = family
        }
        return families
    }

    /// The plateau of the testbed (a pass every 23 s, 24 MB left at each start, 24 s of expected
    /// downtime against 0.3 s), switched to post-copy in pass 5: the pass counts stop, as libvirt
    /// keeps reporting pass 5, QEMU's dirty rate and expected downtime of the last pass.
    private static func plateau(at pass: Double, elapsed: Double, remaining: Double, postcopy: Double?)
        -> [String: MetricFamily]
    {
        families(
            [
                ("libvirt_domain_job_elapsed_seconds", elapsed),
                ("libvirt_domain_job_data_processed_bytes", elapsed * 1e6),
                ("libvirt_domain_job_data_remaining_bytes", remaining),
                ("libvirt_domain_job_memory_remaining_bytes", remaining),
                ("libvirt_domain_job_memory_iteration", pass),
                ("libvirt_domain_job_memory_dirty_rate_pages_per_second", 255),
                ("libvirt_domain_job_memory_page_size_bytes", 4096),
                ("libvirt_domain_job_memory_bytes_per_second", 1.067e6),
                ("libvirt_domain_job_downtime_seconds", 24),
                ("libvirt_domain_migration_max_downtime_seconds", 0.3),
            ] + (postcopy.map { [("libvirt_domain_migration_postcopy", $0)] } ?? []))
    }

    private static let precopyGauges = [
        "libvirt_domain_job_memory_stalled_passes", "libvirt_domain_job_converging",
        "libvirt_domain_job_downtime_ratio",
        "libvirt_domain_job_memory_dirty_rate_bytes_per_second",
    ]

    private static func value(_ derived: [MetricFamily], _ metric: String) -> Double? {
        derived.first { $0.name == metric }?.samples.first?.value.doubleValue
    }

    @Test func thePrecopyGaugesEndWithTheSwitchAndTheEtaCountsNoMorePasses() {
        var engine = DerivedMetricsEngine()
        var last: [MetricFamily] = []
        for pass in 1...5 {
            last = engine.derive(
                from: Self.plateau(at: Double(pass), elapsed: Double(pass) * 23, remaining: 24e6, postcopy: 0),
                at: Double(pass) * 23)
        }
        #expect(Self.value(last, "libvirt_domain_job_memory_stalled_passes") == 4)
        #expect(abs((Self.value(last, "libvirt_domain_job_downtime_ratio") ?? 0) - 80) < 1e-9)
        #expect(
            (Self.value(last, "libvirt_domain_job_eta_seconds") ?? 0) > 500, "1.04 MB/s dirtied against 1.067 MB/s sent"
        )

        // Switched: 12 MB left a second later, sent at 2 MB/s; libvirt still says pass 5.
        _ = engine.derive(from: Self.plateau(at: 5, elapsed: 120, remaining: 14e6, postcopy: 1), at: 120)
        let postcopy = engine.derive(from: Self.plateau(at: 5, elapsed: 121, remaining: 12e6, postcopy: 1), at: 121)
        for gauge in Self.precopyGauges {
            #expect(Self.value(postcopy, gauge) == nil, "\(gauge) is absent in post-copy")
        }
        // The data sent in the second: 1 MB (elapsed × 1 MB/s in the fixture); 12 MB left at that pace.
        #expect(Self.value(postcopy, "libvirt_domain_job_eta_seconds") == 12)
    }

    @Test func withoutAPhaseTheGaugesAreThoseOfPrecopy() {
        // A job update without `migration.postcopy` (an older record, another operation) changes nothing.
        var engine = DerivedMetricsEngine()
        let derived = engine.derive(from: Self.plateau(at: 1, elapsed: 23, remaining: 24e6, postcopy: nil), at: 23)
        #expect(abs((Self.value(derived, "libvirt_domain_job_downtime_ratio") ?? 0) - 80) < 1e-9)
        #expect(Self.value(derived, "libvirt_domain_job_memory_stalled_passes") == 0)
    }
}
