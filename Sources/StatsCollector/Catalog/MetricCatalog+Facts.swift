/// Facts about a domain that change rarely, read from its XML description when it may have changed
/// (not every collection), and added to its record under these field names: OpenStack Nova's
/// metadata, and details of its disks and interfaces.
extension MetricCatalog {
    /// Namespaces of Nova's metadata element: `…/nova/1.0`, `…/nova/1.1` and any later 1.x.
    static let novaNamespacePrefix = "http://openstack.org/xmlns/libvirt/nova/1."

    /// Fields of Nova's metadata (`<nova:instance>`), as labels of `libvirt_domain_openstack_info`.
    enum NovaFacts {
        static let prefix = "metadata.nova."
        static let instanceName = prefix + "instance_name"
        static let instanceID = prefix + "instance_id"
        static let flavorName = prefix + "flavor_name"
        static let userName = prefix + "user_name"
        static let userID = prefix + "user_id"
        static let projectName = prefix + "project_name"
        static let projectID = prefix + "project_id"
    }

    /// Fields of the metadata labels the user configured (``MetadataLabel``): `metadata.label.<name>`,
    /// as labels of `libvirt_domain_metadata_info`.
    enum MetadataFacts {
        static let prefix = "metadata.label."
    }

    /// `libvirt_domain_metadata_info`: the configured metadata labels of the domain. Its labels
    /// after `domain` are the configured ones, so they are not in the catalog's label list.
    static let metadataInfo = MetricDescriptor(
        metric: "libvirt_domain_metadata_info", type: .gauge,
        help:
            "Always 1; the domain's metadata labels the config file names (collector.metadata-labels), read from its <metadata> element (absent for domains with none of them).",
        source: MetadataFacts.prefix + "<label>", labels: ["domain"])

    /// Field of the balloon's statistics period in the live XML (`<memballoon><stats period='5'/>`).
    static let memoryStatsPeriodField = "facts.memballoon.stats_period"

    /// `libvirt_domain_memory_stats_period_seconds`: how often the guest's balloon driver is asked
    /// for its memory statistics. The exporter reports it and never sets it (that takes a
    /// read-write connection).
    static let memoryStatsPeriod = field(
        memoryStatsPeriodField, "libvirt_domain_memory_stats_period_seconds", .gauge,
        "Period at which QEMU asks the guest's balloon driver for memory statistics, from the running domain's XML (<memballoon><stats period>); 0 when none is set, and the libvirt_domain_memory_stats_* values then date from the guest's boot. Absent without a balloon device."
    )

    /// Details of a disk (`<disk>`), as labels of `libvirt_domain_block_info`.
    enum DiskFacts {
        /// Label name and field suffix of each detail, after `block.<n>.`.
        static let details = [
            ("disk_type", "disk_type"), ("driver_type", "driver_type"), ("bus", "bus"), ("cache", "cache"),
            ("serial", "serial"), ("source_protocol", "source_protocol"), ("source_name", "source_name"),
        ]
        static let infoLabels = details.map { InfoDescriptor.InfoLabel($0.0, from: "block.<n>." + $0.1) }
    }

    /// Details of an interface (`<interface>`), as labels of `libvirt_domain_interface_info`.
    enum InterfaceFacts {
        /// Label name and field suffix of each detail, after `net.<n>.`.
        static let details = [("mac", "mac"), ("source_bridge", "source_bridge"), ("model", "model"), ("type", "type")]
    }

    /// `libvirt_domain_openstack_info`: OpenStack Nova's view of the domain.
    static let openstackInfo = InfoDescriptor(
        metric: "libvirt_domain_openstack_info",
        help:
            "Always 1; OpenStack Nova's metadata of the domain: instance name and UUID, flavor, and the owning user and project (absent for domains without Nova metadata).",
        labels: [
            .init("instance_name", from: NovaFacts.instanceName), .init("instance_id", from: NovaFacts.instanceID),
            .init("flavor_name", from: NovaFacts.flavorName), .init("user_name", from: NovaFacts.userName),
            .init("user_id", from: NovaFacts.userID), .init("project_name", from: NovaFacts.projectName),
            .init("project_id", from: NovaFacts.projectID),
        ])

    /// `libvirt_domain_interface_info`: an interface's details from the domain XML.
    static let interfaceInfo = InfoDescriptor(
        metric: "libvirt_domain_interface_info",
        help: "Always 1; the interface's MAC address, the bridge it is attached to, its device model and its type.",
        labels: InterfaceFacts.details.map { InfoDescriptor.InfoLabel($0.0, from: "net.<n>." + $0.1) })
}
