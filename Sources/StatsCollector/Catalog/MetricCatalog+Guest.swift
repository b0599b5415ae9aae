/// Rows for the guest part: what the domains' QEMU guest agents report, read by the separate
/// `virt-exporter guest-agent` process and handed over in its report file. Guest identity goes
/// on the info series only, never on data series.
extension MetricCatalog {
    /// `libvirt_domain_guest_agent_answered`.
    public static let guestAgentAnswered = MetricDescriptor(
        metric: "libvirt_domain_guest_agent_answered", type: .gauge,
        help:
            "Whether the domain's guest agent answered the last pass of virt-exporter guest-agent (1) or not (0: no agent channel, no agent running, or no answer in time).",
        source: "virDomainGetGuestInfo", labels: ["domain"])
    /// `libvirt_domain_guest_info`.
    public static let guestInfo = MetricDescriptor(
        metric: "libvirt_domain_guest_info", type: .gauge,
        help: "Always 1; labelled with what the guest agent says of the guest: host name, OS id and version, kernel.",
        source: "virDomainGetGuestInfo", labels: ["domain", "hostname", "os_id", "os_version_id", "kernel_release"])
    /// `libvirt_domain_guest_filesystem_size_bytes`.
    public static let guestFilesystemSize = MetricDescriptor(
        metric: "libvirt_domain_guest_filesystem_size_bytes", type: .gauge,
        help: "Size of a file system mounted in the guest, as its agent reports it (fs.<n>.total-bytes).",
        source: "fs.<n>.total-bytes", labels: ["domain", "mountpoint", "fstype"])
    /// `libvirt_domain_guest_filesystem_used_bytes`.
    public static let guestFilesystemUsed = MetricDescriptor(
        metric: "libvirt_domain_guest_filesystem_used_bytes", type: .gauge,
        help: "Bytes used on a file system mounted in the guest, as its agent reports it (fs.<n>.used-bytes).",
        source: "fs.<n>.used-bytes", labels: ["domain", "mountpoint", "fstype"])
    /// `libvirt_exporter_guest_report_age_seconds`.
    public static let guestReportAge = MetricDescriptor(
        metric: "libvirt_exporter_guest_report_age_seconds", type: .gauge,
        help:
            "How old the guest agent's report is; past three of its intervals it is stale and its domain series are left out.",
        source: "exporter", labels: [])

    static let guestMetrics = [guestAgentAnswered, guestInfo, guestFilesystemSize, guestFilesystemUsed, guestReportAge]
}
