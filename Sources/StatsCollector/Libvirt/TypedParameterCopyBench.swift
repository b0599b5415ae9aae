import CLibvirt
import Glibc

/// Typed parameters held in C memory as libvirt hands them out, so that benchmarks can measure
/// the copy into Swift values without C types in the library's API: build one, then time ``copy()``.
public final class TypedParameterCopyBench {
    private var parameters: [virTypedParameter]

    /// Lays `parameters` out as `virTypedParameter`s (strings duplicated into C memory).
    public init(_ parameters: [TypedParameter]) {
        self.parameters = parameters.map { parameter in
            var raw = virTypedParameter()
            withUnsafeMutableBytes(of: &raw.field) { field in
                let name = parameter.field.utf8.prefix(Int(VIR_TYPED_PARAM_FIELD_LENGTH) - 1)
                field.copyBytes(from: name)
                field[name.count] = 0
            }
            switch parameter.value {
            case .int(let value): (raw.type, raw.value.i) = (Int32(VIR_TYPED_PARAM_INT.rawValue), value)
            case .uint(let value): (raw.type, raw.value.ui) = (Int32(VIR_TYPED_PARAM_UINT.rawValue), value)
            case .llong(let value): (raw.type, raw.value.l) = (Int32(VIR_TYPED_PARAM_LLONG.rawValue), value)
            case .ullong(let value): (raw.type, raw.value.ul) = (Int32(VIR_TYPED_PARAM_ULLONG.rawValue), value)
            case .double(let value): (raw.type, raw.value.d) = (Int32(VIR_TYPED_PARAM_DOUBLE.rawValue), value)
            case .boolean(let value): (raw.type, raw.value.b) = (Int32(VIR_TYPED_PARAM_BOOLEAN.rawValue), value ? 1 : 0)
            case .string(let value): (raw.type, raw.value.s) = (Int32(VIR_TYPED_PARAM_STRING.rawValue), strdup(value))
            }
            return raw
        }
    }

    deinit {
        virTypedParamsClear(&parameters, Int32(parameters.count))
    }

    /// How many parameters there are.
    public var count: Int { parameters.count }

    /// Copies the parameters into Swift values, as a stats call does.
    public func copy() -> [TypedParameter] {
        parameters.withUnsafeBufferPointer { TypedParameters.copy($0) }
    }
}
