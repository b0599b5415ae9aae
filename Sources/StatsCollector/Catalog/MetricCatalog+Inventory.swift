/// The domain's standing on the host, from the listing's filters (``DomainInventory``): whether it
/// comes back when the host restarts, and whether it is a definition that outlives the process.
extension MetricCatalog {
    /// The fields ``DomainInventory`` adds to each record, 1 or 0.
    enum InventoryFields {
        static let prefix = "inventory."
        static let autostart = prefix + "autostart"
        static let persistent = prefix + "persistent"
        static let managedSave = prefix + "managed_save"
    }

    /// Rows for the inventory fields: 0/1 gauges, not labels of `libvirt_domain_info`, so that a
    /// change keeps the series and its joins.
    static let inventoryRows: [MetricDescriptor] = [
        field(
            InventoryFields.autostart, "libvirt_domain_autostart", .gauge,
            "Whether libvirtd starts the domain when it starts, as after a host reboot (1) or not (0); from virConnectListAllDomains with VIR_CONNECT_LIST_DOMAINS_AUTOSTART and NO_AUTOSTART."
        ),
        field(
            InventoryFields.persistent, "libvirt_domain_persistent", .gauge,
            "Whether the domain has a persistent definition on this host (1) or is transient and vanishes when it stops (0); from virConnectListAllDomains with PERSISTENT and TRANSIENT."
        ),
        field(
            InventoryFields.managedSave, "libvirt_domain_managed_save", .gauge,
            "Whether the domain has a managed save image, from which its next start resumes (1) or not (0); from virConnectListAllDomains with MANAGEDSAVE and NO_MANAGEDSAVE."
        ),
    ]
}
