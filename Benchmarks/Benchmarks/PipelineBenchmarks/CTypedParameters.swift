import CLibvirt
import StatsCollector

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// libvirt's C form of synthetic domain records: one `virTypedParameter` array per domain, as
/// `virConnectGetAllDomainStats` hands them out, with `strdup`ed strings. Freed on deinit.
final class CTypedParameters {
    /// One array per domain.
    let records: [UnsafeMutableBufferPointer<virTypedParameter>]
    /// Parameters over all records.
    let parameterCount: Int

    init(_ domains: [DomainStats]) {
        records = domains.map { domain in
            let buffer = UnsafeMutableBufferPointer<virTypedParameter>.allocate(capacity: domain.parameters.count)
            for (index, parameter) in domain.parameters.enumerated() {
                buffer.initializeElement(at: index, to: Self.cParameter(parameter))
            }
            return buffer
        }
        parameterCount = records.reduce(0) { $0 + $1.count }
    }

    deinit {
        for record in records {
            for parameter in record where UInt32(bitPattern: parameter.type) == VIR_TYPED_PARAM_STRING.rawValue {
                free(parameter.value.s)
            }
            record.deallocate()
        }
    }

    private static func cParameter(_ parameter: TypedParameter) -> virTypedParameter {
        var result = virTypedParameter()
        withUnsafeMutableBytes(of: &result.field) { field in
            let name = Array(parameter.field.utf8.prefix(field.count - 1))
            field.copyBytes(from: name)
            field[name.count] = 0
        }
        let type: virTypedParameterType
        switch parameter.value {
        case .int(let value):
            type = VIR_TYPED_PARAM_INT
            result.value.i = value
        case .uint(let value):
            type = VIR_TYPED_PARAM_UINT
            result.value.ui = value
        case .llong(let value):
            type = VIR_TYPED_PARAM_LLONG
            result.value.l = value
        case .ullong(let value):
            type = VIR_TYPED_PARAM_ULLONG
            result.value.ul = value
        case .double(let value):
            type = VIR_TYPED_PARAM_DOUBLE
            result.value.d = value
        case .boolean(let value):
            type = VIR_TYPED_PARAM_BOOLEAN
            result.value.b = value ? 1 : 0
        case .string(let value):
            type = VIR_TYPED_PARAM_STRING
            result.value.s = strdup(value)
        }
        result.type = Int32(bitPattern: type.rawValue)
        return result
    }
}
