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

/// The result of one pass over a stats source.
public struct StatsBatch: Sendable {
    /// Every domain the source reported.
    public var domains: [DomainStats]
    /// Failures that cost part of the batch (one domain, one call) but not all of it.
    public var errors: [CollectionError]

    /// Creates a batch.
    public init(domains: [DomainStats], errors: [CollectionError] = []) {
        self.domains = domains
        self.errors = errors
    }
}
