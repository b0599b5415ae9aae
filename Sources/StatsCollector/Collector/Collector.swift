import FoundationEssentials
public import Logging
public import PromFormat

/// Turns collections into snapshots: fetch from the source, map through the catalog, derive,
/// render, publish. Job updates from the ``JobPoller`` between collections replace one domain's
/// job fields and publish a new snapshot at once.
///
/// Domain events handed to ``count(_:)`` are counted and shown with every snapshot from then on;
/// the storage pools of the last collection too.
///
/// A collection that fails because libvirt did not answer within its deadline publishes a stale
/// snapshot: `libvirt_up 0`, `libvirt_exporter_collection_stale 1`, and no domain series, so that
/// Prometheus marks them stale instead of ingesting old numbers as new.
///
/// It keeps what must outlive a single collection: the last batch, self-metric counters, the
/// derived-metric state, and which failures and unknown fields were already logged, so that the
/// log gets each once, not once per cycle.
public actor Collector {
    private let source: any StatsSource
    private let store: SnapshotStore
    private let logger: Logger
    private var selfMetrics: SelfMetrics
    private var pipeline: StatsPipeline
    private let selection: MetricSelection
    private var activeFailures: Set<CollectionError> = []
    private var loggedUnmappedFields: Set<String> = []
    private var loggedJobErrors: [ExactText: String] = [:]
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    /// The last batch, its outcome and its collector time, for renders between collections.
    private var last: (batch: StatsBatch, outcome: CollectionOutcome, time: Double)?
    /// The last job update applied to each domain, so that a collection that started before it
    /// does not bring older job fields back.
    private var jobUpdates: [ExactText: JobUpdate] = [:]
    /// When the last collection started, for the age of job updates.
    private var lastCollectionStarted: ContinuousClock.Instant?
    /// The domains whose job fields the last collection read itself (not from a job update).
    private var jobFieldsCollected: Set<ExactText> = []
    private var staleSnapshots: UInt64 = 0
    private var eventCounts = DomainEventCounts()
    private let callRunners: [LibvirtCallRunner]

    /// Creates a collector that reads `source` and publishes to `store`.
    ///
    /// - Parameters:
    ///   - exporterVersion: the `version` label of `libvirt_exporter_build_info`.
    ///   - revision: its `revision` label: the commit the exporter was built from.
    ///   - libvirtVersion: the `libvirt_version` label of `libvirt_exporter_build_info`.
    ///   - derivesMetrics: whether to publish the derived gauges (rates, latencies, job progress).
    ///   - layout: the labels of the domain series.
    ///   - selection: the families and devices exported.
    ///   - callRunners: the runners of the source's and the job poller's libvirt calls, whose stuck
    ///     calls and threads the self-metrics report.
    public init(
        source: any StatsSource, store: SnapshotStore, exporterVersion: String, revision: String = "unknown",
        libvirtVersion: String,
        derivesMetrics: Bool = true, layout: LabelLayout = LabelLayout(), selection: MetricSelection = .everything,
        callRunners: [LibvirtCallRunner] = [], logger: Logger
    ) {
        self.source = source
        self.callRunners = callRunners
        self.store = store
        self.logger = logger
        self.selfMetrics = SelfMetrics(
            exporterVersion: exporterVersion, revision: revision, libvirtVersion: libvirtVersion)
        self.pipeline = StatsPipeline(derivesMetrics: derivesMetrics, layout: layout, selection: selection)
        self.selection = selection
        self.started = clock.now
    }

    /// Entries kept per domain across collections (logged job errors, job updates, event
    /// counters), for tests that they stay bounded by the domains that exist.
    var retainedDomainCount: Int {
        loggedJobErrors.count + jobUpdates.count + eventCounts.retainedDomainCount
    }

    /// The domains of the last collection that reached libvirt; `nil` when it did not.
    public var collectedDomains: Set<ExactText>? {
        guard let last, last.outcome.reachedLibvirt else { return nil }
        return Set(last.batch.domains.map(\.nameKey))
    }

    /// Domains whose last collected stats show an active job.
    public var domainsWithActiveJobs: Set<ExactText> {
        Set((last?.batch.domains ?? []).filter { JobUpdate.hasActiveJob(in: $0.parameters) }.map { $0.nameKey })
    }

    /// Collects once and publishes the snapshot.
    ///
    /// - Returns: whether the source was reached; the caller backs off when it was not.
    @discardableResult
    public func collectOnce() async -> Bool {
        let collectionStarted = clock.now
        var outcome = CollectionOutcome()
        var batch = StatsBatch(domains: [])
        do {
            batch = try await source.fetchStats()
            jobFieldsCollected = Set(
                batch.domains.filter { $0.parameters.contains { JobUpdate.isJobField($0.field) } }.map(\.nameKey))
            keepNewerJobFields(in: &batch, collectedFrom: collectionStarted)
            keepCompletedJobsOfStoppedDomains(in: &batch)
            outcome.reachedLibvirt = true
            outcome.errors = batch.errors
            outcome.domainCount = batch.domains.count
            outcome.domainsComplete = batch.domains.map {
                ($0.name, !batch.incompleteDomains.contains($0.nameKey))
            }
            outcome.perCPUStatsAvailable = batch.perCPUStatsAvailable
            outcome.jobStatsAvailable = batch.jobStatsAvailable
            outcome.pools = batch.pools ?? []
            outcome.host = batch.host
            outcome.guest = batch.guest
            outcome.callTimings = batch.callTimings
            let names = Set(batch.domains.map(\.nameKey))
            eventCounts.keep(only: names, collectionStarted: collectionStarted)
            loggedJobErrors = loggedJobErrors.filter { names.contains($0.key) }
            logFailedJobs(batch.domains)
        } catch {
            outcome.errors = [error]
            outcome.isStale = error.isDeadlineExceeded
            outcome.libvirtAnswered = error.libvirtAnswered
        }
        if outcome.isStale { staleSnapshots += 1 }
        logStaleness(outcome)
        selfMetrics.record(errors: outcome.errors)
        let time = (collectionStarted - started).inSeconds
        let rendered = render(batch, outcome: &outcome, at: time)
        outcome.duration = (clock.now - collectionStarted).inSeconds
        outcome.finishedAt = Date().timeIntervalSince1970
        outcome.jobPolls = last?.outcome.jobPolls
        last = (batch, outcome, time)
        logChanges(errors: outcome.errors, unmappedFields: rendered.unmappedFields)
        publish(rendered.body, outcome: outcome)
        return outcome.reachedLibvirt || outcome.isStale
    }

    /// Replaces one domain's job fields with `update` and publishes a new snapshot, in which only
    /// that domain's job series and the self-metrics differ from the last one.
    ///
    /// An update read before the last collection started is older than the job fields that
    /// collection read of the domain, if it read any (a poll that was slower than the collection):
    /// it is then left out, so that a job's pass number and memory left never go back in time.
    ///
    /// - Parameter polls: the poller's job stats calls so far, for `libvirt_exporter_job_polls_total`.
    public func apply(_ update: JobUpdate, polls: UInt64) {
        guard let last,
            (update.readAt - started).inSeconds >= last.time || !jobFieldsCollected.contains(ExactText(update.domain)),
            let index = last.batch.domains.firstIndex(where: { $0.nameKey == ExactText(update.domain) }),
            let output = pipeline.applyJobUpdate(domain: update.domain, parameters: update.parameters)
        else { return }
        var batch = last.batch
        var outcome = last.outcome
        batch.domains[index].parameters.removeAll { JobUpdate.isJobField($0.field) }
        batch.domains[index].parameters += update.parameters
        jobUpdates[ExactText(update.domain)] = update
        logFailedJobs([batch.domains[index]])
        outcome.jobPolls = polls
        outcome.unmappedFieldCount = output.unmappedFields.values.reduce(0, +)
        self.last = (batch, outcome, last.time)
        publish(output.body, outcome: outcome)
    }

    /// Counts a failure outside the collections (a domain event registration) in
    /// `libvirt_exporter_collection_errors_total`; the next snapshot shows it.
    public func count(failure: CollectionError) {
        selfMetrics.count(failure)
    }

    /// Counts a domain event in `libvirt_domain_events_total`; the next snapshot shows it.
    public func count(_ event: DomainEvent) {
        eventCounts.count(event, at: clock.now)
    }

    /// Handles every event of `events` until it ends or the task is cancelled: tells the source of
    /// those that may change a domain's XML or its last completed job, and with `counting` counts
    /// those of domains the source collects.
    public func handleEvents(from events: AsyncStream<DomainEvent>, counting: Bool) async {
        for await event in events {
            if event.mayEndJob { await source.jobMayHaveEnded(event.domain) }
            if event.mayChangeDomainXML { await source.domainMayHaveChanged(event.domain) }
            if counting, await source.collects(domainNamed: event.domain) { count(event) }
        }
    }

    /// A job update read after this collection started has newer job fields than the collection's:
    /// keep those. One read after the previous collection started still stands in for the job
    /// fields of a running domain that this collection could not read (the domain was busy with
    /// that very poll), so that a running job's series and pass counts have no gap. Updates of
    /// domains that are gone are forgotten.
    private func keepNewerJobFields(
        in batch: inout StatsBatch, collectedFrom collectionStarted: ContinuousClock.Instant
    ) {
        let previousStart = lastCollectionStarted ?? collectionStarted
        lastCollectionStarted = collectionStarted
        jobUpdates = jobUpdates.filter { $0.value.readAt > previousStart }
        guard !jobUpdates.isEmpty else { return }
        for index in batch.domains.indices {
            guard let update = jobUpdates[batch.domains[index].nameKey] else { continue }
            let collected = batch.domains[index].parameters.contains { JobUpdate.isJobField($0.field) }
            guard update.readAt > collectionStarted || (!collected && batch.domains[index].isActive) else { continue }
            batch.domains[index].parameters.removeAll { JobUpdate.isJobField($0.field) }
            batch.domains[index].parameters += update.parameters
        }
    }

    /// A stopped domain is not asked for job stats, but libvirt still holds the stats of the job that
    /// stopped it (a save, an outgoing migration), which the job poller read when it completed. Keep
    /// them, so that the last job stays visible while the domain exists.
    private func keepCompletedJobsOfStoppedDomains(in batch: inout StatsBatch) {
        guard let previous = last?.batch.domains, !previous.isEmpty else { return }
        let byName = Dictionary(previous.map { ($0.nameKey, $0) }, uniquingKeysWith: { first, _ in first })
        for index in batch.domains.indices where !batch.domains[index].isActive {
            let completed = byName[batch.domains[index].nameKey]?.parameters.filter {
                $0.field.hasPrefix(MetricCatalog.completedJobPrefix)
            }
            if let completed, !completed.isEmpty,
                !batch.domains[index].parameters.contains(where: {
                    $0.field.hasPrefix(MetricCatalog.completedJobPrefix)
                })
            {
                batch.domains[index].parameters += completed
            }
        }
    }

    /// Maps, derives and renders the domain series of `batch`; counts its unmapped fields into `outcome`.
    private func render(_ batch: StatsBatch, outcome: inout CollectionOutcome, at time: Double)
        -> (body: RenderedBody, unmappedFields: [String])
    {
        let output = pipeline.run(batch.domains, at: time, reachedLibvirt: outcome.reachedLibvirt)
        outcome.unmappedFieldCount = output.unmappedFields.values.reduce(0, +)
        return (output.body, Array(output.unmappedFields.keys))
    }

    /// Publishes the rendered domain series with the self-metrics of `outcome` after them, and,
    /// when libvirt was reached, the storage pools, the host and the domain event counters.
    private func publish(_ body: RenderedBody, outcome: CollectionOutcome) {
        var outcome = outcome
        outcome.staleSnapshots = staleSnapshots
        outcome.calls = CallAccounting(callRunners)
        var trailer = selfMetrics.families(of: outcome)
        if outcome.reachedLibvirt {
            trailer += StoragePoolFamilies.families(of: outcome.pools)
            if let host = outcome.host { trailer += HostFamilies.families(of: host) }
            if let guest = outcome.guest { trailer += GuestFamilies.families(of: guest) }
            if let events = eventCounts.family { trailer.append(events) }
        }
        trailer.removeAll { !selection.renders($0.name) }
        store.publish(MetricsSnapshot(body: body, trailer: trailer))
    }

    /// Logs when snapshots turn stale and when they are fresh again.
    private func logStaleness(_ outcome: CollectionOutcome) {
        guard outcome.isStale != (last?.outcome.isStale ?? false) else { return }
        if outcome.isStale, outcome.libvirtAnswered {
            logger.info(
                "libvirtd answers but did not serve the domains' stats in time; the snapshot is stale and carries no domain series"
            )
        } else if outcome.isStale {
            logger.info("libvirt does not answer; the snapshot is stale and carries no domain series")
        } else {
            logger.info("libvirt answers again; the snapshot is fresh")
        }
    }

    /// Logs the error message of each domain's last completed job once: it is unbounded text, so
    /// it goes to the log, while the failure itself is a number (`libvirt_domain_completed_job_type`).
    private func logFailedJobs(_ domains: [DomainStats]) {
        for domain in domains {
            let field = MetricCatalog.completedJobPrefix + "errmsg"
            guard let message = domain.parameters.first(where: { $0.field == field })?.value.stringValue,
                loggedJobErrors[domain.nameKey] != message
            else { continue }
            loggedJobErrors[domain.nameKey] = message
            logger.info("domain's last job failed", metadata: ["domain": "\(domain.name)", "error": "\(message)"])
        }
    }

    /// Logs failures when they start and when they stop, and each unknown field once. Expected
    /// failures were logged by the source.
    private func logChanges(errors: [CollectionError], unmappedFields: [String]) {
        let current = Set(errors.filter { !$0.isExpected })
        for error in current.subtracting(activeFailures) {
            logger.info(error.isSkipped ? "libvirt call skipped" : "collection failed", metadata: ["error": "\(error)"])
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
