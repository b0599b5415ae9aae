import PromFormat

/// Turns domain stats records into metric families through ``MetricCatalog``.
///
/// Each typed parameter is looked up by its field pattern (`block.<n>.rd.bytes`); its number is
/// converted to base units and labelled with the domain and, for devices and vCPUs, with the
/// device's name, path or index. Text and enum fields become labels of info series. A field the
/// catalog does not know is counted, never dropped silently.
struct DomainStatsMapper {
    /// Families built so far, by metric name.
    private(set) var families: [String: MetricFamily] = [:]
    /// Fields seen that no catalog row maps, by pattern, with how often each was seen.
    private(set) var unmappedFields: [String: Int] = [:]

    /// Maps one domain's record.
    ///
    /// Of a domain that is not running, only its state (and the last completed job that stopped it)
    /// is mapped: libvirt's other numbers for it are configuration and image sizes, and its CPU
    /// times are libvirtd's own (seen with libvirt 9.0), so they would mislead.
    mutating func add(_ domain: DomainStats) {
        append(
            MetricCatalog.domainInfo, labels: [Label("domain", domain.name), Label("uuid", domain.uuid)], .unsigned(1))
        var domain = domain
        if domain.state != nil, !domain.isActive {
            domain.parameters.removeAll {
                !$0.field.hasPrefix("state.") && !$0.field.hasPrefix(MetricCatalog.completedJobPrefix)
            }
        }

        let patterns = domain.parameters.map { FieldPattern(field: $0.field) }
        var labelSources: [String: TypedValue] = [:]
        for (parameter, pattern) in zip(domain.parameters, patterns)
        where MetricCatalog.labelSourcePatterns.contains(pattern.pattern) {
            labelSources[parameter.field] = parameter.value
        }

        for (parameter, pattern) in zip(domain.parameters, patterns) {
            if let descriptor = MetricCatalog.descriptor(forPattern: pattern.pattern),
                let value = descriptor.conversion.convert(parameter.value)
            {
                let group = DeviceGroup.containing(pattern.pattern)
                append(descriptor, labels: labels(domain.name, pattern.indices, group, labelSources), value)
            } else if !MetricCatalog.nonValuePatterns.contains(pattern.pattern) {
                unmappedFields[pattern.pattern, default: 0] += 1
            }
        }
        addInfoSeries(domain: domain.name, patterns: patterns, labelSources: labelSources)
    }

    /// One info series per domain (or per device) for which libvirt reported any of its fields.
    private mutating func addInfoSeries(domain: String, patterns: [FieldPattern], labelSources: [String: TypedValue]) {
        for info in MetricCatalog.infoSeries {
            let fields = Set(info.infoLabels.map(\.field))
            var seenIndices: [[Substring]] = []
            for pattern in patterns where fields.contains(pattern.pattern) && !seenIndices.contains(pattern.indices) {
                seenIndices.append(pattern.indices)
            }
            for indices in seenIndices {
                var series = labels(domain, indices, info.group, labelSources)
                for infoLabel in info.infoLabels {
                    let value = FieldPattern.fill(infoLabel.field, with: indices).flatMap { labelSources[$0] }
                    series.append(Label(infoLabel.name, Self.infoText(value, names: infoLabel.names)))
                }
                append(info.descriptor, labels: series, .unsigned(1))
            }
        }
    }

    /// An info label's text: the enum name for a known code, else the value's own text.
    private static func infoText(_ value: TypedValue?, names: [Int64: String]?) -> String {
        guard let value else { return "" }
        if let names, let code = value.integerCode, let name = names[code] { return name }
        return value.labelText
    }

    /// The labels of one series: the domain, then its device group's labels.
    private func labels(
        _ domain: String, _ indices: [Substring], _ group: DeviceGroup?, _ labelSources: [String: TypedValue]
    ) -> [Label] {
        var labels = [Label("domain", domain)]
        guard let group else { return labels }
        for (label, value) in zip(group.labels, group.labelValues(indices: indices, fields: labelSources)) {
            labels.append(Label(label.name, value))
        }
        return labels
    }

    private mutating func append(_ descriptor: MetricDescriptor, labels: [Label], _ value: SampleValue) {
        // Catalog label names are constants validated by the catalog's tests, so appending cannot fail.
        try? families[descriptor.metric, default: descriptor.makeFamily()].append(Sample(labels: labels, value: value))
    }
}
