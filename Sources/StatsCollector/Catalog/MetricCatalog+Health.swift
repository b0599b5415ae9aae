/// Rows for the health of collection under faults: partly read domains, stale snapshots, and
/// libvirt calls that overran their deadline.
extension MetricCatalog {
    /// `libvirt_domain_stats_complete`.
    public static let domainStatsComplete = MetricDescriptor(
        metric: "libvirt_domain_stats_complete", type: .gauge,
        help:
            "Whether libvirt returned all of the domain's stats in the last collection (1) or only part, because the domain's job was held, for example by a call waiting for a QEMU that does not answer (0); missing fields are absent.",
        source: "exporter", labels: ["domain"])
    /// `libvirt_exporter_collection_stale`.
    public static let collectionStale = exporter(
        "libvirt_exporter_collection_stale", .gauge,
        "Whether the last collection failed because libvirt did not answer within the call deadline (1): the snapshot then carries no domain series."
    )
    /// `libvirt_exporter_stale_snapshots_total`.
    public static let staleSnapshots = exporter(
        "libvirt_exporter_stale_snapshots_total", .counter,
        "Snapshots published without domain series because libvirt did not answer within the call deadline.")
    /// `libvirt_exporter_stuck_calls_total`.
    public static let stuckCalls = exporter(
        "libvirt_exporter_stuck_calls_total", .counter,
        "libvirt calls that did not answer within their deadline, by call; the exporter went on without them.",
        labels: ["call"])
    /// `libvirt_exporter_unstarted_calls_total`.
    public static let unstartedCalls = exporter(
        "libvirt_exporter_unstarted_calls_total", .counter,
        "libvirt calls not made, by call: every call thread was held, until the call's deadline, by calls that had not returned.",
        labels: ["call"])
    /// `libvirt_exporter_skipped_calls_total`.
    public static let skippedCalls = exporter(
        "libvirt_exporter_skipped_calls_total", .counter,
        "Calls about one domain that a collection did not make, by call and reason: in_flight (an earlier call about it has not returned), backoff (libvirt timed out on it lately), no_thread (every call thread was held by calls that had not returned), domain_incomplete (its stats show it does not answer); the series the call gives are absent meanwhile.",
        labels: ["call", "reason"])
    /// `libvirt_exporter_overdue_calls`.
    public static let overdueCalls = exporter(
        "libvirt_exporter_overdue_calls", .gauge,
        "libvirt calls past their deadline that have not returned yet; each holds one of the call threads.")
    /// `libvirt_exporter_call_threads`.
    public static let callThreads = exporter(
        "libvirt_exporter_call_threads", .gauge, "Threads started for libvirt calls; bounded, and kept for reuse.")

    /// `libvirt_exporter_call_duration_seconds`.
    public static let callDuration = exporter(
        "libvirt_exporter_call_duration_seconds", .gauge,
        "How long each kind of call took in the last collection, from its first call's start to its last call's end: the call for every domain (virConnectGetAllDomainStats), the batches (virDomainListGetStats), the per-domain calls, the storage pools, the host, the inventory's listings, the guest agent report.",
        labels: ["call"])
    /// `libvirt_exporter_call_success`.
    public static let callSuccess = exporter(
        "libvirt_exporter_call_success", .gauge,
        "Whether each kind of call of the last collection went without a failure (1) or not (0); calls not made and calls the hypervisor does not support do not count (libvirt_exporter_skipped_calls_total, libvirt_exporter_collection_errors_total).",
        labels: ["call"])

    static let healthMetrics = [
        collectionStale, staleSnapshots, stuckCalls, unstartedCalls, skippedCalls, overdueCalls, callThreads,
        callDuration, callSuccess,
    ]
}
