/// One label of a sample: a validated name and any UTF-8 value.
///
/// Two labels are equal when their names and values are byte for byte, as Prometheus sees them
/// (``ExactText``): values that differ only in Unicode normalization are two series.
public struct Label: Sendable, Hashable {
    /// The label's name; valid per ``MetricName/isValidLabelName(_:)``.
    public let name: String
    /// The label's value; the encoder escapes it.
    public let value: String

    /// Creates a label. The name must be valid; families check it when they are built.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public static func == (lhs: Label, rhs: Label) -> Bool {
        ExactText(lhs.name) == ExactText(rhs.name) && ExactText(lhs.value) == ExactText(rhs.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ExactText(name))
        hasher.combine(ExactText(value))
    }
}

/// One series of a family at one instant: its labels and its value.
public struct Sample: Sendable, Hashable {
    /// The labels, in the order they are printed.
    public var labels: [Label]
    /// The value.
    public var value: SampleValue

    /// Creates a sample.
    public init(labels: [Label], value: SampleValue) {
        self.labels = labels
        self.value = value
    }
}

/// Why a family could not be built.
public enum MetricFamilyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The metric name breaks the format's rules.
    case invalidMetricName(String)
    /// A label name breaks the format's rules.
    case invalidLabelName(metric: String, label: String)

    public var description: String {
        switch self {
        case .invalidMetricName(let name): "invalid metric name \"\(name)\""
        case .invalidLabelName(let metric, let label): "invalid label name \"\(label)\" on metric \(metric)"
        }
    }
}

/// A metric family: a name, its help and type, and its samples.
public struct MetricFamily: Sendable, Hashable {
    /// The metric name.
    public let name: String
    /// One line of help text; the encoder escapes it.
    public let help: String
    /// The metric type.
    public let type: MetricType
    /// The samples. The encoder sorts them, so their order here does not matter.
    public private(set) var samples: [Sample]

    /// Creates a family after checking its metric name and every label name.
    public init(name: String, help: String, type: MetricType, samples: [Sample] = []) throws(MetricFamilyError) {
        guard MetricName.isValidMetricName(name) else { throw .invalidMetricName(name) }
        self.name = name
        self.help = help
        self.type = type
        self.samples = []
        for sample in samples { try append(sample) }
    }

    /// Adds a sample after checking its label names.
    public mutating func append(_ sample: Sample) throws(MetricFamilyError) {
        for label in sample.labels where !MetricName.isValidLabelName(label.name) {
            throw .invalidLabelName(metric: name, label: label.name)
        }
        samples.append(sample)
    }
}

extension MetricFamily {
    /// Adds a sample whose label names are known to be valid (constants checked by tests),
    /// skipping the check that ``append(_:)`` makes for every sample.
    public mutating func append(trusted sample: Sample) {
        samples.append(sample)
    }
}
