import PromFormat

/// Turns domain stats records into metric families through ``MetricCatalog``.
///
/// Each typed parameter is looked up by its field pattern (`block.<n>.rd.bytes`); its number is
/// converted to base units and labelled with the domain and, for devices and vCPUs, with the
/// device's name, path or index. Text and enum fields become labels of info series. A field the
/// catalog does not know is counted, never dropped silently.
struct DomainStatsMapper {
    /// What the catalog says about each field name, kept by the caller across collections.
    private var plans: FieldPlans
    private let layout: LabelLayout
    /// Families built so far, by metric name.
    private(set) var families: [String: MetricFamily] = [:]
    /// Fields seen that no catalog row maps, by pattern, with how often each was seen.
    private(set) var unmappedFields: [String: Int] = [:]

    /// Creates a mapper that looks fields up in `plans` (take them back with ``finish()``) and
    /// labels series as `layout` says.
    init(plans: FieldPlans = FieldPlans(), layout: LabelLayout = LabelLayout()) {
        self.plans = plans
        self.layout = layout
    }

    /// The field plans, grown by the domains mapped, for the next collection.
    func finish() -> FieldPlans { plans }

    /// Maps one domain's record.
    ///
    /// Of a domain that is not running, only its state, its inventory flags (and the last completed
    /// job that stopped it) are mapped: libvirt's other numbers for it are configuration and image
    /// sizes, and its CPU times are libvirtd's own (seen with libvirt 9.0), so they would mislead.
    mutating func add(_ domain: DomainStats) {
        if plans.selection.renders(MetricCatalog.domainInfo.metric) {
            append(
                MetricCatalog.domainInfo, labels: [Label("domain", domain.name), Label("uuid", domain.uuid)],
                .unsigned(1))
        }
        var parameters = domain.parameters
        if domain.state != nil, !domain.isActive {
            parameters.removeAll {
                !$0.field.hasPrefix("state.") && !$0.field.hasPrefix(MetricCatalog.completedJobPrefix)
                    && !$0.field.hasPrefix(MetricCatalog.InventoryFields.prefix)
            }
        }
        addFields(parameters, ofDomain: domain.name)
    }

    /// Maps `parameters` of the domain `name` on their own, without the domain's info series, into
    /// families of their own: ``families`` and ``unmappedFields`` stay as they are. For one
    /// domain's job fields, which a job update replaces.
    mutating func map(
        _ parameters: [TypedParameter], ofDomain name: String
    ) -> (families: [String: MetricFamily], unmappedFields: [String: Int]) {
        let keptFamilies = families
        let keptUnmapped = unmappedFields
        families = [:]
        unmappedFields = [:]
        addFields(parameters, ofDomain: name)
        defer {
            families = keptFamilies
            unmappedFields = keptUnmapped
        }
        return (families, unmappedFields)
    }

    private mutating func addFields(_ parameters: [TypedParameter], ofDomain name: String) {
        let fieldPlans = plans.plans(for: parameters)
        var labelSources: [String: TypedValue] = [:]
        for (parameter, plan) in zip(parameters, fieldPlans) where plan.isLabelSource {
            labelSources[parameter.field] = parameter.value
        }

        // Every series of one device shares one label array (arrays are copy-on-write); `nil` for
        // a device the selection leaves out.
        var labelsByDevice: [DeviceKey: [Label]?] = [:]
        let domainLabels = [Label("domain", name)]
        // `libvirt_domain_metadata_info`'s labels, in the configured order; the names were checked
        // as label names at start-up.
        var metadataLabels: [Label] = []
        for (parameter, plan) in zip(parameters, fieldPlans) {
            if let label = plan.metadataLabel {
                metadataLabels.append(Label(label, parameter.value.labelText))
            } else if let descriptor = plan.descriptor, let value = descriptor.conversion.convert(parameter.value) {
                var series = domainLabels
                if let group = plan.group {
                    let key = DeviceKey(prefix: group.prefix, indices: plan.pattern.indices)
                    if let cached = labelsByDevice[key] {
                        guard let cached else { continue }
                        series = cached
                    } else {
                        guard plans.selection.admits(group, plan.pattern.indices, labelSources) else {
                            labelsByDevice[key] = .some(nil)
                            continue
                        }
                        series = labels(name, plan.pattern.indices, layout.valueSeriesGroup(group), labelSources)
                        labelsByDevice[key] = series
                    }
                    if Self.isUnnamed(series, group) { continue }
                }
                append(descriptor, labels: series, value)
            } else if !plan.isNonValue {
                unmappedFields[plan.pattern.pattern, default: 0] += 1
            }
        }
        addInfoSeries(domain: name, plans: fieldPlans, labelSources: labelSources)
        if !metadataLabels.isEmpty, plans.selection.renders(MetricCatalog.metadataInfo.metric) {
            append(MetricCatalog.metadataInfo, labels: domainLabels + metadataLabels, .unsigned(1))
        }
    }

    private struct DeviceKey: Hashable {
        let prefix: String
        let indices: [Substring]
    }

    /// One info series per domain (or per device) for which libvirt reported any of its fields.
    private mutating func addInfoSeries(domain: String, plans: [FieldPlan], labelSources: [String: TypedValue]) {
        guard plans.contains(where: { !$0.infoSeries.isEmpty }) else { return }
        var seenIndices = [[[Substring]]](repeating: [], count: MetricCatalog.infoSeries.count)
        for plan in plans {
            for position in plan.infoSeries where !seenIndices[position].contains(plan.pattern.indices) {
                seenIndices[position].append(plan.pattern.indices)
            }
        }
        for (info, seenIndices) in zip(MetricCatalog.infoSeries, seenIndices) {
            for indices in seenIndices {
                if let group = info.group, !self.plans.selection.admits(group, indices, labelSources) { continue }
                var series = labels(domain, indices, info.group, labelSources)
                if let group = info.group, Self.isUnnamed(series, group) { continue }
                for infoLabel in info.infoLabels {
                    let value = FieldPattern.fill(infoLabel.field, with: indices).flatMap { labelSources[$0] }
                    series.append(Label(infoLabel.name, Self.infoText(value, names: infoLabel.names)))
                }
                append(info.descriptor, labels: series, .unsigned(1))
            }
        }
    }

    /// Whether a device's series would lack its name: a group labelled first by a field of the
    /// device (a disk's or interface's target) whose field libvirt left out or sent empty, as for
    /// host-device (SR-IOV) NICs. Such a device gets no series: the empty name would be shared by
    /// every nameless device, and the values of one would pass for another's.
    private static func isUnnamed(_ series: [Label], _ group: DeviceGroup) -> Bool {
        guard case .field = group.labels.first?.source, series.count > 1 else { return false }
        return series[1].value.isEmpty
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
        // Catalog label names are constants validated by the catalog's tests.
        families[descriptor.metric, default: descriptor.makeFamily()].append(
            trusted: Sample(labels: labels, value: value))
    }
}
