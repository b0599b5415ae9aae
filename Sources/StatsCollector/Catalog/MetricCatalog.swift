import PromFormat

/// Every metric virt-exporter can emit, in one table. The collector maps libvirt's fields through
/// this table; `virt-exporter catalog` prints it; `docs/metrics.md` is generated from it.
///
/// To export a new libvirt field, add a row.
public enum MetricCatalog {
    /// Every metric, exporter self-metrics first, then domain metrics in libvirt's group order.
    public static let all: [MetricDescriptor] = exporterMetrics + [domainInfo] + domainFieldMetrics

    /// Domain metrics read from `virConnectGetAllDomainStats` fields, keyed by field pattern.
    static let byFieldPattern: [String: MetricDescriptor] = Dictionary(
        uniqueKeysWithValues: domainFieldMetrics.map { ($0.source, $0) })

    /// Fields that label other fields' series (a disk's target name and path, an interface's name).
    static let labelFieldPatterns: Set<String> = Set(DeviceGroup.all.flatMap(\.labelFields))

    // MARK: - Exporter self-metrics

    /// `libvirt_up`: whether the last collection reached libvirt.
    public static let up = exporter(
        "libvirt_up", .gauge, "Whether the last collection reached libvirt (1) or not (0).")
    /// `libvirt_exporter_build_info`: the exporter's and libvirt's versions.
    public static let buildInfo = exporter(
        "libvirt_exporter_build_info", .gauge,
        "Always 1; labelled with the exporter's version and the libvirt library it runs with.",
        labels: ["version", "libvirt_version"])
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
        "libvirt_exporter_domains", .gauge, "Domains in the last successful collection, running or not.")
    /// `libvirt_exporter_unmapped_fields`.
    public static let unmappedFields = exporter(
        "libvirt_exporter_unmapped_fields", .gauge,
        "Stats fields in the last collection that no catalog entry maps, summed over all domains.")

    static let exporterMetrics = [
        up, buildInfo, lastCollectionTimestamp, lastCollectionDuration, lastCollectionSuccess,
        collections, collectionErrors, domains, unmappedFields,
    ]

    // MARK: - Domain metrics

    /// `libvirt_domain_info`: one series per domain that carries its metadata.
    public static let domainInfo = MetricDescriptor(
        metric: "libvirt_domain_info", type: .gauge,
        help: "Always 1; labelled with the domain's metadata.",
        source: "virDomainGetUUIDString", labels: ["domain", "uuid"])

    static let domainFieldMetrics: [MetricDescriptor] = [
        // state
        field(
            "state.state", "libvirt_domain_info_state", .gauge,
            "Domain state (virDomainState): 0 no state, 1 running, 2 blocked, 3 paused, 4 shutting down, 5 shut off, 6 crashed, 7 suspended by power management."
        ),
        field(
            "state.reason", "libvirt_domain_info_state_reason", .gauge,
            "Reason for the current state; its meaning depends on the state (virDomain<State>Reason)."),
        // cpu
        field(
            "cpu.time", "libvirt_domain_info_cpu_time_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time used by the domain, all threads together."),
        field(
            "cpu.user", "libvirt_domain_cpu_user_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the domain used in user mode."),
        field(
            "cpu.system", "libvirt_domain_cpu_system_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the domain used in kernel mode."),
        // balloon
        field(
            "balloon.current", "libvirt_domain_info_memory_usage_bytes", .gauge, .kibibytesToBytes,
            "Memory currently assigned to the domain (the balloon's size)."),
        field(
            "balloon.maximum", "libvirt_domain_info_maximum_memory_bytes", .gauge, .kibibytesToBytes,
            "Maximum memory the domain may be given."),
        field(
            "balloon.swap_in", "libvirt_domain_memory_stats_swap_in_bytes_total", .counter, .kibibytesToBytes,
            "Memory the guest read in from swap."),
        field(
            "balloon.swap_out", "libvirt_domain_memory_stats_swap_out_bytes_total", .counter, .kibibytesToBytes,
            "Memory the guest wrote out to swap."),
        field(
            "balloon.major_fault", "libvirt_domain_memory_stats_major_fault_total", .counter,
            "Page faults in the guest that needed disk IO."),
        field(
            "balloon.minor_fault", "libvirt_domain_memory_stats_minor_fault_total", .counter,
            "Page faults in the guest served without disk IO."),
        field(
            "balloon.unused", "libvirt_domain_memory_stats_unused_bytes", .gauge, .kibibytesToBytes,
            "Memory the guest leaves entirely unused."),
        field(
            "balloon.available", "libvirt_domain_memory_stats_available_bytes", .gauge, .kibibytesToBytes,
            "Memory the guest sees as available."),
        field(
            "balloon.usable", "libvirt_domain_memory_stats_usable_bytes", .gauge, .kibibytesToBytes,
            "Memory the guest could use without swapping, caches included."),
        field(
            "balloon.rss", "libvirt_domain_memory_stats_rss_bytes", .gauge, .kibibytesToBytes,
            "Resident memory of the domain's process on the host."),
        field(
            "balloon.disk_caches", "libvirt_domain_memory_stats_disk_cache_bytes", .gauge, .kibibytesToBytes,
            "Memory the guest uses for disk caches, reclaimable at once."),
        field(
            "balloon.last-update", "libvirt_domain_memory_stats_last_update_timestamp_seconds", .gauge,
            "Unix time of the guest's last balloon statistics update."),
        field(
            "balloon.hugetlb_pgalloc", "libvirt_domain_memory_stats_hugetlb_page_allocations_total", .counter,
            "Huge page allocations in the guest."),
        field(
            "balloon.hugetlb_pgfail", "libvirt_domain_memory_stats_hugetlb_page_allocation_failures_total", .counter,
            "Failed huge page allocations in the guest."),
        // vcpu
        field("vcpu.current", "libvirt_domain_info_virtual_cpus", .gauge, "Virtual CPUs currently online."),
        field("vcpu.maximum", "libvirt_domain_vcpu_maximum", .gauge, "Virtual CPUs the domain may have at most."),
        field(
            "vcpu.<n>.state", "libvirt_domain_vcpu_state", .gauge,
            "State of the virtual CPU (virVcpuState): 0 offline, 1 running, 2 blocked."),
        field(
            "vcpu.<n>.time", "libvirt_domain_vcpu_time_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the virtual CPU ran."),
        field(
            "vcpu.<n>.wait", "libvirt_domain_vcpu_wait_seconds_total", .counter, .nanosecondsToSeconds,
            "Time the virtual CPU's thread waited on IO or locks in the host (not runnable)."),
        field(
            "vcpu.<n>.delay", "libvirt_domain_vcpu_delay_seconds_total", .counter, .nanosecondsToSeconds,
            "Time the virtual CPU was runnable but waited for a host CPU (steal time)."),
        field(
            "vcpu.<n>.halted", "libvirt_domain_vcpu_halted", .gauge,
            "Whether the virtual CPU is halted (1) or not (0)."),
        // net
        field("net.count", "libvirt_domain_interfaces", .gauge, "Network interfaces of the domain."),
        field("net.<n>.rx.bytes", "libvirt_domain_interface_stats_receive_bytes_total", .counter, "Bytes received."),
        field("net.<n>.rx.pkts", "libvirt_domain_interface_stats_receive_packets_total", .counter, "Packets received."),
        field("net.<n>.rx.errs", "libvirt_domain_interface_stats_receive_errors_total", .counter, "Receive errors."),
        field(
            "net.<n>.rx.drop", "libvirt_domain_interface_stats_receive_drops_total", .counter,
            "Received packets dropped."),
        field(
            "net.<n>.tx.bytes", "libvirt_domain_interface_stats_transmit_bytes_total", .counter, "Bytes transmitted."),
        field(
            "net.<n>.tx.pkts", "libvirt_domain_interface_stats_transmit_packets_total", .counter, "Packets transmitted."
        ),
        field("net.<n>.tx.errs", "libvirt_domain_interface_stats_transmit_errors_total", .counter, "Transmit errors."),
        field(
            "net.<n>.tx.drop", "libvirt_domain_interface_stats_transmit_drops_total", .counter,
            "Transmitted packets dropped."),
        // block
        field("block.count", "libvirt_domain_block_devices", .gauge, "Block devices of the domain."),
        field("block.<n>.rd.reqs", "libvirt_domain_block_stats_read_requests_total", .counter, "Read requests."),
        field("block.<n>.rd.bytes", "libvirt_domain_block_stats_read_bytes_total", .counter, "Bytes read."),
        field(
            "block.<n>.rd.times", "libvirt_domain_block_stats_read_seconds_total", .counter, .nanosecondsToSeconds,
            "Time spent on reads."),
        field("block.<n>.wr.reqs", "libvirt_domain_block_stats_write_requests_total", .counter, "Write requests."),
        field("block.<n>.wr.bytes", "libvirt_domain_block_stats_write_bytes_total", .counter, "Bytes written."),
        field(
            "block.<n>.wr.times", "libvirt_domain_block_stats_write_seconds_total", .counter, .nanosecondsToSeconds,
            "Time spent on writes."),
        field("block.<n>.fl.reqs", "libvirt_domain_block_stats_flush_requests_total", .counter, "Flush requests."),
        field(
            "block.<n>.fl.times", "libvirt_domain_block_stats_flush_seconds_total", .counter, .nanosecondsToSeconds,
            "Time spent on flushes."),
        field(
            "block.<n>.errors", "libvirt_domain_block_stats_errors_total", .counter,
            "Errors on the device (reported by Xen only)."),
        field(
            "block.<n>.allocation", "libvirt_domain_block_stats_allocation_bytes", .gauge,
            "Offset of the highest written sector of the device."),
        field(
            "block.<n>.capacity", "libvirt_domain_block_stats_capacity_bytes", .gauge,
            "Logical size of the device, as the guest sees it."),
        field(
            "block.<n>.physical", "libvirt_domain_block_stats_physical_bytes", .gauge,
            "Size of the device's storage on the host (file size or block device size)."),
        field(
            "block.<n>.threshold", "libvirt_domain_block_stats_threshold_bytes", .gauge,
            "Write threshold set on the device (virDomainSetBlockThreshold)."),
    ]

    // MARK: - Row builders

    private static func exporter(
        _ metric: String, _ type: MetricType, _ help: String, labels: [String] = []
    ) -> MetricDescriptor {
        MetricDescriptor(metric: metric, type: type, help: help, source: "exporter", labels: labels)
    }

    private static func field(
        _ source: String, _ metric: String, _ type: MetricType, _ help: String
    ) -> MetricDescriptor {
        field(source, metric, type, .none, help)
    }

    private static func field(
        _ source: String, _ metric: String, _ type: MetricType, _ conversion: UnitConversion, _ help: String
    ) -> MetricDescriptor {
        let labels = DeviceGroup.containing(source)?.labelNames ?? ["domain"]
        return MetricDescriptor(
            metric: metric, type: type, help: help, source: source, conversion: conversion, labels: labels)
    }
}
