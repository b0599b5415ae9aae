/// One value of a libvirt typed parameter (`virTypedParameter`), copied out of C memory.
public enum TypedValue: Sendable, Hashable {
    /// `VIR_TYPED_PARAM_INT`
    case int(Int32)
    /// `VIR_TYPED_PARAM_UINT`
    case uint(UInt32)
    /// `VIR_TYPED_PARAM_LLONG`
    case llong(Int64)
    /// `VIR_TYPED_PARAM_ULLONG`
    case ullong(UInt64)
    /// `VIR_TYPED_PARAM_DOUBLE`
    case double(Double)
    /// `VIR_TYPED_PARAM_BOOLEAN`
    case boolean(Bool)
    /// `VIR_TYPED_PARAM_STRING`
    case string(String)

    /// The value's text, for the string parameters that become labels; `nil` for numbers.
    public var stringValue: String? {
        if case .string(let text) = self { text } else { nil }
    }

    /// The value as a label value: strings as they are, integers in decimal, booleans as 0 or 1.
    public var labelText: String {
        switch self {
        case .int(let value): String(value)
        case .uint(let value): String(value)
        case .llong(let value): String(value)
        case .ullong(let value): String(value)
        case .double(let value): String(value)
        case .boolean(let value): value ? "1" : "0"
        case .string(let value): value
        }
    }

    /// The value as an integer code, for enum fields; `nil` for strings and fractions.
    public var integerCode: Int64? {
        switch self {
        case .int(let value): Int64(value)
        case .uint(let value): Int64(value)
        case .llong(let value): value
        case .ullong(let value): Int64(exactly: value)
        case .double(let value): Int64(exactly: value)
        case .boolean(let value): value ? 1 : 0
        case .string: nil
        }
    }
}

extension TypedValue: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, value
    }

    private enum Kind: String, Codable {
        case int, uint, llong, ullong, double, boolean, string
    }

    /// Decodes `{"type": "ullong", "value": 123}`, the fixture form written by `virt-exporter dump-stats`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .type) {
        case .int: self = .int(try container.decode(Int32.self, forKey: .value))
        case .uint: self = .uint(try container.decode(UInt32.self, forKey: .value))
        case .llong: self = .llong(try container.decode(Int64.self, forKey: .value))
        case .ullong: self = .ullong(try container.decode(UInt64.self, forKey: .value))
        case .double: self = .double(try container.decode(Double.self, forKey: .value))
        case .boolean: self = .boolean(try container.decode(Bool.self, forKey: .value))
        case .string: self = .string(try container.decode(String.self, forKey: .value))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .int(let value):
            try container.encode(Kind.int, forKey: .type)
            try container.encode(value, forKey: .value)
        case .uint(let value):
            try container.encode(Kind.uint, forKey: .type)
            try container.encode(value, forKey: .value)
        case .llong(let value):
            try container.encode(Kind.llong, forKey: .type)
            try container.encode(value, forKey: .value)
        case .ullong(let value):
            try container.encode(Kind.ullong, forKey: .type)
            try container.encode(value, forKey: .value)
        case .double(let value):
            try container.encode(Kind.double, forKey: .type)
            try container.encode(value, forKey: .value)
        case .boolean(let value):
            try container.encode(Kind.boolean, forKey: .type)
            try container.encode(value, forKey: .value)
        case .string(let value):
            try container.encode(Kind.string, forKey: .type)
            try container.encode(value, forKey: .value)
        }
    }
}
