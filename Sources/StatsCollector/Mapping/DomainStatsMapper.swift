import PromFormat

/// Turns domain stats records into metric families through ``MetricCatalog``.
///
/// Each typed parameter is looked up by its field pattern (`block.<n>.rd.bytes`); its number is
/// converted to base units and labelled with the domain and, for devices and vCPUs, with the
/// device's name, path or index. A field the catalog does not know is counted, never dropped silently.
struct DomainStatsMapper {
    /// Families built so far, by metric name.
    private(set) var families: [String: MetricFamily] = [:]
    /// Fields seen that no catalog row maps, by pattern, with how often each was seen.
    private(set) var unmappedFields: [String: Int] = [:]

    /// Maps one domain's record.
    mutating func add(_ domain: DomainStats) {
        append(
            MetricCatalog.domainInfo, labels: [Label("domain", domain.name), Label("uuid", domain.uuid)], .unsigned(1))

        let patterns = domain.parameters.map { FieldPattern(field: $0.field) }
        var labelFields: [String: String] = [:]
        for (parameter, pattern) in zip(domain.parameters, patterns)
        where MetricCatalog.labelFieldPatterns.contains(pattern.pattern) {
            labelFields[parameter.field] = parameter.value.stringValue
        }

        for (parameter, pattern) in zip(domain.parameters, patterns) {
            if MetricCatalog.labelFieldPatterns.contains(pattern.pattern) { continue }
            guard let descriptor = MetricCatalog.byFieldPattern[pattern.pattern],
                let value = descriptor.conversion.convert(parameter.value)
            else {
                unmappedFields[pattern.pattern, default: 0] += 1
                continue
            }
            let labels = seriesLabels(domain: domain.name, pattern: pattern, labelFields: labelFields)
            append(descriptor, labels: labels, value)
        }
    }

    /// The labels of one series: the domain, then its device group's labels.
    private func seriesLabels(domain: String, pattern: FieldPattern, labelFields: [String: String]) -> [Label] {
        var labels = [Label("domain", domain)]
        guard let index = pattern.index, let group = DeviceGroup.containing(pattern.pattern) else { return labels }
        for (name, source) in group.labels {
            switch source {
            case .index:
                labels.append(Label(name, String(index)))
            case .field(let fieldPattern):
                let field = fieldPattern.replacing(FieldPattern.indexPlaceholder, with: index)
                labels.append(Label(name, labelFields[field] ?? ""))
            }
        }
        return labels
    }

    private mutating func append(_ descriptor: MetricDescriptor, labels: [Label], _ value: SampleValue) {
        // Catalog label names are constants validated by the catalog's tests, so appending cannot fail.
        try? families[descriptor.metric, default: descriptor.makeFamily()].append(Sample(labels: labels, value: value))
    }
}
