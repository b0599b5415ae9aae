/// Which families each collector part brings, and what it costs libvirtd: for
/// `virt-exporter parts`, the README's budget table and the metric selection.
extension CollectorPart {
    /// For a part that is some of a group's families (it has a ``parent``): those families, by name;
    /// a name ending in `*` stands for every family that begins so. Empty for the other parts,
    /// whose families follow from where their numbers come from (``owner(of:)``).
    public var familyNames: [String] {
        switch self {
        case .cpuDetails:
            [
                "libvirt_domain_cpu_user_seconds_total", "libvirt_domain_cpu_system_seconds_total",
                "libvirt_domain_cpu_user_usage_cores", "libvirt_domain_cpu_system_usage_cores",
                "libvirt_domain_cpu_haltpoll_*", "libvirt_domain_cpu_cache_*",
            ]
        case .vcpuDetails:
            [
                "libvirt_domain_vcpu_state", "libvirt_domain_vcpu_halted", "libvirt_domain_vcpu_time_seconds_total",
                "libvirt_domain_vcpu_wait_seconds_total", "libvirt_domain_vcpu_delay_seconds_total",
                "libvirt_domain_vcpu_usage_ratio",
            ]
        case .vcpuKVM: ["libvirt_domain_vcpu_kvm_*"]
        case .blockTimes:
            [
                "libvirt_domain_block_stats_read_seconds_total", "libvirt_domain_block_stats_write_seconds_total",
                "libvirt_domain_block_stats_flush_requests_total", "libvirt_domain_block_stats_flush_seconds_total",
            ]
        default: []
        }
    }

    /// The part of a group that the family `name` belongs to, if any.
    static func subpart(ofFamily name: String) -> CollectorPart? {
        allCases.first { part in
            part.familyNames.contains { $0.hasSuffix("*") ? name.hasPrefix($0.dropLast()) : name == $0 }
        }
    }

    /// The bulk stats field prefixes of each bulk part, for ``owner(of:)``.
    private static let fieldPrefixes: [(prefix: String, part: CollectorPart)] = [
        ("cpu.", .cpu), ("balloon.", .balloon), ("vcpu.", .vcpu), ("net.", .interface), ("block.", .block),
        ("perf.", .perf), ("iothread.", .iothread), ("memory.", .memory), ("dirtyrate.", .dirtyrate), ("vm.", .kvm),
        (MetricCatalog.cpuStatsPrefix, .cpustats), (MetricCatalog.jobPrefix, .jobs),
        (MetricCatalog.completedJobPrefix, .jobs), (MetricCatalog.migrationPrefix, .jobs), ("metadata.", .metadata),
        ("facts.", .metadata),
        (MetricCatalog.InventoryFields.prefix, .inventory),
    ]

    /// Catalog rows by metric name, for the inputs of derived gauges.
    private static let rowsByMetric: [String: MetricDescriptor] = Dictionary(
        MetricCatalog.all.map { ($0.metric, $0) }, uniquingKeysWith: { first, _ in first })

    /// The part that brings the catalog row `descriptor`; `nil` for the state group, which is
    /// always collected, and for the exporter's own metrics. A derived gauge belongs to the group
    /// part of its first input (the vCPU wait ratio to `vcpu`, though its input is `vcpu-details`'s);
    /// an info series to the part of its first field.
    public static func owner(of descriptor: MetricDescriptor) -> CollectorPart? {
        if let part = subpart(ofFamily: descriptor.metric) { return part }
        if MetricCatalog.hostMetrics.contains(descriptor) { return .host }
        if MetricCatalog.guestMetrics.contains(descriptor) { return .guest }
        if let derived = MetricCatalog.derivedMetrics.first(where: { $0.descriptor.metric == descriptor.metric }) {
            let part = rowsByMetric[derived.inputs[0]].flatMap(owner(of:))
            return part?.parent ?? part
        }
        let source = descriptor.source
        if source.hasPrefix("virStoragePool") || source.hasPrefix("virConnectListAllStoragePools") { return .pools }
        if descriptor == MetricCatalog.domainEvents { return .events }
        return fieldPrefixes.first { source.hasPrefix($0.prefix) }?.part
    }

    /// What the part costs libvirtd each collection.
    public var libvirtCost: String {
        if let parent {
            return "nothing of its own: libvirt sends these fields with the \(parent.rawValue) part's group;"
                + " off, they are not rendered, and not mapped unless a derived gauge reads them"
        }
        switch self {
        case .interface, .perf, .memory:
            return "bulk group \(bulkGroupName) of virConnectGetAllDomainStats, without the QEMU monitor"
        case .cpu, .balloon, .vcpu, .block, .iothread, .dirtyrate, .kvm:
            return "bulk group \(bulkGroupName) of virDomainListGetStats, through the domain's QEMU monitor"
        case .cpustats: return "virDomainGetCPUStats per running domain (per host CPU and in total)"
        case .jobs:
            return
                "virDomainGetJobStats per running domain (active and completed job), with virDomainMigrateGetMaxDowntime and virDomainGetState during an outgoing migration; every second during a job"
        case .metadata: return "virDomainGetXMLDesc per domain"
        case .pools: return "virConnectListAllStoragePools, then virStoragePoolGetInfo and its XML per pool"
        case .host:
            return "virConnectGetCapabilities once per connection; virNodeGetCPUMap, virNodeGetCellsFreeMemory,"
                + " virNodeGetFreePages and virConnectGetAllDomainStats of the inactive domains per collection"
        case .events: return "one event callback (virConnectDomainEventRegisterAny); no call per collection"
        case .guest:
            return
                "nothing in the exporter: it reads the report file of virt-exporter guest-agent, a process of its own"
                + " that asks each running guest's agent (virDomainGetGuestInfo) on a read-write connection"
        case .inventory: return "six filtered virConnectListAllDomains per collection, whatever the number of domains"
        default: return ""
        }
    }

    /// libvirt's name of the part's bulk stats group.
    private var bulkGroupName: String {
        switch self {
        case .cpu: "cpu-total"
        case .kvm: "vm"
        default: rawValue
        }
    }
}

extension MetricCatalog {
    /// The derived gauges and the metrics each reads, for checks of a selection outside this module.
    public static var derivedGauges: [(metric: String, inputs: [String])] {
        derivedMetrics.map { ($0.descriptor.metric, $0.inputs) }
    }
}
