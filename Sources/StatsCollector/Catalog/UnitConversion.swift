public import PromFormat

/// How a libvirt number becomes an exported one: libvirt reports times in nanoseconds or
/// milliseconds and memory in KiB; the exporter reports seconds and bytes.
public enum UnitConversion: String, Sendable, Hashable, CaseIterable {
    /// The number is exported as libvirt reports it.
    case none
    /// KiB to bytes: × 1024.
    case kibibytesToBytes
    /// Nanoseconds to seconds: ÷ 10⁹.
    case nanosecondsToSeconds
    /// Milliseconds to seconds: ÷ 10³.
    case millisecondsToSeconds
    /// MiB/s to bytes/s: × 2²⁰.
    case mebibytesToBytes
    /// A percentage to a ratio: ÷ 100.
    case percentToRatio

    /// The factor from libvirt's number to the exported one.
    public var scale: Double {
        switch self {
        case .none: 1
        case .kibibytesToBytes: 1024
        case .nanosecondsToSeconds: 1e-9
        case .millisecondsToSeconds: 1e-3
        case .mebibytesToBytes: 1_048_576
        case .percentToRatio: 1e-2
        }
    }

    /// Converts `value`. Integers stay exact where the result is an integer; booleans become 0 or 1;
    /// strings are never values, so they give `nil`.
    public func convert(_ value: TypedValue) -> SampleValue? {
        let number: SampleValue
        switch value {
        case .int(let integer): number = .signed(Int64(integer))
        case .uint(let integer): number = .unsigned(UInt64(integer))
        case .llong(let integer): number = .signed(integer)
        case .ullong(let integer): number = .unsigned(integer)
        case .double(let real): number = .double(real)
        case .boolean(let flag): number = .unsigned(flag ? 1 : 0)
        case .string: return nil
        }
        return convert(number)
    }

    private func convert(_ number: SampleValue) -> SampleValue {
        switch self {
        case .none:
            return number
        case .kibibytesToBytes:
            return multiply(number, by: 1024)
        case .mebibytesToBytes:
            return multiply(number, by: 1_048_576)
        case .nanosecondsToSeconds:
            // Division by the exact power of ten rounds once; multiplying by 1e-9 would round twice.
            return .double(number.doubleValue / 1e9)
        case .millisecondsToSeconds:
            return .double(number.doubleValue / 1e3)
        case .percentToRatio:
            return .double(number.doubleValue / 1e2)
        }
    }

    /// `number × factor`, exact while the product fits the integer type.
    private func multiply(_ number: SampleValue, by factor: Int64) -> SampleValue {
        switch number {
        case .unsigned(let value) where !value.multipliedReportingOverflow(by: UInt64(factor)).overflow:
            .unsigned(value * UInt64(factor))
        case .signed(let value) where !value.multipliedReportingOverflow(by: factor).overflow:
            .signed(value * factor)
        default:
            .double(number.doubleValue * Double(factor))
        }
    }
}
