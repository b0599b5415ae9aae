/// The metric types of the Prometheus text exposition format that virt-exporter emits.
public enum MetricType: String, Sendable, Hashable, CaseIterable, Codable {
    /// A value that only goes up, or resets to zero when its source restarts.
    case counter
    /// A value that can go up and down.
    case gauge
    /// A value of unknown kind.
    case untyped
}
