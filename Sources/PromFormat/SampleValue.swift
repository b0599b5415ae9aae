/// A sample's number, kept exact: unsigned libvirt counters beyond 2^53 must not be rounded through a `Double`.
public enum SampleValue: Sendable, Hashable {
    /// A signed integer, printed as digits.
    case signed(Int64)
    /// An unsigned integer, printed as digits.
    case unsigned(UInt64)
    /// A floating-point number, printed as the shortest text that reads back to the same value.
    case double(Double)

    /// The value as a `Double`, for arithmetic; exact below 2^53.
    public var doubleValue: Double {
        switch self {
        case .signed(let value): Double(value)
        case .unsigned(let value): Double(value)
        case .double(let value): value
        }
    }

    /// Appends the value as the text format spells it: digits for integers, `+Inf`, `-Inf` and `NaN`
    /// for the special floats, and the shortest round-trip form otherwise.
    func write(into buffer: inout [UInt8]) {
        switch self {
        case .signed(let value):
            if value < 0 {
                buffer.append(UInt8(ascii: "-"))
                Self.writeDigits(value.magnitude, into: &buffer)
            } else {
                Self.writeDigits(UInt64(value), into: &buffer)
            }
        case .unsigned(let value):
            Self.writeDigits(value, into: &buffer)
        case .double(let value):
            Self.writeDouble(value, into: &buffer)
        }
    }

    private static func writeDouble(_ value: Double, into buffer: inout [UInt8]) {
        if value.isNaN {
            buffer.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            buffer.append(contentsOf: (value < 0 ? "-Inf" : "+Inf").utf8)
        } else if value == value.rounded(), value.magnitude < 1e15 {
            // Integral values print without Swift's trailing ".0"; 1e15 keeps them well inside exact range.
            writeDouble(integral: value, into: &buffer)
        } else {
            buffer.append(contentsOf: value.description.utf8)
        }
    }

    private static func writeDouble(integral value: Double, into buffer: inout [UInt8]) {
        if value < 0 || (value == 0 && value.sign == .minus) {
            buffer.append(UInt8(ascii: "-"))
        }
        writeDigits(UInt64(value.magnitude), into: &buffer)
    }

    private static func writeDigits(_ value: UInt64, into buffer: inout [UInt8]) {
        guard value >= 10 else {
            buffer.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        // 20 digits at most for UInt64; build them backwards in a small stack buffer.
        withUnsafeMutableBytes(of: &digits) { scratch in
            var remaining = value
            var index = scratch.count
            while remaining > 0 {
                index -= 1
                scratch[index] = UInt8(ascii: "0") &+ UInt8(remaining % 10)
                remaining /= 10
            }
            buffer.append(contentsOf: scratch[index...])
        }
    }
}
