import StatsCollector

/// What a collection scope leaves out that the shipped alerts (deploy/prometheus/virt-exporter.rules.yml)
/// or a derived gauge need: logged as warnings at start, so that a selection never silences an
/// alert without a word.
enum SelectionWarnings {
    /// The domain families each shipped alert reads. `SelectionWarningsTests` checks it against the
    /// rules file.
    static let shippedAlerts: [(alert: String, families: [String])] = [
        // Without the downtime ratio it still fires (the passes alone decide), so the warning for
        // that one family is stricter than the rule.
        (
            "LibvirtMigrationNotConverging",
            ["libvirt_domain_job_downtime_ratio", "libvirt_domain_job_memory_stalled_passes"]
        ),
        (
            "LibvirtMigrationDirtyRateAboveBandwidth",
            ["libvirt_domain_job_memory_bytes_per_second", "libvirt_domain_job_memory_dirty_rate_bytes_per_second"]
        ),
        ("LibvirtJobEtaGrowing", ["libvirt_domain_job_elapsed_seconds", "libvirt_domain_job_eta_seconds"]),
        ("LibvirtJobRunningLong", ["libvirt_domain_job_elapsed_seconds", "libvirt_domain_job_info"]),
        ("LibvirtLastJobFailed", ["libvirt_domain_completed_job_info", "libvirt_domain_completed_job_type"]),
        (
            "LibvirtMigrationDowntimeHigh",
            ["libvirt_domain_completed_job_downtime_seconds", "libvirt_domain_completed_job_info"]
        ),
        ("LibvirtMigrationPostcopyFailed", ["libvirt_domain_info_state", "libvirt_domain_info_state_reason"]),
        (
            "LibvirtMigrationPostcopyStalled",
            [
                "libvirt_domain_info_state_reason", "libvirt_domain_job_memory_transfer_bytes_per_second",
                "libvirt_domain_migration_postcopy",
            ]
        ),
        ("LibvirtVcpuWaitHigh", ["libvirt_domain_vcpu_wait_ratio"]),
        ("LibvirtDomainCrashed", ["libvirt_domain_events_total"]),
        (
            "LibvirtDomainPausedOnIOError",
            ["libvirt_domain_events_total", "libvirt_domain_info_state", "libvirt_domain_info_state_reason"]
        ),
        (
            "LibvirtBalloonStatsStale",
            [
                "libvirt_domain_info_state", "libvirt_domain_memory_stats_last_update_timestamp_seconds",
                "libvirt_domain_memory_stats_period_seconds",
            ]
        ),
    ]

    /// Catalog rows by metric name.
    private static let rows = Dictionary(MetricCatalog.all.map { ($0.metric, $0) }, uniquingKeysWith: { a, _ in a })
    /// Names of the derived gauges, whose inputs the exporter reads even when they are not exported.
    private static let derived = Set(MetricCatalog.derivedGauges.map(\.metric))

    /// Whether the scope exports the family `name`.
    static func exports(
        _ name: String, scope: CollectionScope, selection: MetricSelection, derivesMetrics: Bool
    ) -> Bool {
        guard selection.selects(name) else { return false }
        if derived.contains(name), !derivesMetrics { return false }
        guard let row = rows[name], let part = CollectorPart.owner(of: row) else { return true }
        return scope.parts.contains(part.parent ?? part)
    }

    /// One message per shipped alert, and per derived gauge, that loses a family it reads.
    static func messages(scope: CollectionScope, derivesMetrics: Bool) -> [String] {
        let selection = MetricSelection(scope: scope, derivesMetrics: derivesMetrics)
        func missing(_ names: [String]) -> [String] {
            names.filter { !exports($0, scope: scope, selection: selection, derivesMetrics: derivesMetrics) }
        }
        var messages: [String] = []
        for (alert, families) in shippedAlerts {
            let lost = missing(families)
            if !lost.isEmpty {
                messages.append(
                    "the shipped alert \(alert) reads \(lost.joined(separator: ", ")), which this configuration does not export; it cannot fire"
                )
            }
        }
        for gauge in MetricCatalog.derivedGauges
        where exports(gauge.metric, scope: scope, selection: selection, derivesMetrics: derivesMetrics) {
            let unread = gauge.inputs.filter { input in
                guard let row = rows[input], let part = CollectorPart.owner(of: row) else { return false }
                return !scope.parts.contains(part.parent ?? part)
            }
            if !unread.isEmpty {
                messages.append(
                    "the derived gauge \(gauge.metric) reads \(unread.joined(separator: ", ")), whose part is off; it stays absent"
                )
            }
        }
        return messages
    }
}
