import PromFormat

extension MetricCatalog {
    /// Rows for `virDomainGetJobStats`, the same for the active job (`job.*`) and the last
    /// completed one (`completedjob.*`, read with `VIR_DOMAIN_JOB_STATS_COMPLETED |
    /// VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED`). libvirt reports times in milliseconds.
    static func jobRows(fieldPrefix: String, metricPrefix: String, subject: String) -> [MetricDescriptor] {
        let rows: [(field: String, name: String, conversion: UnitConversion, help: String)] = [
            ("type", "type", .none, "job type (virDomainJobType): \(EnumNames.legend(EnumNames.jobType))."),
            (
                "operation", "operation", .none,
                "operation (virDomainJobOperation): \(EnumNames.legend(EnumNames.jobOperation))."
            ),
            ("success", "success", .none, "whether it succeeded (1) or failed (0)."),
            ("time_elapsed", "elapsed_seconds", .millisecondsToSeconds, "time since it started."),
            (
                "time_elapsed_net", "elapsed_net_seconds", .millisecondsToSeconds,
                "time since it started, without the time spent handing control between hosts."
            ),
            ("time_remaining", "remaining_seconds", .millisecondsToSeconds, "time libvirt expects it still needs."),
            (
                "downtime", "downtime_seconds", .millisecondsToSeconds,
                "downtime of the domain: expected while a migration runs, actual once it completed."
            ),
            (
                "downtime_net", "downtime_net_seconds", .millisecondsToSeconds,
                "downtime without the time spent handing control between hosts."
            ),
            ("setup_time", "setup_seconds", .millisecondsToSeconds, "time spent setting the migration up."),
            ("data_total", "data_total_bytes", .none, "data to process, memory and disks together."),
            ("data_processed", "data_processed_bytes", .none, "data processed so far."),
            ("data_remaining", "data_remaining_bytes", .none, "data still to process."),
            ("memory_total", "memory_total_bytes", .none, "memory to transfer."),
            ("memory_processed", "memory_processed_bytes", .none, "memory transferred so far."),
            ("memory_remaining", "memory_remaining_bytes", .none, "memory still to transfer."),
            ("memory_constant", "memory_constant_pages", .none, "pages filled with one byte, sent as that byte."),
            ("memory_normal", "memory_normal_pages", .none, "pages transferred whole."),
            ("memory_normal_bytes", "memory_normal_bytes", .none, "bytes of pages transferred whole."),
            ("memory_bps", "memory_bytes_per_second", .none, "memory transfer bandwidth."),
            (
                "memory_dirty_rate", "memory_dirty_rate_pages_per_second", .none,
                "pages the guest dirties per second during the migration."
            ),
            ("memory_page_size", "memory_page_size_bytes", .none, "size of a memory page."),
            ("memory_iteration", "memory_iteration", .none, "memory passes so far; each resends dirtied pages."),
            (
                "memory_postcopy_requests", "memory_postcopy_requests", .none,
                "page requests from the destination during post-copy."
            ),
            ("disk_total", "disk_total_bytes", .none, "disk data to transfer."),
            ("disk_processed", "disk_processed_bytes", .none, "disk data transferred so far."),
            ("disk_remaining", "disk_remaining_bytes", .none, "disk data still to transfer."),
            ("disk_bps", "disk_bytes_per_second", .none, "disk transfer bandwidth."),
            ("compression_cache", "compression_cache_bytes", .none, "size of the XBZRLE compression cache."),
            ("compression_bytes", "compression_bytes", .none, "compressed data transferred."),
            ("compression_pages", "compression_pages", .none, "pages transferred compressed."),
            ("compression_cache_misses", "compression_cache_misses", .none, "compression cache misses."),
            (
                "compression_overflow", "compression_overflow_pages", .none,
                "pages that did not shrink under compression and were sent whole."
            ),
            (
                "auto_converge_throttle", "auto_converge_throttle_ratio", .percentToRatio,
                "share of vCPU time taken away to make the migration converge."
            ),
            ("disk_temp_used", "disk_temp_used_bytes", .none, "temporary disk space in use (backup jobs)."),
            ("disk_temp_total", "disk_temp_total_bytes", .none, "temporary disk space reserved (backup jobs)."),
            ("vfio_data_transferred", "vfio_data_transferred_bytes", .none, "VFIO device state transferred."),
        ]
        return rows.map { row in
            MetricDescriptor(
                metric: metricPrefix + row.name, type: .gauge, help: "\(subject): \(row.help)",
                source: fieldPrefix + row.field, conversion: row.conversion, labels: ["domain"])
        }
    }
}
