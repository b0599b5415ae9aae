/// The layout of Debian's `prometheus-libvirt-exporter` (kumina's libvirt_exporter 0.2.0), which
/// the compatibility mode (``KuminaCompatibility``) adds to the output: its two families that
/// virt-exporter has no name for, and the labels it puts on the families both exporters name.
extension MetricCatalog {
    /// The families and labels of Debian's exporter.
    enum Kumina {
        /// `libvirt_domain_state_code{domain, uuid}`: Debian's name for the state code.
        static let stateCode = MetricDescriptor(
            metric: "libvirt_domain_state_code", type: .gauge,
            help:
                "Only with --compat.kumina: an active domain's state code (virDomainState), as libvirt_domain_info_state, under the name of Debian's prometheus-libvirt-exporter; absent for shut-off domains, as there.",
            source: "state.state", labels: ["domain", "uuid"])

        /// `libvirt_domains_number`: how many active domains the collection saw.
        static let domainsNumber = MetricDescriptor(
            metric: "libvirt_domains_number", type: .gauge,
            help:
                "Only with --compat.kumina: active domains (running, paused, …) in the last collection, as Debian's prometheus-libvirt-exporter counts them; libvirt_exporter_domains counts shut-off ones too.",
            source: "virConnectGetAllDomainStats", labels: [])

        /// The per-domain families Debian's exporter emits under the same name as virt-exporter;
        /// in the compatibility mode each gets `uuid` (and, with Nova metadata, ``novaLabels``).
        /// The four block time and flush families are named in its binary, though it did not emit
        /// them on the testbed; a query written for them finds them here too.
        static let domainFamilies: Set<String> = Set([
            "libvirt_domain_info_cpu_time_seconds_total", "libvirt_domain_info_maximum_memory_bytes",
            "libvirt_domain_info_memory_usage_bytes", "libvirt_domain_info_virtual_cpus",
            "libvirt_domain_block_stats_read_bytes_total", "libvirt_domain_block_stats_read_requests_total",
            "libvirt_domain_block_stats_write_bytes_total", "libvirt_domain_block_stats_write_requests_total",
            "libvirt_domain_block_stats_read_seconds_total", "libvirt_domain_block_stats_write_seconds_total",
            "libvirt_domain_block_stats_flush_requests_total", "libvirt_domain_block_stats_flush_seconds_total",
        ]).union(interfaceFamilies)

        /// The interface families, which also get `source_bridge`.
        static let interfaceFamilies: Set<String> = [
            "libvirt_domain_interface_stats_receive_bytes_total",
            "libvirt_domain_interface_stats_receive_packets_total",
            "libvirt_domain_interface_stats_receive_errors_total", "libvirt_domain_interface_stats_receive_drops_total",
            "libvirt_domain_interface_stats_transmit_bytes_total",
            "libvirt_domain_interface_stats_transmit_packets_total",
            "libvirt_domain_interface_stats_transmit_errors_total",
            "libvirt_domain_interface_stats_transmit_drops_total",
        ]

        /// Debian's `--libvirt.export-nova-metadata` labels and the Nova facts they come from:
        /// the instance's name, its flavor's name, and its project's name.
        static let novaLabels = [
            ("name", NovaFacts.instanceName), ("flavor", NovaFacts.flavorName),
            ("project_name", NovaFacts.projectName),
        ]

        /// The interface fact of `source_bridge`, after `net.<n>.`.
        static let sourceBridgeSuffix = "source_bridge"

        /// Both rows, for the catalog.
        static let rows = [stateCode, domainsNumber]
    }
}
