import PromFormat

/// The exporter's own metrics, kept across collections: counters accumulate, gauges describe the last one.
struct SelfMetrics {
    /// Labels of `libvirt_exporter_build_info`.
    let buildLabels: [Label]
    private var collections: UInt64 = 0
    private var errorCounts: [ErrorKey: UInt64] = [:]
    private var skippedCounts: [ErrorKey: UInt64] = [:]

    private struct ErrorKey: Hashable {
        let call: String
        let reason: String
    }

    init(exporterVersion: String, revision: String, libvirtVersion: String) {
        buildLabels = [
            Label("version", exporterVersion), Label("revision", revision), Label("libvirt_version", libvirtVersion),
        ]
    }

    /// Counts one collection, its errors and the calls it did not make.
    mutating func record(errors: [CollectionError]) {
        collections += 1
        for error in errors {
            let key = ErrorKey(call: error.call, reason: error.reason)
            if error.isSkipped { skippedCounts[key, default: 0] += 1 } else { errorCounts[key, default: 0] += 1 }
        }
    }

    /// Counts a failure outside any collection (a domain event registration).
    mutating func count(_ failure: CollectionError) {
        errorCounts[ErrorKey(call: failure.call, reason: failure.reason), default: 0] += 1
    }

    /// The self-metric families describing the collection just recorded.
    func families(of outcome: CollectionOutcome) -> [MetricFamily] {
        var families = [
            gauge(MetricCatalog.up, outcome.reachedLibvirt || outcome.libvirtAnswered ? 1 : 0),
            gauge(MetricCatalog.buildInfo, 1, labels: buildLabels),
            gauge(MetricCatalog.lastCollectionTimestamp, outcome.finishedAt),
            gauge(MetricCatalog.lastCollectionDuration, outcome.duration),
            gauge(
                MetricCatalog.lastCollectionSuccess,
                outcome.errors.allSatisfy { $0.isExpected && !$0.isSkipped } ? 1 : 0),
            counter(MetricCatalog.collections, [([], collections)]),
        ]
        if !errorCounts.isEmpty {
            families.append(
                counter(
                    MetricCatalog.collectionErrors,
                    errorCounts.map { ([Label("call", $0.key.call), Label("reason", $0.key.reason)], $0.value) }))
        }
        if !skippedCounts.isEmpty {
            families.append(
                counter(
                    MetricCatalog.skippedCalls,
                    skippedCounts.map { ([Label("call", $0.key.call), Label("reason", $0.key.reason)], $0.value) }))
        }
        if outcome.reachedLibvirt {
            families.append(gauge(MetricCatalog.domains, Double(outcome.domainCount)))
            families.append(gauge(MetricCatalog.unmappedFields, Double(outcome.unmappedFieldCount)))
        }
        if let available = outcome.perCPUStatsAvailable {
            families.append(gauge(MetricCatalog.perCPUStatsAvailable, available ? 1 : 0))
        }
        if let available = outcome.jobStatsAvailable {
            families.append(gauge(MetricCatalog.jobStatsAvailable, available ? 1 : 0))
        }
        if let polls = outcome.jobPolls {
            families.append(counter(MetricCatalog.jobPolls, [([], polls)]))
        }
        families += health(of: outcome)
        return families
    }

    /// Families on collection under faults: which domains were read whole, staleness, stuck calls.
    private func health(of outcome: CollectionOutcome) -> [MetricFamily] {
        var complete = MetricCatalog.domainStatsComplete.makeFamily()
        for (domain, isComplete) in outcome.domainsComplete {
            complete.append(trusted: Sample(labels: [Label("domain", domain)], value: .double(isComplete ? 1 : 0)))
        }
        var families = [
            complete,
            gauge(MetricCatalog.collectionStale, outcome.isStale ? 1 : 0),
            counter(MetricCatalog.staleSnapshots, [([], outcome.staleSnapshots)]),
        ]
        if !outcome.callTimings.isEmpty {
            var duration = MetricCatalog.callDuration.makeFamily()
            var success = MetricCatalog.callSuccess.makeFamily()
            for timing in outcome.callTimings {
                let call = [Label("call", timing.call)]
                duration.append(trusted: Sample(labels: call, value: .double(timing.seconds)))
                success.append(trusted: Sample(labels: call, value: .unsigned(timing.succeeded ? 1 : 0)))
            }
            families += [duration, success]
        }
        if let calls = outcome.calls {
            families += [
                gauge(MetricCatalog.overdueCalls, Double(calls.overdue)),
                gauge(MetricCatalog.callThreads, Double(calls.threads)),
            ]
            if !calls.stuck.isEmpty {
                families.append(
                    counter(MetricCatalog.stuckCalls, calls.stuck.map { ([Label("call", $0.key)], $0.value) }))
            }
            if !calls.unstarted.isEmpty {
                families.append(
                    counter(MetricCatalog.unstartedCalls, calls.unstarted.map { ([Label("call", $0.key)], $0.value) }))
            }
        }
        return families
    }

    private func gauge(_ descriptor: MetricDescriptor, _ value: Double, labels: [Label] = []) -> MetricFamily {
        var family = descriptor.makeFamily()
        try? family.append(Sample(labels: labels, value: .double(value)))
        return family
    }

    private func counter(_ descriptor: MetricDescriptor, _ series: [([Label], UInt64)]) -> MetricFamily {
        var family = descriptor.makeFamily()
        for (labels, value) in series {
            try? family.append(Sample(labels: labels, value: .unsigned(value)))
        }
        return family
    }
}

/// What one collection did, for the self-metrics.
struct CollectionOutcome {
    /// Whether the source delivered stats at all.
    var reachedLibvirt = false
    /// Whether libvirtd answered although the source delivered no stats (it listed the domains).
    var libvirtAnswered = false
    /// Errors, whether they cost everything or one domain.
    var errors: [CollectionError] = []
    /// Domains collected.
    var domainCount = 0
    /// Stats fields no catalog row maps.
    var unmappedFieldCount = 0
    /// Whether per-host-CPU stats are available, if known.
    var perCPUStatsAvailable: Bool?
    /// Whether job stats are available, if known.
    var jobStatsAvailable: Bool?
    /// Job stats polls so far, once the job poller has polled.
    var jobPolls: UInt64?
    /// Each domain collected, and whether libvirt returned all of its stats.
    var domainsComplete: [(domain: String, complete: Bool)] = []
    /// Whether the collection failed because libvirt did not answer within the call deadline.
    var isStale = false
    /// Stale snapshots so far.
    var staleSnapshots: UInt64 = 0
    /// The libvirt call runners' accounts, when the collector has runners.
    var calls: CallAccounting?
    /// The storage pools that answered.
    var pools: [StoragePoolStats] = []
    /// The host's stats, when the host part is on.
    var host: HostStats?
    /// The guest agents' report, when the guest part is on.
    var guest: GuestReportView?
    /// How each kind of call went; empty when the collection did not reach libvirt.
    var callTimings: [CallTiming] = []
    /// Unix time the collection finished.
    var finishedAt = 0.0
    /// Seconds the collection took.
    var duration = 0.0
}

/// What the libvirt call runners report, summed over the runners.
struct CallAccounting {
    /// Calls that overran their deadline so far, by call.
    var stuck: [String: UInt64] = [:]
    /// Calls given up before a thread was free to run them so far, by call.
    var unstarted: [String: UInt64] = [:]
    /// Calls past their deadline still running.
    var overdue = 0
    /// Threads started for calls.
    var threads = 0

    /// The sums over `runners`; `nil` when there are none.
    init?(_ runners: [LibvirtCallRunner]) {
        guard !runners.isEmpty else { return nil }
        for runner in runners {
            stuck.merge(runner.stuckCalls, uniquingKeysWith: +)
            unstarted.merge(runner.unstartedCalls, uniquingKeysWith: +)
            overdue += runner.pool.overdueCalls
            threads += runner.pool.threadCount
        }
    }
}
