public import PromFormat

/// The collection pipeline without libvirt: domain records → metric families through the catalog,
/// plus the derived gauges. The collector runs one per exporter; benchmarks run it on synthetic
/// records.
public struct StatsPipeline: Sendable {
    private var derivedMetrics: DerivedMetricsEngine?
    private var plans = FieldPlans()

    /// Creates a pipeline.
    ///
    /// - Parameter derivesMetrics: whether to add the derived gauges (rates, latencies, job progress).
    public init(derivesMetrics: Bool = true) {
        derivedMetrics = derivesMetrics ? DerivedMetricsEngine() : nil
    }

    /// The families of one collection.
    public struct Output: Sendable {
        /// Every family, domain metrics and derived gauges.
        public var families: [MetricFamily]
        /// Fields no catalog row maps, by pattern, with how often each was seen.
        public var unmappedFields: [String: Int]
    }

    /// Maps `domains` and derives from them, at monotonic time `time` (seconds). Calling it again
    /// with the same time re-renders: rates then hold their last values.
    public mutating func run(_ domains: [DomainStats], at time: Double) -> Output {
        var mapper = DomainStatsMapper(plans: plans)
        plans = FieldPlans()  // the mapper holds the only reference while it adds to them
        // In name order, most families come out already sorted, and the encoder skips their sort.
        for domain in domains.sorted(by: { $0.name < $1.name }) { mapper.add(domain) }
        plans = mapper.finish()
        var families = Array(mapper.families.values)
        families += derivedMetrics?.derive(from: mapper.families, at: time) ?? []
        return Output(families: families, unmappedFields: mapper.unmappedFields)
    }
}
