/// Rows for the host part: the hypervisor's capacity as libvirt sees it, what is free, and what
/// its domains are given. Overcommit ratios are recording rules over these
/// (`deploy/prometheus/virt-exporter.rules.yml`), not more series.
extension MetricCatalog {
    /// `libvirt_node_cpus`.
    public static let nodeCPUs = MetricDescriptor(
        metric: "libvirt_node_cpus", type: .gauge,
        help: "Logical CPUs of the host that exist (present), online or not.", source: "virNodeGetCPUMap",
        labels: [])
    /// `libvirt_node_cpus_online`.
    public static let nodeCPUsOnline = MetricDescriptor(
        metric: "libvirt_node_cpus_online", type: .gauge, help: "Logical CPUs of the host that are online.",
        source: "virNodeGetCPUMap", labels: [])
    /// `libvirt_node_numa_cell_cpus`.
    public static let nodeCellCPUs = MetricDescriptor(
        metric: "libvirt_node_numa_cell_cpus", type: .gauge,
        help: "Logical CPUs of the NUMA cell, from the capabilities XML read once per connection.",
        source: "virConnectGetCapabilities", labels: ["cell"])
    /// `libvirt_node_numa_cell_memory_bytes`.
    public static let nodeCellMemory = MetricDescriptor(
        metric: "libvirt_node_numa_cell_memory_bytes", type: .gauge,
        help: "Memory of the NUMA cell, from the capabilities XML read once per connection.",
        source: "virConnectGetCapabilities", labels: ["cell"])
    /// `libvirt_node_numa_cell_memory_free_bytes`.
    public static let nodeCellFreeMemory = MetricDescriptor(
        metric: "libvirt_node_numa_cell_memory_free_bytes", type: .gauge,
        help: "Free memory of the NUMA cell; summed over the cells, the host's free memory.",
        source: "virNodeGetCellsFreeMemory", labels: ["cell"])
    /// `libvirt_node_numa_cell_hugepages_free`.
    public static let nodeCellFreeHugePages = MetricDescriptor(
        metric: "libvirt_node_numa_cell_hugepages_free", type: .gauge,
        help: "Free huge pages of the size page_size_bytes on the NUMA cell.", source: "virNodeGetFreePages",
        labels: ["cell", "page_size_bytes"])
    /// `libvirt_node_domain_vcpus`.
    public static let nodeDomainVCPUs = MetricDescriptor(
        metric: "libvirt_node_domain_vcpus", type: .gauge,
        help:
            "vCPUs given to the domains (vcpu.current, summed): domains=\"running\" for those that run, \"inactive\" for those defined but not running; absent while a domain's stats are missing.",
        source: "vcpu.current", labels: ["domains"])
    /// `libvirt_node_domain_memory_bytes`.
    public static let nodeDomainMemory = MetricDescriptor(
        metric: "libvirt_node_domain_memory_bytes", type: .gauge,
        help:
            "Memory the domains are defined with (balloon.maximum, summed): domains=\"running\" for those that run, \"inactive\" for those defined but not running; absent while a domain's stats are missing.",
        source: "balloon.maximum", conversion: .kibibytesToBytes, labels: ["domains"])

    static let hostMetrics = [
        nodeCPUs, nodeCPUsOnline, nodeCellCPUs, nodeCellMemory, nodeCellFreeMemory, nodeCellFreeHugePages,
        nodeDomainVCPUs, nodeDomainMemory,
    ]
}
