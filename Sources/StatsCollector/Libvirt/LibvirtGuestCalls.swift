/// The call that reads a guest's own view through the QEMU guest agent, part of every
/// ``LibvirtConnection``. libvirt refuses it on a read-only connection: only the separate
/// `virt-exporter guest-agent` process, on a read-write connection, makes it.
public protocol LibvirtGuestCalls: Sendable {
    /// The guest's host name, operating system and file systems as its agent reports them
    /// (`virDomainGetGuestInfo` with `VIR_DOMAIN_GUEST_INFO_HOSTNAME`, `_OS` and `_FILESYSTEM`),
    /// with libvirt's field names (`hostname`, `os.id`, `fs.<n>.mountpoint`, `fs.<n>.used-bytes`, …).
    func guestInfo(ofDomain name: String) throws(LibvirtError) -> [TypedParameter]

    /// The names of the running domains (`virConnectListAllDomains` with
    /// `VIR_CONNECT_LIST_DOMAINS_ACTIVE`).
    func runningDomainNames() throws(LibvirtError) -> [String]
}
