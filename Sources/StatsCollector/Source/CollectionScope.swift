/// What a collection reads: which parts, and which domains.
public struct CollectionScope: Sendable, Equatable {
    /// The parts switched on.
    public var parts: Set<CollectorPart>
    /// Domains whose whole name matches this regular expression are collected; all when `nil`.
    public var includePattern: String?
    /// Domains whose whole name matches this regular expression are not; none when `nil`.
    public var excludePattern: String?
    /// The labels of `libvirt_domain_metadata_info`, read with the `metadata` part.
    public var metadataLabels: [MetadataLabel]
    /// The family and device patterns (``MetricSelection``).
    public var selection: SelectionPatterns
    /// Whether domains that do not run (defined, shut off) appear at all.
    public var inactiveDomains: Bool

    /// The file `virt-exporter guest-agent` writes its report to, which the guest part reads.
    public var guestReportPath: String = CollectionScope.defaultGuestReportPath

    /// Where the guest agent's systemd unit has it write its report.
    public static let defaultGuestReportPath = "/run/virt-exporter-guest-agent/guest-info.json"

    /// Everything, every domain.
    public static let everything = CollectionScope(parts: Set(CollectorPart.allCases))
    /// The parts on by default, every domain.
    public static let defaults = CollectionScope(parts: Set(CollectorPart.allCases.filter(\.isDefault)))

    /// Creates a scope.
    public init(
        parts: Set<CollectorPart>, includePattern: String? = nil, excludePattern: String? = nil,
        metadataLabels: [MetadataLabel] = [], inactiveDomains: Bool = true,
        selection: SelectionPatterns = SelectionPatterns()
    ) {
        self.parts = parts
        self.includePattern = includePattern
        self.excludePattern = excludePattern
        self.metadataLabels = metadataLabels
        self.selection = selection
        self.inactiveDomains = inactiveDomains
    }

    /// The bulk parts whose groups libvirt gathers without the domain's job, so without entering
    /// its QEMU monitor: in libvirt 9.0's qemu driver (`qemuDomainGetStatsWorkers`, whose `monitor`
    /// flag is false for them) the state, interface, perf and memory groups. A hung QEMU cannot
    /// hold up a call for these alone.
    static let partsWithoutMonitor: Set<CollectorPart> = [.interface, .perf, .memory]

    /// The field-name prefixes of the state group and of ``partsWithoutMonitor``.
    private static let fieldPrefixesWithoutMonitor = ["state.", "net.", "perf.", "memory."]

    /// Whether `field` belongs to a group gathered without the domain's QEMU monitor.
    static func isFieldWithoutMonitor(_ field: String) -> Bool {
        fieldPrefixesWithoutMonitor.contains { field.hasPrefix($0) }
    }

    /// The `stats` argument of the call for every domain (`virConnectGetAllDomainStats`): the
    /// state group and the parts of ``partsWithoutMonitor`` that are on.
    var statsGroupsWithoutMonitor: UInt32 {
        parts.intersection(Self.partsWithoutMonitor).compactMap(\.bulkGroup).reduce(1 << 0, |)
    }

    /// The `stats` argument of the calls for batches of running domains (`virDomainListGetStats`):
    /// 0 (every group the driver has, which also brings groups a newer libvirt adds) when every
    /// bulk part is on, else the other parts that are on; `nil` when none is.
    var statsGroupsWithMonitor: UInt32? {
        let bulkParts = CollectorPart.allCases.filter { $0.bulkGroup != nil }
        if bulkParts.allSatisfy(parts.contains) { return 0 }
        let groups = parts.subtracting(Self.partsWithoutMonitor).compactMap(\.bulkGroup).reduce(0, |)
        return groups == 0 ? nil : groups
    }

    /// The parts whose bulk groups the per-domain fallback stands in for, by field prefix.
    private static let fallbackParts: [(prefix: String, part: CollectorPart)] = [
        ("cpu.", .cpu), ("balloon.", .balloon), ("vcpu.", .vcpu), ("block.", .block), ("net.", .interface),
    ]

    /// Whether a field of the per-domain fallback belongs to a part that is on: for a driver
    /// without bulk stats the fallback reads CPU, memory, disks and interfaces, and only the
    /// parts asked for are kept.
    func admitsFallbackField(_ field: String) -> Bool {
        guard let owner = Self.fallbackParts.first(where: { field.hasPrefix($0.prefix) }) else { return true }
        return parts.contains(owner.part)
    }

    /// The per-domain calls these parts allow.
    var perDomainCalls: PerDomainCalls {
        var calls: PerDomainCalls = []
        // The fallback stands in for bulk groups: only when one of them is asked for.
        if Self.fallbackParts.contains(where: { parts.contains($0.part) }) { calls.insert(.perDomainFallback) }
        if parts.contains(.cpustats) { calls.insert(.cpuStats) }
        if parts.contains(.jobs) { calls.formUnion([.jobStats, .completedJobStats]) }
        if parts.contains(.metadata) { calls.insert(.domainXML) }
        return calls
    }
}

/// Which domains a collection reads, by their whole names.
///
/// The patterns match code point by code point (Unicode scalar semantics), as libvirt and Go's
/// regular expressions see names: with Swift's default (grapheme) semantics, `caf\u{E9}` would
/// also match a domain named `cafe\u{301}`, which libvirt holds as another domain.
struct DomainFilter {
    private let include: Regex<AnyRegexOutput>?
    private let exclude: Regex<AnyRegexOutput>?

    /// Compiles the scope's patterns.
    ///
    /// - Throws: the regular expression's syntax error; the configuration checks patterns at start-up.
    init(_ scope: CollectionScope) throws {
        include = try scope.includePattern.map { try Regex($0).matchingSemantics(.unicodeScalar) }
        exclude = try scope.excludePattern.map { try Regex($0).matchingSemantics(.unicodeScalar) }
    }

    /// Whether the domain called `name` is collected.
    func admits(_ name: String) -> Bool {
        if let include, (try? include.wholeMatch(in: name)) == nil { return false }
        if let exclude, (try? exclude.wholeMatch(in: name)) != nil { return false }
        return true
    }
}
