/// Rows for the host's storage pools (`virConnectListAllStoragePools`, `virStoragePoolGetInfo`),
/// named as in inovex's prometheus-libvirt-exporter, with its `storage_pool` label.
extension MetricCatalog {
    /// `virStoragePoolState` (pinned in `CLibvirt.h`).
    static let storagePoolStates: [Int64: String] = [
        0: "inactive", 1: "building", 2: "running", 3: "degraded", 4: "inaccessible",
    ]

    /// `libvirt_storage_pool_info`.
    public static let storagePoolInfo = MetricDescriptor(
        metric: "libvirt_storage_pool_info", type: .gauge,
        help: "Always 1; labelled with the storage pool's UUID and type (dir, logical, rbd, …; empty if unknown).",
        source: "virStoragePoolGetXMLDesc", labels: ["storage_pool", "uuid", "type"])
    /// `libvirt_storage_pool_state`.
    public static let storagePoolState = MetricDescriptor(
        metric: "libvirt_storage_pool_state", type: .gauge,
        help: "State of the storage pool (virStoragePoolState): \(EnumNames.legend(storagePoolStates)).",
        source: "virStoragePoolGetInfo", labels: ["storage_pool"])
    /// `libvirt_storage_pool_capacity_bytes`.
    public static let storagePoolCapacity = MetricDescriptor(
        metric: "libvirt_storage_pool_capacity_bytes", type: .gauge,
        help: "Logical size of the storage pool; only while it runs (state 2 or 3).",
        source: "virStoragePoolGetInfo", labels: ["storage_pool"])
    /// `libvirt_storage_pool_allocation_bytes`.
    public static let storagePoolAllocation = MetricDescriptor(
        metric: "libvirt_storage_pool_allocation_bytes", type: .gauge,
        help: "Bytes allocated in the storage pool; only while it runs (state 2 or 3).",
        source: "virStoragePoolGetInfo", labels: ["storage_pool"])
    /// `libvirt_storage_pool_available_bytes`.
    public static let storagePoolAvailable = MetricDescriptor(
        metric: "libvirt_storage_pool_available_bytes", type: .gauge,
        help: "Free space left in the storage pool; only while it runs (state 2 or 3).",
        source: "virStoragePoolGetInfo", labels: ["storage_pool"])

    static let poolMetrics = [
        storagePoolInfo, storagePoolState, storagePoolCapacity, storagePoolAllocation, storagePoolAvailable,
    ]
}
