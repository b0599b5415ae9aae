public import PromFormat

/// The collection pipeline without libvirt: domain records → metric families through the catalog,
/// plus the derived gauges → exposition text in compressed pieces. The collector runs one per
/// exporter; benchmarks run it on synthetic records.
///
/// A collection renders everything. A job update (``applyJobUpdate(domain:parameters:)``)
/// re-renders the job series of one domain and keeps every other piece of the last collection:
/// its cost does not grow with the number of domains, and every other series stays exactly as
/// the collection rendered it, derived gauges included.
///
/// The body is in exposition order: families by name, each family's series by labels, `domain`
/// first. The job families (``JobSeries``) form three runs of that order; the other families the
/// four runs around them, each rendered and compressed as one piece per collection.
public struct StatsPipeline: Sendable {
    /// zlib's level for every piece: 1, the fastest, compresses the exposition text about 14:1
    /// at 2.7 times the speed of level 6, for 13 % more bytes (docs/performance.md).
    public static let compressionLevel: Int32 = 1

    private let derivesMetrics: Bool
    private let layout: LabelLayout
    private let selection: MetricSelection
    private var otherDerivedMetrics: DerivedMetricsEngine?
    private var plans: FieldPlans
    /// The other families' runs, one piece each (`nil` when a run is empty).
    private var otherRuns: [CompressedPiece?] = []
    private var jobFamilies = JobFamilyPieces()
    private var jobDomains: [ExactText: JobDomain] = [:]
    private var otherUnmappedFields: [String: Int] = [:]
    private var jobUnmappedFields: [String: Int] = [:]
    /// The last collection's time, at which job updates derive.
    private var time = 0.0

    /// What a job update needs to know of a domain of the last collection.
    private struct JobDomain: Sendable {
        /// The domain's number in name order.
        let index: Int
        /// Whether its active job is mapped: it runs, or its state is unknown.
        let mapsActiveJob: Bool
        /// The state of its job gauges (transfer rates, convergence).
        var derivedMetrics: DerivedMetricsEngine?
        /// Its job fields that no catalog row maps.
        var unmappedFields: [String: Int] = [:]
    }

    /// Creates a pipeline.
    ///
    /// - Parameters:
    ///   - derivesMetrics: whether to add the derived gauges (rates, latencies, job progress).
    ///   - layout: the labels of the domain series.
    ///   - selection: the families and devices exported.
    public init(
        derivesMetrics: Bool = true, layout: LabelLayout = LabelLayout(), selection: MetricSelection = .everything
    ) {
        self.derivesMetrics = derivesMetrics
        self.layout = layout
        self.selection = selection
        plans = FieldPlans(selection: selection)
        otherDerivedMetrics =
            derivesMetrics
            ? DerivedMetricsEngine(
                metrics: selection.derivedMetrics.filter { !JobSeries.isJobFamily($0.descriptor.metric) })
            : nil
    }

    /// A new engine for one domain's job gauges.
    private var jobDerivedMetrics: DerivedMetricsEngine? {
        derivesMetrics
            ? DerivedMetricsEngine(
                metrics: selection.derivedMetrics.filter { JobSeries.isJobFamily($0.descriptor.metric) })
            : nil
    }

    /// The rendered domain series of one collection or job update.
    public struct Output: Sendable {
        /// Every domain series and derived gauge, rendered and compressed.
        public var body: RenderedBody
        /// Fields no catalog row maps, by pattern, with how often each was seen.
        public var unmappedFields: [String: Int]
    }

    /// Maps `domains`, derives from them at monotonic time `time` (seconds), and renders them.
    /// Of two records with one name (byte for byte: ``ExactText``), the first counts.
    ///
    /// - Parameter reachedLibvirt: whether `domains` are what libvirt answered; when it did not,
    ///   there is no count of domains to render (the compatibility mode's `libvirt_domains_number`).
    public mutating func run(_ domains: [DomainStats], at time: Double, reachedLibvirt: Bool = true) -> Output {
        self.time = time
        var seen: Set<ExactText> = []
        let domains = domains.filter { seen.insert($0.nameKey).inserted }.sorted {
            $0.nameKey < $1.nameKey
        }
        var mapper = DomainStatsMapper(plans: plans, layout: layout)
        plans = FieldPlans(selection: selection)  // the mapper holds the only reference while it adds to them
        var previousJobDomains = jobDomains
        jobDomains = [:]
        jobFamilies = JobFamilyPieces()
        jobUnmappedFields = [:]
        for (index, domain) in domains.enumerated() {
            var job = JobDomain(
                index: index, mapsActiveJob: domain.state == nil || domain.isActive,
                derivedMetrics: previousJobDomains.removeValue(forKey: domain.nameKey)?.derivedMetrics
                    ?? jobDerivedMetrics)
            let lines = Self.jobLines(
                of: domain.name, JobSeries.fields(of: domain.parameters, mapsActiveJob: job.mapsActiveJob), into: &job,
                mapper: &mapper, selection: selection, at: time)
            jobFamilies.add(lines, ofDomainAt: index)
            jobUnmappedFields.merge(job.unmappedFields, uniquingKeysWith: +)
            jobDomains[domain.nameKey] = job
            var other = domain
            other.parameters.removeAll { JobUpdate.isJobField($0.field) }
            mapper.add(other)
        }
        plans = mapper.finish()
        otherUnmappedFields = mapper.unmappedFields

        var families =
            Array(mapper.families.values) + (otherDerivedMetrics?.derive(from: mapper.families, at: time) ?? [])
        if let kumina = layout.kumina {
            families = kumina.apply(to: families, domains: domains, countsDomains: reachedLibvirt)
        }
        families.removeAll { !selection.renders($0.name) }
        var runs = [[UInt8]](repeating: [], count: JobSeries.familyPrefixes.count + 1)
        for family in families.sorted(by: { $0.name < $1.name }) {
            let run = JobSeries.section(of: family.name)
            TextEncoder.encodeHeader(of: family, into: &runs[run])
            TextEncoder.encodeSamples(of: family, into: &runs[run])
        }
        let compressor = Gzip.Compressor(level: Self.compressionLevel)
        otherRuns = runs.map { $0.isEmpty ? nil : compressor.piece($0) }
        jobFamilies.compressAll(with: compressor)
        return output
    }

    /// Replaces the job fields of `domain` (a domain of the last collection) with `parameters` and
    /// re-renders its job series; `nil` if the last collection did not have the domain.
    public mutating func applyJobUpdate(domain: String, parameters: [TypedParameter]) -> Output? {
        guard var job = jobDomains[ExactText(domain)] else { return nil }
        var mapper = DomainStatsMapper(plans: plans, layout: layout)
        plans = FieldPlans(selection: selection)
        for (pattern, count) in job.unmappedFields { jobUnmappedFields[pattern, default: 0] -= count }
        let lines = Self.jobLines(
            of: domain, JobSeries.fields(of: parameters, mapsActiveJob: job.mapsActiveJob), into: &job,
            mapper: &mapper, selection: selection, at: time)
        plans = mapper.finish()
        jobUnmappedFields.merge(job.unmappedFields, uniquingKeysWith: +)
        jobUnmappedFields = jobUnmappedFields.filter { $0.value > 0 }
        jobDomains[ExactText(domain)] = job
        jobFamilies.replace(lines, ofDomainAt: job.index, with: Gzip.Compressor(level: Self.compressionLevel))
        return output
    }

    /// The rendered body: the other families' runs with the job families' runs between them.
    private var output: Output {
        var pieces: [CompressedPiece] = []
        for (run, piece) in otherRuns.enumerated() {
            if let piece { pieces.append(piece) }
            if run < JobSeries.familyPrefixes.count {
                pieces += jobFamilies.pieces(withPrefix: JobSeries.familyPrefixes[run])
            }
        }
        return Output(
            body: RenderedBody(pieces: pieces),
            unmappedFields: otherUnmappedFields.merging(jobUnmappedFields, uniquingKeysWith: +))
    }

    /// Maps and derives one domain's job fields and renders each family's lines.
    private static func jobLines(
        of domain: String, _ fields: [TypedParameter], into job: inout JobDomain, mapper: inout DomainStatsMapper,
        selection: MetricSelection, at time: Double
    ) -> [String: JobFamilyPieces.Lines] {
        let mapped = mapper.map(fields, ofDomain: domain)
        job.unmappedFields = mapped.unmappedFields
        var families = Array(mapped.families.values)
        families += job.derivedMetrics?.derive(from: mapped.families, at: time) ?? []
        var lines: [String: JobFamilyPieces.Lines] = [:]
        for family in families where !family.samples.isEmpty && selection.renders(family.name) {
            var text: [UInt8] = []
            TextEncoder.encodeSamples(of: family, into: &text)
            lines[family.name] = JobFamilyPieces.Lines(family: family, text: text)
        }
        return lines
    }
}
