import PromFormat

/// Maps KVM's own statistics, which libvirt passes through under open-ended names
/// (`vm.<name>.<kind>` and `vcpu.<n>.<name>.<kind>`), by rule rather than by list:
/// `.sum` becomes a counter, `.cur` and `.max` gauges. A name ending in `_ns` is a time in
/// nanoseconds and is exported in seconds; any other name stays a plain count.
///
/// No two fields may give one metric. The rule appends `_total`, `_max` and `_seconds`, so a
/// statistic whose name (without `_ns`) already ends in one of them could take another's metric
/// (`x.sum` and `x_total.cur` would both be `…_x_total`, `x.max` and `x_max.cur` both `…_x_max`):
/// such a field is left unmapped, counted in `libvirt_exporter_unmapped_fields` like any field the
/// catalog does not know, rather than merged with another. `KVMStatRuleTests` checks the rule
/// over every name of up to three such words.
struct KVMStatRule: Sendable {
    /// `vm.` or `vcpu.<n>.`.
    let prefix: String
    /// The metric name prefix, such as `libvirt_domain_kvm_`.
    let metricPrefix: String
    /// What the statistics are of, for help texts.
    let subject: String

    static let all = [
        KVMStatRule(prefix: "vm.", metricPrefix: "libvirt_domain_kvm_", subject: "the VM"),
        KVMStatRule(prefix: "vcpu.<n>.", metricPrefix: "libvirt_domain_vcpu_kvm_", subject: "the vCPU"),
    ]

    private enum Kind: String, CaseIterable {
        case sum, cur, max
    }

    /// The descriptor for a field with `pattern`, if this rule covers it.
    func descriptor(for pattern: String) -> MetricDescriptor? {
        guard pattern.hasPrefix(prefix) else { return nil }
        let rest = pattern.dropFirst(prefix.count)
        guard let dot = rest.lastIndex(of: "."), let kind = Kind(rawValue: String(rest[rest.index(after: dot)...]))
        else { return nil }
        let name = rest[..<dot]
        guard !name.isEmpty, name.utf8.allSatisfy(Self.isNameByte) else { return nil }
        let stem = name.hasSuffix(Self.nanosecondsSuffix) ? name.dropLast(Self.nanosecondsSuffix.count) : name
        guard !stem.isEmpty, !Self.suffixesTheRuleAdds.contains(where: { stem.hasSuffix($0) }) else { return nil }
        return descriptor(name: String(name), kind: kind, source: pattern)
    }

    /// The end of a statistic's name that says it counts nanoseconds.
    private static let nanosecondsSuffix = "_ns"
    /// What the rule appends to a statistic's name; a name that ends in one is left unmapped.
    private static let suffixesTheRuleAdds = ["_total", "_max", "_seconds"]

    /// Template rows for the catalog's listing, with `<name>` for the KVM statistic's name.
    var templates: [MetricDescriptor] {
        Kind.allCases.flatMap { kind in
            [
                descriptor(name: "<name>", kind: kind, source: "\(prefix)<name>.\(kind.rawValue)"),
                descriptor(name: "<name>_ns", kind: kind, source: "\(prefix)<name>_ns.\(kind.rawValue)"),
            ]
        }
    }

    private func descriptor(name: String, kind: Kind, source: String) -> MetricDescriptor {
        let isNanoseconds = name.hasSuffix(Self.nanosecondsSuffix)
        let stem = metricPrefix + (isNanoseconds ? String(name.dropLast(Self.nanosecondsSuffix.count)) : name)
        let unitSuffix = isNanoseconds ? "_seconds" : ""
        let unit = isNanoseconds ? " in seconds (KVM reports nanoseconds)" : ""
        let (metric, type, help): (String, MetricType, String) =
            switch kind {
            case .sum:
                (stem + unitSuffix + "_total", .counter, "KVM statistic \(name) of \(subject), cumulative\(unit).")
            case .cur: (stem + unitSuffix, .gauge, "KVM statistic \(name) of \(subject), current value\(unit).")
            case .max: (stem + "_max" + unitSuffix, .gauge, "KVM statistic \(name) of \(subject), peak value\(unit).")
            }
        return MetricDescriptor(
            metric: metric, type: type, help: help, source: source,
            conversion: isNanoseconds ? .nanosecondsToSeconds : .none, labels: DeviceGroup.labelNames(for: prefix))
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 95  // a-z, 0-9, _
    }
}
