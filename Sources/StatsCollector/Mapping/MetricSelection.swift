/// Which families and devices a collection exports, below the parts: the families of the parts of
/// groups that are off (``CollectorPart/familyNames``), the `collector.metrics-include` and
/// `-exclude` patterns over family names, and the disks and NICs the device patterns admit.
///
/// It is applied when a field's plan is made (``FieldPlan``), once per field name: a field whose
/// family is left out is neither mapped nor rendered. A derived gauge that stays reads its inputs
/// even when they are left out: they are mapped, derived from and dropped before rendering.
///
/// The patterns apply to the families whose names begin with `libvirt_domain` (the domain
/// families, the compatibility mode's `libvirt_domains_number`) or `libvirt_storage_pool_`;
/// `libvirt_up`, the exporter's own `libvirt_exporter_*` and the host part's `libvirt_node_*` stay. Like the domain patterns,
/// they must match the whole name, code point by code point.
public struct MetricSelection: Sendable {
    /// What becomes of a family's fields.
    enum Use: Equatable {
        /// Mapped and rendered.
        case exported
        /// Mapped for a derived gauge that stays, not rendered.
        case readOnly
        /// Neither mapped nor rendered.
        case dropped
    }

    private let parts: Set<CollectorPart>
    private let include: String?
    private let exclude: String?
    private let blockInclude: String?
    private let blockExclude: String?
    private let interfaceInclude: String?
    private let interfaceExclude: String?
    /// The derived gauges to compute: those selected, and those a selected one reads.
    let derivedMetrics: [DerivedMetric]
    /// Families mapped only because a derived gauge that stays reads them.
    let readOnlyFamilies: Set<String>
    /// Families mapped but not rendered: ``readOnlyFamilies``, and the families made outside the
    /// field plans (the info series of every domain, the compatibility mode's, the health,
    /// event and pool families) that the patterns leave out.
    private let unrendered: Set<String>

    /// Every family of every part, every device.
    public static let everything = MetricSelection(parts: Set(CollectorPart.allCases), patterns: .init())

    /// The selection of `scope`, whose patterns the configuration checked.
    ///
    /// - Parameter derivesMetrics: whether derived gauges are computed at all
    ///   (`--no-collector.rates` turns them off); without them no family is read only for them.
    public init(scope: CollectionScope, derivesMetrics: Bool = true) {
        self.init(parts: scope.parts, patterns: scope.selection, derivesMetrics: derivesMetrics)
    }

    private init(parts: Set<CollectorPart>, patterns: SelectionPatterns, derivesMetrics: Bool = true) {
        self.parts = parts
        let (include, exclude) = (patterns.metricsInclude, patterns.metricsExclude)
        self.include = include
        self.exclude = exclude
        blockInclude = patterns.blockDeviceInclude
        blockExclude = patterns.blockDeviceExclude
        interfaceInclude = patterns.interfaceDeviceInclude
        interfaceExclude = patterns.interfaceDeviceExclude
        var kept: [DerivedMetric] = []
        var read: Set<String> = []
        if derivesMetrics {
            // Later gauges read earlier ones (the ETA reads a transfer rate): walk back.
            for derived in MetricCatalog.derivedMetrics.reversed()
            where read.contains(derived.descriptor.metric)
                || Self.selects(derived.descriptor.metric, parts, include, exclude)
            {
                kept.insert(derived, at: 0)
                read.formUnion(derived.inputs)
                if case .metric(let clock) = derived.clock { read.insert(clock) }
            }
        }
        derivedMetrics = kept
        readOnlyFamilies = read.filter { !Self.selects($0, parts, include, exclude) }
        let outsidePlans =
            [
                MetricCatalog.domainInfo, MetricCatalog.metadataInfo, MetricCatalog.domainStatsComplete,
                MetricCatalog.domainEvents, MetricCatalog.Kumina.stateCode, MetricCatalog.Kumina.domainsNumber,
            ] + MetricCatalog.poolMetrics + MetricCatalog.guestMetrics
        unrendered = readOnlyFamilies.union(
            outsidePlans.map(\.metric).filter { !Self.selects($0, parts, include, exclude) })
    }

    /// Whether the family `name` is exported: the part of a group it belongs to is on, and the
    /// patterns admit it.
    public func selects(_ name: String) -> Bool { Self.selects(name, parts, include, exclude) }

    private static func selects(
        _ name: String, _ parts: Set<CollectorPart>, _ include: String?, _ exclude: String?
    ) -> Bool {
        if let part = CollectorPart.subpart(ofFamily: name), !parts.contains(part) { return false }
        guard name.hasPrefix("libvirt_domain") || name.hasPrefix("libvirt_storage_pool_") else { return true }
        if let include, !wholeMatch(include, name) { return false }
        if let exclude, wholeMatch(exclude, name) { return false }
        return true
    }

    /// What becomes of the fields of the family `name`.
    func use(of name: String) -> Use {
        if selects(name) { return .exported }
        return readOnlyFamilies.contains(name) ? .readOnly : .dropped
    }

    /// Whether a family that was mapped or made stays in the output: it is not read only for a
    /// derived gauge, nor made outside the field plans and left out by the patterns.
    public func renders(_ name: String) -> Bool { !unrendered.contains(name) }

    /// Whether the device patterns admit the device of `group` whose label fields are in
    /// `labelSources` for `indices`: a disk by its target or its source path, a NIC by its target.
    /// A device that matches an include pattern by either is in; one that matches an exclude
    /// pattern by either is out.
    func admits(_ group: DeviceGroup, _ indices: [Substring], _ labelSources: [String: TypedValue]) -> Bool {
        let (includePattern, excludePattern): (String?, String?)
        switch group.prefix {
        case DeviceGroup.block.prefix: (includePattern, excludePattern) = (blockInclude, blockExclude)
        case DeviceGroup.interface.prefix: (includePattern, excludePattern) = (interfaceInclude, interfaceExclude)
        default: return true
        }
        guard includePattern != nil || excludePattern != nil else { return true }
        let names = group.labelFields.compactMap { FieldPattern.fill($0, with: indices) }.compactMap {
            labelSources[$0]?.labelText
        }
        if let includePattern, !names.contains(where: { Self.wholeMatch(includePattern, $0) }) { return false }
        if let excludePattern, names.contains(where: { Self.wholeMatch(excludePattern, $0) }) { return false }
        return true
    }

    /// Whether `pattern` matches the whole of `text`, code point by code point. Patterns are
    /// checked at start-up; this runs once per field name or device, not per sample.
    private static func wholeMatch(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? Regex(pattern).matchingSemantics(.unicodeScalar) else { return false }
        return (try? regex.wholeMatch(in: text)) != nil
    }
}

/// The patterns of a ``MetricSelection``, as the configuration gives them; `nil` for none.
public struct SelectionPatterns: Sendable, Equatable {
    /// `collector.metrics-include`: only families whose whole name matches are exported.
    public var metricsInclude: String?
    /// `collector.metrics-exclude`: no family whose whole name matches is exported.
    public var metricsExclude: String?
    /// `collector.block.device-include`: only disks whose target or path matches are exported.
    public var blockDeviceInclude: String?
    /// `collector.block.device-exclude`: no disk whose target or path matches is exported.
    public var blockDeviceExclude: String?
    /// `collector.interface.device-include`: only NICs whose target matches are exported.
    public var interfaceDeviceInclude: String?
    /// `collector.interface.device-exclude`: no NIC whose target matches is exported.
    public var interfaceDeviceExclude: String?

    /// Creates patterns; none by default.
    public init(
        metricsInclude: String? = nil, metricsExclude: String? = nil, blockDeviceInclude: String? = nil,
        blockDeviceExclude: String? = nil, interfaceDeviceInclude: String? = nil, interfaceDeviceExclude: String? = nil
    ) {
        self.metricsInclude = metricsInclude
        self.metricsExclude = metricsExclude
        self.blockDeviceInclude = blockDeviceInclude
        self.blockDeviceExclude = blockDeviceExclude
        self.interfaceDeviceInclude = interfaceDeviceInclude
        self.interfaceDeviceExclude = interfaceDeviceExclude
    }
}
