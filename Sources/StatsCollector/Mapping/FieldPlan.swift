/// What the catalog says about one field name, worked out once: field names repeat from domain to
/// domain and from collection to collection, so the mapper looks each up in a ``FieldPlans``
/// cache instead of parsing and matching it again. A class, so that handing a plan out costs one
/// reference count, not one for each of its strings and arrays.
final class FieldPlan: Sendable {
    /// The field's pattern and indices.
    let pattern: FieldPattern
    /// The value row, if the field is a value that the selection maps (exported, or read for a
    /// derived gauge).
    let descriptor: MetricDescriptor?
    /// The device group of the field, if it repeats per device.
    let group: DeviceGroup?
    /// Whether the field labels other series.
    let isLabelSource: Bool
    /// Whether the field is never a value (a label source, an error message).
    let isNonValue: Bool
    /// The label a configured metadata label's field sets on `libvirt_domain_metadata_info`.
    let metadataLabel: String?
    /// The positions in ``MetricCatalog/infoSeries`` of the info series the field labels.
    let infoSeries: [Int]

    init(field: String, selection: MetricSelection) {
        pattern = FieldPattern(field: field)
        let row = MetricCatalog.descriptor(forPattern: pattern.pattern)
        let isLeftOut = row.map { selection.use(of: $0.metric) == .dropped } ?? false
        descriptor = isLeftOut ? nil : row
        group = DeviceGroup.containing(pattern.pattern)
        isLabelSource = MetricCatalog.labelSourcePatterns.contains(pattern.pattern)
        metadataLabel =
            field.hasPrefix(MetricCatalog.MetadataFacts.prefix)
            ? String(field.dropFirst(MetricCatalog.MetadataFacts.prefix.count)) : nil
        isNonValue = MetricCatalog.nonValuePatterns.contains(pattern.pattern) || metadataLabel != nil || isLeftOut
        let name = pattern.pattern
        infoSeries = MetricCatalog.infoSeries.indices.filter {
            MetricCatalog.infoSeries[$0].fields.contains(name)
                && selection.selects(MetricCatalog.infoSeries[$0].descriptor.metric)
        }
    }
}

/// A cache of ``FieldPlan``s by field name, kept across collections. Bounded: the names come from
/// libvirt's fixed field list times the devices, vCPUs and host CPUs of the host's domains; should
/// it ever pass ``limit`` names, it starts over.
///
/// The domains of one host mostly report the same fields in the same order: their shape. The
/// plans of the last ``shapeLimit`` shapes are kept as lists too, and a record whose field names
/// equal one of them takes its list: comparing a name costs a fraction of hashing it.
struct FieldPlans: Sendable {
    private var plans: [String: FieldPlan] = [:]
    private var shapes: [(fields: [String], plans: [FieldPlan])] = []
    /// The families and devices mapped.
    let selection: MetricSelection

    /// Plans that map what `selection` selects.
    init(selection: MetricSelection = .everything) {
        self.selection = selection
    }

    /// The most names kept.
    static let limit = 100_000
    /// The most shapes kept.
    static let shapeLimit = 16

    /// The plan of `field`, worked out on first use.
    mutating func plan(for field: String) -> FieldPlan {
        if let plan = plans[field] { return plan }
        if plans.count >= Self.limit {
            plans.removeAll(keepingCapacity: true)
            shapes.removeAll()
        }
        let plan = FieldPlan(field: field, selection: selection)
        plans[field] = plan
        return plan
    }

    /// The plans of the fields of `parameters`, in their order.
    mutating func plans(for parameters: [TypedParameter]) -> [FieldPlan] {
        for (position, shape) in shapes.enumerated()
        where shape.fields.count == parameters.count && zip(shape.fields, parameters).allSatisfy({ $0 == $1.field }) {
            if position > 0 { shapes.swapAt(position, position - 1) }  // the most used move to the front
            return shape.plans
        }
        let fields = parameters.map(\.field)
        let found = fields.map { plan(for: $0) }
        if shapes.count >= Self.shapeLimit { shapes.removeLast() }
        shapes.append((fields, found))
        return found
    }
}
