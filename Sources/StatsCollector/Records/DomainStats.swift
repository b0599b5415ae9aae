public import PromFormat

/// One typed parameter of a stats record: libvirt's field name (such as `block.0.rd.bytes`) and its value.
public struct TypedParameter: Sendable, Hashable, Codable {
    /// The field name, as libvirt spells it.
    public var field: String
    /// The value.
    public var value: TypedValue

    /// Creates a parameter.
    public init(field: String, value: TypedValue) {
        self.field = field
        self.value = value
    }

    private enum CodingKeys: String, CodingKey {
        case field, type, value
    }

    /// Decodes the flat fixture form `{"field": "state.state", "type": "int", "value": 1}`.
    public init(from decoder: any Decoder) throws {
        field = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .field)
        value = try TypedValue(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(field, forKey: .field)
        try value.encode(to: encoder)
    }
}

/// Everything one collection learned about one domain, in plain Swift values.
public struct DomainStats: Sendable, Hashable, Codable {
    /// The domain's name (`virDomainGetName`).
    public var name: String
    /// The domain's UUID in its canonical text form (`virDomainGetUUIDString`).
    public var uuid: String
    /// The typed parameters of the domain's `virDomainStatsRecord`, in libvirt's order.
    public var parameters: [TypedParameter]

    /// Creates a domain's stats.
    public init(name: String, uuid: String, parameters: [TypedParameter]) {
        self.name = name
        self.uuid = uuid
        self.parameters = parameters
    }
}

extension DomainStats {
    /// The domain's state code (`state.state`, a `virDomainState`), if reported.
    public var state: Int64? {
        parameters.first { $0.field == "state.state" }?.value.integerCode
    }

    /// Whether the domain has a running QEMU (or other hypervisor) process: running, blocked,
    /// paused, shutting down or suspended by power management (`virDomainState` codes, pinned in
    /// `CLibvirt.h`).
    public var isActive: Bool {
        [1, 2, 3, 4, 7].contains(state)
    }

    /// The domain's name as a table key: byte for byte, as libvirt tells domains apart.
    public var nameKey: ExactText { ExactText(name) }

    /// Whether the record holds nothing but the state group, as on drivers without bulk stats.
    var hasStateOnly: Bool {
        parameters.allSatisfy { $0.field.hasPrefix("state.") }
    }
}

/// The result of one pass over a stats source.
public struct StatsBatch: Sendable {
    /// Every domain the source reported.
    public var domains: [DomainStats]
    /// Failures that cost part of the batch (one domain, one call) but not all of it.
    public var errors: [CollectionError]
    /// Running domains whose stats libvirt could only partly read: their job was held, often by a
    /// call waiting for a QEMU that does not answer. Their missing fields are absent.
    public var incompleteDomains: Set<ExactText>
    /// Whether the hypervisor answers `virDomainGetCPUStats`; `nil` until a running domain showed it.
    public var perCPUStatsAvailable: Bool?
    /// Whether the hypervisor answers `virDomainGetJobStats`; `nil` until a running domain showed it.
    public var jobStatsAvailable: Bool?
    /// The storage pools that answered; `nil` when the source reads none (a fixture).
    public var pools: [StoragePoolStats]?
    /// The host's stats; `nil` when the source reads none (a fixture, or the host part off).
    public var host: HostStats?
    /// The guest agents' report; `nil` when the guest part is off.
    public var guest: GuestReportView?
    /// How each kind of call of the collection went; empty from sources that make no calls.
    public var callTimings: [CallTiming] = []

    /// Creates a batch.
    public init(
        domains: [DomainStats], errors: [CollectionError] = [], incompleteDomains: Set<ExactText> = [],
        perCPUStatsAvailable: Bool? = nil, jobStatsAvailable: Bool? = nil, pools: [StoragePoolStats]? = nil
    ) {
        self.domains = domains
        self.errors = errors
        self.incompleteDomains = incompleteDomains
        self.perCPUStatsAvailable = perCPUStatsAvailable
        self.jobStatsAvailable = jobStatsAvailable
        self.pools = pools
    }
}
