import PromFormat

/// Every metric virt-exporter can emit, in one table. The collector maps libvirt's fields through
/// this table; `virt-exporter catalog` prints it; `docs/metrics.md` is generated from it.
///
/// To export a new libvirt field, add a row.
public enum MetricCatalog {
    /// Every metric, exporter self-metrics first, then domain metrics: bulk stats in libvirt's group
    /// order, per-CPU stats, job stats, info series, the rule-named KVM statistics as templates,
    /// derived gauges and domain events; then the storage pools, the host, the guest agents' reports, and the two families of the
    /// compatibility mode with Debian's exporter.
    public static let all: [MetricDescriptor] =
        exporterMetrics + healthMetrics + [domainInfo, domainStatsComplete] + valueRows + infoSeries.map(\.descriptor)
        + [metadataInfo] + KVMStatRule.all.flatMap(\.templates) + derivedMetrics.map(\.descriptor) + eventMetrics
        + poolMetrics + hostMetrics + guestMetrics + Kumina.rows

    /// Field-name prefix of the numbers from `virDomainGetCPUStats`: `cpustats.<n>.cpu_time` for
    /// host CPU `<n>`, `cpustats.cpu_time` for the total.
    public static let cpuStatsPrefix = "cpustats."
    /// Field-name prefix of the active job's numbers from `virDomainGetJobStats`: `job.time_elapsed`.
    public static let jobPrefix = "job."
    /// Field-name prefix of the last completed job's numbers: `completedjob.downtime`.
    public static let completedJobPrefix = "completedjob."
    /// Field-name prefix of migration settings and phase read during an outgoing migration:
    /// `migration.max_downtime` from `virDomainMigrateGetMaxDowntime`, `migration.postcopy` from
    /// `virDomainGetState`.
    public static let migrationPrefix = "migration."

    /// Every row that turns one field into one metric's samples.
    static let valueRows: [MetricDescriptor] =
        bulkStatsRows + cpuStatsRows + inventoryRows + [memoryStatsPeriod]
        + jobRows(fieldPrefix: jobPrefix, metricPrefix: "libvirt_domain_job_", subject: "Active job")
        + jobRows(
            fieldPrefix: completedJobPrefix, metricPrefix: "libvirt_domain_completed_job_",
            subject: "Last completed job")
        + [
            field(
                migrationPrefix + "max_downtime", "libvirt_domain_migration_max_downtime_seconds", .gauge,
                .millisecondsToSeconds,
                "Outgoing migration: the most downtime allowed (virDomainMigrateSetMaxDowntime)."),
            field(
                migrationPrefix + "postcopy", "libvirt_domain_migration_postcopy", .gauge, .none,
                "Outgoing migration: 1 once it switched to post-copy (the domain's state reason, virDomainGetState, is post-copy or post-copy failed), 0 while it copies memory in passes (pre-copy)."
            ),
        ]

    /// Value rows keyed by field pattern. Of two rows with the same source the first is kept rather
    /// than trapping, so that `CatalogTests` can fail naming them.
    static let byFieldPattern: [String: MetricDescriptor] = Dictionary(
        valueRows.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })

    /// Fields whose values label series: device names and paths, and the fields of info series.
    static let labelSourcePatterns: Set<String> = Set(
        DeviceGroup.all.flatMap(\.labelFields) + infoSeries.flatMap { $0.infoLabels.map(\.field) })

    /// Fields that are never values: label sources, and job error messages, which are only logged.
    static let nonValuePatterns: Set<String> = labelSourcePatterns.union(
        [jobPrefix + "errmsg", completedJobPrefix + "errmsg"]
    ).subtracting(byFieldPattern.keys)

    /// The value row for a field pattern: a listed field, or a KVM statistic named by rule.
    static func descriptor(forPattern pattern: String) -> MetricDescriptor? {
        if let descriptor = byFieldPattern[pattern] { return descriptor }
        for rule in KVMStatRule.all {
            if let descriptor = rule.descriptor(for: pattern) { return descriptor }
        }
        return nil
    }

    // MARK: - Exporter self-metrics

    /// `libvirt_up`: whether the last collection reached libvirt.
    public static let up = exporter(
        "libvirt_up", .gauge, "Whether the last collection reached libvirt (1) or not (0).")
    /// `libvirt_exporter_build_info`: the exporter's version and commit, and libvirt's version.
    public static let buildInfo = exporter(
        "libvirt_exporter_build_info", .gauge,
        "Always 1; labelled with the exporter's version, the commit it was built from and the libvirt library it runs with.",
        labels: ["version", "revision", "libvirt_version"])
    /// `libvirt_exporter_last_collection_timestamp_seconds`.
    public static let lastCollectionTimestamp = exporter(
        "libvirt_exporter_last_collection_timestamp_seconds", .gauge,
        "Unix time at which the last collection finished, successful or not.")
    /// `libvirt_exporter_last_collection_duration_seconds`.
    public static let lastCollectionDuration = exporter(
        "libvirt_exporter_last_collection_duration_seconds", .gauge,
        "How long the last collection took, from the first libvirt call until its samples were mapped.")
    /// `libvirt_exporter_last_collection_success`.
    public static let lastCollectionSuccess = exporter(
        "libvirt_exporter_last_collection_success", .gauge,
        "Whether the last collection got every domain's stats without error (1) or not (0).")
    /// `libvirt_exporter_collections_total`.
    public static let collections = exporter(
        "libvirt_exporter_collections_total", .counter, "Collections attempted since the exporter started.")
    /// `libvirt_exporter_collection_errors_total`.
    public static let collectionErrors = exporter(
        "libvirt_exporter_collection_errors_total", .counter,
        "Failed libvirt calls during collection, by call and by libvirt's error code.",
        labels: ["call", "reason"])
    /// `libvirt_exporter_domains`.
    public static let domains = exporter(
        "libvirt_exporter_domains", .gauge,
        "Domains in the last successful collection, running or not (only running ones with --no-collector.inactive-domains)."
    )
    /// `libvirt_exporter_unmapped_fields`.
    public static let unmappedFields = exporter(
        "libvirt_exporter_unmapped_fields", .gauge,
        "Stats fields in the last collection that no catalog entry maps, summed over all domains.")
    /// `libvirt_exporter_per_cpu_stats_available`.
    public static let perCPUStatsAvailable = exporter(
        "libvirt_exporter_per_cpu_stats_available", .gauge,
        "Whether libvirt answers virDomainGetCPUStats per host CPU here (1) or not (0, e.g. cgroup v2 without cpuacct); absent before the first running domain."
    )
    /// `libvirt_exporter_job_stats_available`.
    public static let jobStatsAvailable = exporter(
        "libvirt_exporter_job_stats_available", .gauge,
        "Whether libvirt answers virDomainGetJobStats here (1) or not (0, e.g. the test driver); absent before the first running domain."
    )

    /// `libvirt_exporter_job_polls_total`.
    public static let jobPolls = exporter(
        "libvirt_exporter_job_polls_total", .counter,
        "Job stats calls of the job poller, which polls domains with an active job between collections.")

    static let exporterMetrics = [
        up, buildInfo, lastCollectionTimestamp, lastCollectionDuration, lastCollectionSuccess,
        collections, collectionErrors, domains, unmappedFields, perCPUStatsAvailable, jobStatsAvailable, jobPolls,
    ]

    // MARK: - Domain metrics

    /// `libvirt_domain_info`: one series per domain that carries its metadata.
    public static let domainInfo = MetricDescriptor(
        metric: "libvirt_domain_info", type: .gauge,
        help: "Always 1; labelled with the domain's metadata.",
        source: "virDomainGetUUIDString", labels: ["domain", "uuid"])

    // MARK: - Row builders

    static func exporter(
        _ metric: String, _ type: MetricType, _ help: String, labels: [String] = []
    ) -> MetricDescriptor {
        MetricDescriptor(metric: metric, type: type, help: help, source: "exporter", labels: labels)
    }

    static func field(
        _ source: String, _ metric: String, _ type: MetricType, _ help: String
    ) -> MetricDescriptor {
        field(source, metric, type, .none, help)
    }

    static func field(
        _ source: String, _ metric: String, _ type: MetricType, _ conversion: UnitConversion, _ help: String
    ) -> MetricDescriptor {
        let labels = DeviceGroup.labelNames(for: source)
        return MetricDescriptor(
            metric: metric, type: type, help: help, source: source, conversion: conversion, labels: labels)
    }
}
