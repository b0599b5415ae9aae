extension MetricCatalog {
    /// Info series: always 1, labelled with fields that are text or enum codes, never values.
    static let infoSeries: [InfoDescriptor] = [
        InfoDescriptor(
            metric: "libvirt_domain_block_info",
            help:
                "Always 1; the block device's position in its backing chain (0 for the image the guest writes to), and from the domain XML its disk type, driver format, bus, cache mode, serial, and for network disks the protocol and source name.",
            labels: [.init("backing_index", from: "block.<n>.backingIndex")] + DiskFacts.infoLabels),
        InfoDescriptor(
            metric: "libvirt_domain_job_info", help: "Always 1; the active job's type and operation, by name.",
            labels: [
                .init("type", from: jobPrefix + "type", names: EnumNames.jobType),
                .init("operation", from: jobPrefix + "operation", names: EnumNames.jobOperation),
            ]),
        InfoDescriptor(
            metric: "libvirt_domain_completed_job_info",
            help: "Always 1; the last completed job's type and operation, by name.",
            labels: [
                .init("type", from: completedJobPrefix + "type", names: EnumNames.jobType),
                .init("operation", from: completedJobPrefix + "operation", names: EnumNames.jobOperation),
            ]),
        InfoDescriptor(
            metric: "libvirt_domain_dirtyrate_info", help: "Always 1; how the last dirty-rate calculation measured.",
            labels: [.init("calc_mode", from: "dirtyrate.calc_mode")]),
        InfoDescriptor(
            metric: "libvirt_domain_cpu_cache_monitor_info", help: "Always 1; the vCPUs a cache monitor watches.",
            labels: [.init("vcpus", from: "cpu.cache.monitor.<n>.vcpus")]),
        InfoDescriptor(
            metric: "libvirt_domain_memory_bandwidth_monitor_info",
            help: "Always 1; the vCPUs a memory bandwidth monitor watches.",
            labels: [.init("vcpus", from: "memory.bandwidth.monitor.<n>.vcpus")]),
        openstackInfo, interfaceInfo,
    ]
}
