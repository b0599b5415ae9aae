import CLibvirt

/// Copies libvirt's typed parameters into Swift values, before libvirt frees them.
enum TypedParameters {
    /// Copies every parameter, skipping empty slots and types newer than this code.
    static func copy(_ parameters: UnsafeBufferPointer<virTypedParameter>) -> [TypedParameter] {
        var result: [TypedParameter] = []
        result.reserveCapacity(parameters.count)
        for parameter in parameters {
            if let copied = copy(parameter) { result.append(copied) }
        }
        return result
    }

    private static func copy(_ parameter: virTypedParameter) -> TypedParameter? {
        let name = withUnsafePointer(to: parameter) { String(cString: CLibvirt_typedParameterField($0)) }
        guard !name.isEmpty else { return nil }
        let value: TypedValue
        switch UInt32(bitPattern: parameter.type) {
        case VIR_TYPED_PARAM_INT.rawValue: value = .int(parameter.value.i)
        case VIR_TYPED_PARAM_UINT.rawValue: value = .uint(parameter.value.ui)
        case VIR_TYPED_PARAM_LLONG.rawValue: value = .llong(parameter.value.l)
        case VIR_TYPED_PARAM_ULLONG.rawValue: value = .ullong(parameter.value.ul)
        case VIR_TYPED_PARAM_DOUBLE.rawValue: value = .double(parameter.value.d)
        case VIR_TYPED_PARAM_BOOLEAN.rawValue: value = .boolean(parameter.value.b != 0)
        case VIR_TYPED_PARAM_STRING.rawValue: value = .string(parameter.value.s.map { String(cString: $0) } ?? "")
        default: return nil
        }
        return TypedParameter(field: name, value: value)
    }
}
