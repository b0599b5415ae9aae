/// Filters of `virConnectListAllDomains` (`virConnectListAllDomainsFlags`): the listing returns
/// the domains that match every group of filters given. The raw values are libvirt's, pinned
/// against libvirt-domain.h by `CLibvirt.h`'s static assertions.
public struct DomainListFilter: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `VIR_CONNECT_LIST_DOMAINS_ACTIVE`: domains that run.
    public static let active = DomainListFilter(rawValue: 1 << 0)
    /// `VIR_CONNECT_LIST_DOMAINS_PERSISTENT`: domains with a persistent definition.
    public static let persistent = DomainListFilter(rawValue: 1 << 2)
    /// `VIR_CONNECT_LIST_DOMAINS_TRANSIENT`: domains that vanish when they stop.
    public static let transient = DomainListFilter(rawValue: 1 << 3)
    /// `VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE`: domains with a managed save image.
    public static let managedSave = DomainListFilter(rawValue: 1 << 8)
    /// `VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE`: domains without one.
    public static let noManagedSave = DomainListFilter(rawValue: 1 << 9)
    /// `VIR_CONNECT_LIST_DOMAINS_AUTOSTART`: domains libvirtd starts when it starts.
    public static let autostart = DomainListFilter(rawValue: 1 << 10)
    /// `VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART`: domains it does not start.
    public static let noAutostart = DomainListFilter(rawValue: 1 << 11)
}
