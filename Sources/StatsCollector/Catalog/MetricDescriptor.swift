public import PromFormat

/// One row of the metric catalog: a metric the exporter can emit and where its number comes from.
public struct MetricDescriptor: Sendable, Hashable {
    /// The metric's name, such as `libvirt_domain_block_stats_read_bytes_total`.
    public let metric: String
    /// Counter or gauge.
    public let type: MetricType
    /// The help text.
    public let help: String
    /// Where the number comes from: a libvirt stats field pattern such as `block.<n>.rd.bytes`,
    /// a libvirt API name, or `exporter` for the exporter's own metrics.
    public let source: String
    /// How libvirt's number becomes the exported one.
    public let conversion: UnitConversion
    /// The label names of every series, in order.
    public let labels: [String]

    /// Creates a descriptor.
    public init(
        metric: String, type: MetricType, help: String, source: String,
        conversion: UnitConversion = .none, labels: [String]
    ) {
        self.metric = metric
        self.type = type
        self.help = help
        self.source = source
        self.conversion = conversion
        self.labels = labels
    }

    /// The libvirt API the number comes from, or `exporter`.
    public var api: String {
        if source.hasPrefix(MetricCatalog.cpuStatsPrefix) { return "virDomainGetCPUStats" }
        if source.hasPrefix(MetricCatalog.jobPrefix) { return "virDomainGetJobStats" }
        if source.hasPrefix(MetricCatalog.completedJobPrefix) { return "virDomainGetJobStats(COMPLETED)" }
        if source == MetricCatalog.migrationPrefix + "postcopy" { return "virDomainGetState" }
        if source.hasPrefix(MetricCatalog.migrationPrefix) { return "virDomainMigrateGetMaxDowntime" }
        if source.hasPrefix("metadata.") { return "virDomainGetXMLDesc" }
        if source.contains("(") || source.contains(" ") { return "derived" }
        return source.contains(".") ? "virConnectGetAllDomainStats" : source
    }

    /// Whether this row stands for many metrics, named by rule (`<name>` in its name).
    public var isTemplate: Bool { metric.contains("<") }

    /// An empty family for this metric.
    ///
    /// Catalog names are constants checked by the catalog's tests, so an invalid one is a programming error.
    public func makeFamily() -> MetricFamily {
        do {
            return try MetricFamily(name: metric, help: help, type: type)
        } catch {
            preconditionFailure("metric catalog entry \(metric) is invalid: \(error)")
        }
    }
}
