/// The bulk stats fields that the per-domain calls stand in for, on drivers whose
/// `virConnectGetAllDomainStats` reports nothing but the state (the test driver, older drivers):
/// the numbers those calls return are named as the bulk call would name them, so that one set of
/// catalog rows maps both. This is the only place besides the rows that spells field names.
extension MetricCatalog {
    /// Fields filled from `virDomainGetInfo`.
    enum InfoFallback {
        static let cpuTime = "cpu.time"
        static let memory = "balloon.current"
        static let maximumMemory = "balloon.maximum"
        static let virtualCPUs = "vcpu.current"
    }

    /// `virDomainMemoryStats` tags, by their number (pinned in `CLibvirt.h`), as the `balloon.*`
    /// fields of the bulk call.
    static let memoryStatFallback: [Int32: String] = [
        0: "balloon.swap_in", 1: "balloon.swap_out", 2: "balloon.major_fault", 3: "balloon.minor_fault",
        4: "balloon.unused", 5: "balloon.available", 7: "balloon.rss", 8: "balloon.usable",
        9: "balloon.last-update", 10: "balloon.disk_caches", 11: "balloon.hugetlb_pgalloc",
        12: "balloon.hugetlb_pgfail",
    ]

    /// Disks from the domain XML and `virDomainBlockStats`, as `block.*` fields.
    enum BlockFallback {
        static let count = "block.count"
        static let name = "block.<n>.name"
        static let path = "block.<n>.path"
        static let counters: [BlockCounter: String] = [
            .readRequests: "block.<n>.rd.reqs", .readBytes: "block.<n>.rd.bytes", .writeRequests: "block.<n>.wr.reqs",
            .writeBytes: "block.<n>.wr.bytes", .errors: "block.<n>.errors",
        ]
    }

    /// Interfaces from the domain XML and `virDomainInterfaceStats`, as `net.*` fields.
    enum InterfaceFallback {
        static let count = "net.count"
        static let name = "net.<n>.name"
        static let counters: [InterfaceCounter: String] = [
            .receivedBytes: "net.<n>.rx.bytes", .receivedPackets: "net.<n>.rx.pkts", .receiveErrors: "net.<n>.rx.errs",
            .receiveDrops: "net.<n>.rx.drop", .transmittedBytes: "net.<n>.tx.bytes",
            .transmittedPackets: "net.<n>.tx.pkts", .transmitErrors: "net.<n>.tx.errs",
            .transmitDrops: "net.<n>.tx.drop",
        ]
    }

    /// Every field pattern above, for the test that checks each is a row or a label source.
    static var fallbackPatterns: [String] {
        [InfoFallback.cpuTime, InfoFallback.memory, InfoFallback.maximumMemory, InfoFallback.virtualCPUs]
            + memoryStatFallback.values + [BlockFallback.count, BlockFallback.name, BlockFallback.path]
            + BlockFallback.counters.values + [InterfaceFallback.count, InterfaceFallback.name]
            + InterfaceFallback.counters.values
    }

    /// `pattern` with its one `<n>` replaced by `index`.
    static func field(_ pattern: String, index: Int) -> String {
        FieldPattern.fill(pattern, with: [Substring(String(index))]) ?? pattern
    }
}
