import CLibvirt
import Synchronization

/// A read-only libvirt connection. This file is the only place that holds libvirt's raw pointers:
/// the connection, stats records, domains and typed parameters are copied into Swift values here
/// and freed here.
///
/// Not `Sendable`: its owner, ``LibvirtStatsSource``, is an actor that runs on one dedicated thread.
final class LibvirtConnection {
    /// Flags of `virConnectGetAllDomainStats`.
    struct StatsFlags: OptionSet {
        let rawValue: UInt32
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT`: skip stats that need a busy domain's job lock.
        static let noWait = StatsFlags(rawValue: VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT.rawValue)
    }

    private let connection: OpaquePointer
    private let closeWatch = CloseWatch()

    /// Opens `uri` read-only (`virConnectOpenReadOnly`), turns on keepalive and watches for the
    /// connection closing.
    init(uri: String) throws(LibvirtError) {
        LibvirtEventLoop.startOnce()
        connection = try Self.call("virConnectOpenReadOnly") { virConnectOpenReadOnly(uri) }
        // Keepalive needs a remote (RPC) connection; local drivers such as test:/// refuse it, harmlessly.
        _ = try? Self.call("virConnectSetKeepAlive") { virConnectSetKeepAlive(connection, 5, 3) }
        let watch = Unmanaged.passRetained(closeWatch).toOpaque()
        let registered = try? Self.call("virConnectRegisterCloseCallback") {
            virConnectRegisterCloseCallback(connection, CloseWatch.onClose, watch, CloseWatch.release)
        }
        if registered == nil { Unmanaged<CloseWatch>.fromOpaque(watch).release() }
    }

    deinit {
        virConnectUnregisterCloseCallback(connection, CloseWatch.onClose)
        virConnectClose(connection)
    }

    /// Whether the connection is still usable: not closed by libvirt and answering keepalive.
    var isAlive: Bool {
        !closeWatch.isClosed && virConnectIsAlive(connection) == 1
    }

    /// The libvirt library's version as `major.minor.micro` (`virGetVersion`).
    static var libraryVersion: String {
        var version: UInt = 0
        guard virGetVersion(&version, nil, nil) == 0 else { return "unknown" }
        return "\(version / 1_000_000).\(version / 1000 % 1000).\(version % 1000)"
    }

    /// Every domain's stats, for every stats group the driver supports, in one
    /// `virConnectGetAllDomainStats` call.
    func allDomainStats(flags: StatsFlags) throws(LibvirtError) -> [DomainStats] {
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let count = try Self.call("virConnectGetAllDomainStats") {
            virConnectGetAllDomainStats(connection, 0, &records, flags.rawValue)
        }
        defer { virDomainStatsRecordListFree(records) }
        guard let records else { return [] }
        return (0..<Int(count)).compactMap { index in
            records[index].map { Self.domainStats(of: $0.pointee) }
        }
    }

    private static func domainStats(of record: virDomainStatsRecord) -> DomainStats {
        let name = virDomainGetName(record.dom).map { String(cString: $0) } ?? ""
        var uuid = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        let hasUUID = virDomainGetUUIDString(record.dom, &uuid) == 0
        let parameters = (0..<Int(record.nparams)).compactMap { index in
            typedParameter(record.params[index])
        }
        return DomainStats(
            name: name,
            uuid: hasUUID ? String(decoding: uuid.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "",
            parameters: parameters
        )
    }

    /// Copies one typed parameter; `nil` for a type this libvirt is newer than.
    private static func typedParameter(_ parameter: virTypedParameter) -> TypedParameter? {
        let field = withUnsafePointer(to: parameter) { String(cString: CLibvirt_typedParameterField($0)) }
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
        return TypedParameter(field: field, value: value)
    }

    /// Runs one libvirt call that signals failure with a negative result, and turns a failure into
    /// a ``LibvirtError`` read on this thread right after the call.
    @discardableResult
    private static func call(_ function: String, _ body: () -> Int32) throws(LibvirtError) -> Int32 {
        virResetLastError()
        let result = body()
        guard result >= 0 else { throw lastError(function) }
        return result
    }

    /// Runs one libvirt call that signals failure with a null pointer; see ``call(_:_:)-(_,()->Int32)``.
    private static func call(_ function: String, _ body: () -> OpaquePointer?) throws(LibvirtError) -> OpaquePointer {
        virResetLastError()
        guard let result = body() else { throw lastError(function) }
        return result
    }

    private static func lastError(_ function: String) -> LibvirtError {
        guard let error = virGetLastError()?.pointee else {
            return LibvirtError(
                function: function, code: .internalError, domain: 0, message: "failed without an error message")
        }
        return LibvirtError(
            function: function,
            code: LibvirtError.Code(rawValue: error.code),
            domain: error.domain,
            message: error.message.map { String(cString: $0) } ?? "no message"
        )
    }
}

/// Remembers that libvirt closed a connection. libvirt calls ``onClose`` on its event-loop thread;
/// the collector reads ``isClosed`` on its own thread, hence the atomic.
private final class CloseWatch: Sendable {
    private let closed = Atomic<Bool>(false)

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// The `virConnectCloseFunc`; `opaque` is a retained `CloseWatch`.
    static let onClose: virConnectCloseFunc = { _, _, opaque in
        guard let opaque else { return }
        Unmanaged<CloseWatch>.fromOpaque(opaque).takeUnretainedValue().closed.store(true, ordering: .releasing)
    }

    /// The `virFreeCallback` that balances the retain made when the callback was registered.
    static let release: virFreeCallback = { opaque in
        guard let opaque else { return }
        Unmanaged<CloseWatch>.fromOpaque(opaque).release()
    }
}
