/// The row for domain events counted as they arrive on libvirt's event loop.
extension MetricCatalog {
    /// `libvirt_domain_events_total`.
    public static let domainEvents = MetricDescriptor(
        metric: "libvirt_domain_events_total", type: .counter,
        help:
            "Domain events since the exporter started, by event (started, stopped, suspended, resumed, crashed, shutdown, pmsuspended, defined, undefined, io_error, watchdog, block_threshold, reboot) and libvirt's detail or action (ioerror, destroyed, pause, …; none where the event has none, unknown for codes newer than the exporter).",
        source: "virConnectDomainEventRegisterAny", labels: ["domain", "event", "detail"])

    static let eventMetrics = [domainEvents]
}
