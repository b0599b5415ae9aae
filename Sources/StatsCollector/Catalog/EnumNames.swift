/// Names for libvirt's enum codes, for info-series labels that dashboards can read; the codes are
/// pinned against libvirt's headers in `CLibvirt.h`.
enum EnumNames {
    /// `virDomainJobType`.
    static let jobType: [Int64: String] = [
        0: "none", 1: "bounded", 2: "unbounded", 3: "completed", 4: "failed", 5: "cancelled",
    ]

    /// `virDomainJobOperation`.
    static let jobOperation: [Int64: String] = [
        0: "unknown", 1: "start", 2: "save", 3: "restore", 4: "migration_in", 5: "migration_out", 6: "snapshot",
        7: "snapshot_revert", 8: "dump", 9: "backup", 10: "snapshot_delete",
    ]

    /// Help text listing `names` as `code name` pairs in code order.
    static func legend(_ names: [Int64: String]) -> String {
        names.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}
