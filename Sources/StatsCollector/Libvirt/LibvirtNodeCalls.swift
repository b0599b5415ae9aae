/// The calls about the host itself rather than a domain, part of every ``LibvirtConnection``.
/// None of them touches a domain's QEMU.
public protocol LibvirtNodeCalls: Sendable {
    /// The host's capabilities XML (`virConnectGetCapabilities`): its NUMA cells, their memory,
    /// CPUs and page sizes. libvirt builds it anew on every call, probing the host: read it once
    /// per connection.
    func capabilitiesXML() throws(LibvirtError) -> String

    /// The host's logical CPUs (`virNodeGetCPUMap`): how many exist and how many are online.
    func nodeCPUs() throws(LibvirtError) -> NodeCPUs

    /// The free memory of NUMA cells `0..<cells`, in bytes (`virNodeGetCellsFreeMemory`).
    func cellsFreeMemory(cells: Int) throws(LibvirtError) -> [UInt64]

    /// The free pages of each size in `sizes` (KiB) on NUMA cells `0..<cells`
    /// (`virNodeGetFreePages`): one array per cell, in the order of `sizes`.
    func freePages(sizes: [UInt32], cells: Int) throws(LibvirtError) -> [[UInt64]]

    /// The stats of the domains that do not run, for the stats groups `groups`
    /// (`virConnectGetAllDomainStats` with `VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE`): libvirt
    /// reads them from the domains' definitions, without a QEMU.
    func inactiveDomainStats(groups: UInt32) throws(LibvirtError) -> [DomainStats]
}

/// The host's logical CPUs, as `virNodeGetCPUMap` reports them.
public struct NodeCPUs: Sendable, Equatable {
    /// CPUs that exist (present), online or not.
    public var present: Int
    /// CPUs online.
    public var online: Int

    /// Creates the counts.
    public init(present: Int, online: Int) {
        self.present = present
        self.online = online
    }
}
