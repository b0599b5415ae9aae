import Foundation
public import Logging
import PromFormat

/// One collection at a time: fetch from the source, map through the catalog, render, publish.
///
/// It keeps what must outlive a single collection: self-metric counters, and which failures and
/// unknown fields were already logged, so that the log gets each once, not once per cycle.
public struct Collector {
    private let source: any StatsSource
    private let store: SnapshotStore
    private let logger: Logger
    private var selfMetrics: SelfMetrics
    private var activeFailures: Set<CollectionError> = []
    private var loggedUnmappedFields: Set<String> = []
    private var loggedJobErrors: [String: String] = [:]
    private var derivedMetrics: DerivedMetricsEngine?
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    /// Creates a collector that reads `source` and publishes to `store`.
    ///
    /// - Parameters:
    ///   - exporterVersion: the `version` label of `libvirt_exporter_build_info`.
    ///   - libvirtVersion: the `libvirt_version` label of `libvirt_exporter_build_info`.
    ///   - derivesMetrics: whether to publish the derived gauges (rates, latencies, job progress).
    public init(
        source: any StatsSource, store: SnapshotStore, exporterVersion: String, libvirtVersion: String,
        derivesMetrics: Bool = true, logger: Logger
    ) {
        self.source = source
        self.store = store
        self.logger = logger
        self.derivedMetrics = derivesMetrics ? DerivedMetricsEngine() : nil
        self.started = clock.now
        self.selfMetrics = SelfMetrics(exporterVersion: exporterVersion, libvirtVersion: libvirtVersion)
    }

    /// Collects once and publishes the snapshot.
    ///
    /// - Returns: whether the source was reached; the caller backs off when it was not.
    @discardableResult
    public mutating func collectOnce() async -> Bool {
        let collectionStarted = clock.now
        var mapper = DomainStatsMapper()
        var outcome = CollectionOutcome(
            reachedLibvirt: false, errors: [], domainCount: 0, unmappedFieldCount: 0, perCPUStatsAvailable: nil,
            jobStatsAvailable: nil, finishedAt: 0, duration: 0)
        do {
            let batch = try await source.fetchStats()
            batch.domains.forEach { mapper.add($0) }
            outcome.reachedLibvirt = true
            outcome.errors = batch.errors
            outcome.domainCount = batch.domains.count
            outcome.unmappedFieldCount = mapper.unmappedFields.values.reduce(0, +)
            outcome.perCPUStatsAvailable = batch.perCPUStatsAvailable
            outcome.jobStatsAvailable = batch.jobStatsAvailable
            logFailedJobs(batch.domains)
        } catch {
            outcome.errors = [error]
        }
        var families = Array(mapper.families.values)
        let monotonicNow = (collectionStarted - started).inSeconds
        families += derivedMetrics?.derive(from: mapper.families, at: monotonicNow) ?? []
        let elapsed = clock.now - collectionStarted
        outcome.duration = elapsed.inSeconds
        outcome.finishedAt = Date().timeIntervalSince1970

        logChanges(errors: outcome.errors, unmappedFields: mapper.unmappedFields.keys)
        selfMetrics.record(errors: outcome.errors)
        families += selfMetrics.families(of: outcome)
        store.publish(MetricsSnapshot(text: TextEncoder.encode(families)))
        return outcome.reachedLibvirt
    }

    /// Logs the error message of each domain's last completed job once: it is unbounded text, so
    /// it goes to the log, while the failure itself is a number (`libvirt_domain_completed_job_type`).
    private mutating func logFailedJobs(_ domains: [DomainStats]) {
        for domain in domains {
            let field = MetricCatalog.completedJobPrefix + "errmsg"
            guard let message = domain.parameters.first(where: { $0.field == field })?.value.stringValue,
                loggedJobErrors[domain.name] != message
            else { continue }
            loggedJobErrors[domain.name] = message
            logger.warning("domain's last job failed", metadata: ["domain": "\(domain.name)", "error": "\(message)"])
        }
    }

    /// Logs failures when they start and when they stop, and each unknown field once. Expected
    /// failures were logged by the source.
    private mutating func logChanges(errors: [CollectionError], unmappedFields: some Sequence<String>) {
        let current = Set(errors.filter { !$0.isExpected })
        for error in current.subtracting(activeFailures) {
            logger.error("collection failed", metadata: ["error": "\(error)"])
        }
        for error in activeFailures.subtracting(current) {
            var metadata: Logger.Metadata = ["call": "\(error.call)", "reason": "\(error.reason)"]
            if let domain = error.domain { metadata["domain"] = "\(domain)" }
            logger.info("collection recovered", metadata: metadata)
        }
        activeFailures = current
        for field in unmappedFields where loggedUnmappedFields.insert(field).inserted {
            logger.debug("stats field not in the metric catalog", metadata: ["field": "\(field)"])
        }
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
