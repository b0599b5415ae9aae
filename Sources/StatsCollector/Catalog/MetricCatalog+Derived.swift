extension MetricCatalog {
    /// A live migration's memory passes, for the gauges that follow them from pass to pass.
    static let migrationPasses = DerivedMetric.Passes(
        remaining: "libvirt_domain_job_memory_remaining_bytes", iteration: "libvirt_domain_job_memory_iteration",
        expectedDowntime: "libvirt_domain_job_downtime_seconds",
        bandwidth: "libvirt_domain_job_memory_bytes_per_second",
        dirtyRate: "libvirt_domain_job_memory_dirty_rate_pages_per_second")

    /// Gauges derived in the exporter from the metrics above, in the order they are computed
    /// (a metric may read one derived before it).
    static let derivedMetrics: [DerivedMetric] =
        cpuRates + blockRates + interfaceRates + memoryRates + [memoryUsed] + jobProgress

    private static let domain = ["domain"]
    private static let vcpu = ["domain", "vcpu"]
    private static let disk = ["domain", "target_device", "source_file"]
    private static let interface = ["domain", "target_device"]

    private static let cpuRates: [DerivedMetric] = [
        DerivedMetric(
            "libvirt_domain_cpu_usage_cores", .rate(counter: "libvirt_domain_info_cpu_time_seconds_total"),
            labels: domain, help: "CPU the domain used over the last collection interval, in host cores."),
        DerivedMetric(
            "libvirt_domain_cpu_user_usage_cores", .rate(counter: "libvirt_domain_cpu_user_seconds_total"),
            labels: domain, help: "CPU the domain used in user mode over the last interval, in host cores."),
        DerivedMetric(
            "libvirt_domain_cpu_system_usage_cores", .rate(counter: "libvirt_domain_cpu_system_seconds_total"),
            labels: domain, help: "CPU the domain used in kernel mode over the last interval, in host cores."),
        DerivedMetric(
            "libvirt_domain_vcpu_usage_ratio", .rate(counter: "libvirt_domain_vcpu_time_seconds_total"),
            labels: vcpu, help: "Share of the last interval the vCPU ran."),
        DerivedMetric(
            "libvirt_domain_vcpu_wait_ratio", .rate(counter: "libvirt_domain_vcpu_wait_seconds_total"),
            labels: vcpu,
            help:
                "Share of the last interval the vCPU wanted to run but the host ran something else: host CPU contention."
        ),
        DerivedMetric(
            "libvirt_domain_vcpu_delay_ratio", .rate(counter: "libvirt_domain_vcpu_delay_seconds_total"),
            labels: vcpu, help: "Share of the last interval the vCPU's thread sat in the host's run queue (steal time)."
        ),
        DerivedMetric(
            "libvirt_domain_cpu_stats_host_cpu_usage_ratio",
            .rate(counter: "libvirt_domain_cpu_stats_host_cpu_seconds_total"), labels: ["domain", "cpu"],
            help: "Share of the last interval the domain ran on this host CPU."),
    ]

    private static let blockRates: [DerivedMetric] = [
        DerivedMetric(
            "libvirt_domain_block_read_bytes_per_second", .rate(counter: "libvirt_domain_block_stats_read_bytes_total"),
            labels: disk, help: "Bytes read per second over the last interval."),
        DerivedMetric(
            "libvirt_domain_block_write_bytes_per_second",
            .rate(counter: "libvirt_domain_block_stats_write_bytes_total"), labels: disk,
            help: "Bytes written per second over the last interval."),
        DerivedMetric(
            "libvirt_domain_block_read_requests_per_second",
            .rate(counter: "libvirt_domain_block_stats_read_requests_total"), labels: disk,
            help: "Read requests per second over the last interval."),
        DerivedMetric(
            "libvirt_domain_block_write_requests_per_second",
            .rate(counter: "libvirt_domain_block_stats_write_requests_total"), labels: disk,
            help: "Write requests per second over the last interval."),
        DerivedMetric(
            "libvirt_domain_block_read_latency_seconds",
            .ratioOfIncreases(
                counter: "libvirt_domain_block_stats_read_seconds_total",
                per: "libvirt_domain_block_stats_read_requests_total"), labels: disk,
            help: "Average time per read request over the last interval; absent when there was none."),
        DerivedMetric(
            "libvirt_domain_block_write_latency_seconds",
            .ratioOfIncreases(
                counter: "libvirt_domain_block_stats_write_seconds_total",
                per: "libvirt_domain_block_stats_write_requests_total"), labels: disk,
            help: "Average time per write request over the last interval; absent when there was none."),
        DerivedMetric(
            "libvirt_domain_block_flush_latency_seconds",
            .ratioOfIncreases(
                counter: "libvirt_domain_block_stats_flush_seconds_total",
                per: "libvirt_domain_block_stats_flush_requests_total"), labels: disk,
            help: "Average time per flush request over the last interval; absent when there was none."),
    ]

    private static let interfaceRates: [DerivedMetric] = [
        ("receive_bytes", "Bytes received"), ("transmit_bytes", "Bytes transmitted"),
        ("receive_packets", "Packets received"), ("transmit_packets", "Packets transmitted"),
        ("receive_errors", "Receive errors"), ("transmit_errors", "Transmit errors"),
        ("receive_drops", "Received packets dropped"), ("transmit_drops", "Transmitted packets dropped"),
    ].map { name, what in
        DerivedMetric(
            "libvirt_domain_interface_\(name)_per_second",
            .rate(counter: "libvirt_domain_interface_stats_\(name)_total"), labels: interface,
            help: "\(what) per second over the last interval.")
    }

    /// Guest memory statistics change only when the guest's balloon driver reports them, so their
    /// rates use the guest's report times.
    private static let memoryRates: [DerivedMetric] = [
        ("swap_in_bytes", "libvirt_domain_memory_stats_swap_in_bytes_total", "Memory the guest read in from swap"),
        ("swap_out_bytes", "libvirt_domain_memory_stats_swap_out_bytes_total", "Memory the guest wrote out to swap"),
        ("major_faults", "libvirt_domain_memory_stats_major_fault_total", "Page faults in the guest that needed IO"),
        ("minor_faults", "libvirt_domain_memory_stats_minor_fault_total", "Page faults in the guest without IO"),
    ].map { name, counter, what in
        DerivedMetric(
            "libvirt_domain_memory_\(name)_per_second", .rate(counter: counter),
            clock: .metric("libvirt_domain_memory_stats_last_update_timestamp_seconds"), labels: domain,
            help: "\(what), per second between the guest's last two statistics reports.")
    }

    /// The guest's used memory as its own `free` (procps 4) computes it: MemTotal − MemAvailable.
    private static let memoryUsed = DerivedMetric(
        "libvirt_domain_memory_used_bytes",
        .difference(
            minuend: "libvirt_domain_memory_stats_available_bytes",
            subtrahend: "libvirt_domain_memory_stats_usable_bytes"),
        labels: domain,
        help:
            "Memory the guest uses as its own free (procps 4) shows it, available - usable (MemTotal - MemAvailable), as of the guest's last statistics report; absent without the balloon driver's statistics."
    )

    /// Progress of the active job. Rates of the processed amounts use the job's own elapsed time.
    private static let jobProgress: [DerivedMetric] = [
        DerivedMetric(
            "libvirt_domain_job_data_progress_ratio",
            .ratio(
                numerator: "libvirt_domain_job_data_processed_bytes", denominator: "libvirt_domain_job_data_total_bytes"
            ),
            labels: domain, help: "Active job: share of its data processed."),
        DerivedMetric(
            "libvirt_domain_job_memory_progress_ratio",
            .ratio(
                numerator: "libvirt_domain_job_memory_processed_bytes",
                denominator: "libvirt_domain_job_memory_total_bytes"), labels: domain,
            help: "Active job: share of the memory transferred (passes over re-dirtied memory can exceed 1)."),
        DerivedMetric(
            "libvirt_domain_job_disk_progress_ratio",
            .ratio(
                numerator: "libvirt_domain_job_disk_processed_bytes", denominator: "libvirt_domain_job_disk_total_bytes"
            ),
            labels: domain, help: "Active job: share of the disk data transferred."),
        DerivedMetric(
            "libvirt_domain_job_data_transfer_bytes_per_second",
            .rate(counter: "libvirt_domain_job_data_processed_bytes"),
            clock: .metric("libvirt_domain_job_elapsed_seconds"),
            labels: domain, help: "Active job: data processed per second of the job's time, since the previous sample."),
        DerivedMetric(
            "libvirt_domain_job_memory_transfer_bytes_per_second",
            .rate(counter: "libvirt_domain_job_memory_processed_bytes"),
            clock: .metric("libvirt_domain_job_elapsed_seconds"), labels: domain,
            help: "Active job: memory transferred per second of the job's time, since the previous sample."),
        DerivedMetric(
            "libvirt_domain_job_disk_transfer_bytes_per_second",
            .rate(counter: "libvirt_domain_job_disk_processed_bytes"),
            clock: .metric("libvirt_domain_job_elapsed_seconds"),
            labels: domain,
            help: "Active job: disk data transferred per second of the job's time, since the previous sample."),
        DerivedMetric(
            "libvirt_domain_job_memory_dirty_rate_bytes_per_second",
            .product(
                "libvirt_domain_job_memory_dirty_rate_pages_per_second", "libvirt_domain_job_memory_page_size_bytes"),
            precopyOnly: true, labels: domain,
            help:
                "Active migration: memory the guest dirties per second, to compare with the transfer bandwidth. Absent once it switched to post-copy (libvirt's figure is then the last pass's)."
        ),
        DerivedMetric(
            "libvirt_domain_job_eta_seconds",
            .timeLeft(
                [
                    ("libvirt_domain_job_data_remaining_bytes", "libvirt_domain_job_data_transfer_bytes_per_second"),
                    (
                        "libvirt_domain_job_memory_remaining_bytes",
                        "libvirt_domain_job_memory_transfer_bytes_per_second"
                    ),
                ],
                redirtied: (rate: "libvirt_domain_job_memory_dirty_rate_bytes_per_second", passes: migrationPasses)),
            labels: domain,
            help:
                "Active job: time left at the current transfer rate, from its data (or, for memory-only jobs such as dumps, its memory); for a migration, with the passes still to come over what the guest dirties again meanwhile. In post-copy, no more passes: what is left at the current rate. Absent while nothing moves or the guest dirties memory as fast as it is sent."
        ),
        DerivedMetric(
            "libvirt_domain_job_converging",
            .shrinking(migrationPasses),
            precopyOnly: true, labels: domain,
            help:
                "Active migration: 1 while the memory left at a pass's start (as QEMU reckons it in its expected downtime) shrinks from one pass to the next, 0 while it does not. Absent once it switched to post-copy."
        ),
        DerivedMetric(
            "libvirt_domain_job_memory_stalled_passes",
            .passesWithoutNewLow(migrationPasses),
            precopyOnly: true, labels: domain,
            help:
                "Active migration: memory passes since the memory left at the start of a pass last fell 10% below its lowest so far (counted from the first pass the exporter saw; the start as QEMU reckons it in its expected downtime); 3 or more: stuck on a plateau. Absent once it switched to post-copy, which makes no passes."
        ),
        DerivedMetric(
            "libvirt_domain_job_downtime_ratio",
            .ratio(
                numerator: "libvirt_domain_job_downtime_seconds",
                denominator: "libvirt_domain_migration_max_downtime_seconds"),
            precopyOnly: true, labels: domain,
            help:
                "Active migration: expected downtime as a share of the configured maximum. Absent once it switched to post-copy (the guest already moved; libvirt's expected downtime is then the last pass's)."
        ),
    ]
}
