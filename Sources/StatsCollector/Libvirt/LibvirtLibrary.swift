import CLibvirt
import Glibc
import PromFormat
import Synchronization

/// ``LibvirtAPI`` on the real libvirt C library. The files of this folder are the only ones that
/// import libvirt's C API: they hold every raw pointer, copy what libvirt returns into Swift
/// values, and free libvirt's memory before each method returns.
public struct LibvirtLibrary: LibvirtAPI {
    /// Creates the library's entry point; libvirt's event loop starts on first use.
    public init() {}

    public var libraryVersion: String {
        var version: UInt = 0
        guard virGetVersion(&version, nil, nil) == 0 else { return "unknown" }
        return "\(version / 1_000_000).\(version / 1000 % 1000).\(version % 1000)"
    }

    public func openReadOnly(uri: String) throws(LibvirtError) -> any LibvirtConnection {
        _ = Self.eventLoop
        return try Connection(uri: uri)
    }

    /// libvirt's default event loop on a thread of its own, for keepalive, the close callback and
    /// domain events. libvirt allows it to be registered once per process, before the first
    /// connection; this lazy global does that once.
    private static let eventLoop: Bool = {
        CLibvirt_silenceErrorPrinting()
        guard virEventRegisterDefaultImpl() == 0 else { return false }
        OSThread.spawn(name: "libvirt-events") {
            while virEventRunDefaultImpl() == 0 {}
        }
        return true
    }()
}

extension LibvirtLibrary {
    /// An open read-only connection (`virConnectPtr`) and the domain handles of its last bulk call.
    ///
    /// `@unchecked Sendable` is safe: libvirt's connection and domain objects may be used from
    /// several threads at once (libvirt is thread-safe since 0.6); the mutable Swift state is behind
    /// a `Mutex`; and the connection is closed only in `deinit`, when no call can be running,
    /// since every call holds a reference to this object.
    final class Connection: LibvirtConnection, @unchecked Sendable {
        /// The `virConnectPtr`; the calls of other files of this folder use it too.
        let connection: OpaquePointer
        private let closeWatch = CloseWatch()
        private let domains = Mutex<[ExactText: DomainHandle]>([:])
        private let pools = Mutex<[ExactText: PoolHandle]>([:])
        private let eventCallbacks = Mutex<[Int32]>([])
        /// The event IDs registered or refused for good on this connection, and the sink they share.
        private let registering = Mutex<(settled: Set<Int32>, sink: EventSink?)>(([], nil))

        init(uri: String) throws(LibvirtError) {
            connection = try call("virConnectOpenReadOnly") { virConnectOpenReadOnly(uri) }
            // Keepalive needs a remote (RPC) connection; local drivers such as test:/// refuse it, harmlessly.
            _ = try? call("virConnectSetKeepAlive") { virConnectSetKeepAlive(connection, 5, 3) }
            // Passed unretained, without a free callback: drivers that do not keep close callbacks
            // still answer success, and would never release a retain. `deinit` unregisters it
            // before `closeWatch` goes, and libvirt holds its lock while calling it.
            let watch = Unmanaged.passUnretained(closeWatch).toOpaque()
            _ = try? call("virConnectRegisterCloseCallback") {
                virConnectRegisterCloseCallback(connection, CloseWatch.onClose, watch, nil)
            }
        }

        deinit {
            for id in eventCallbacks.withLock({ $0 }) { virConnectDomainEventDeregisterAny(connection, id) }
            virConnectUnregisterCloseCallback(connection, CloseWatch.onClose)
            domains.withLock { $0 = [:] }
            pools.withLock { $0 = [:] }
            virConnectClose(connection)
        }

        var isAlive: Bool {
            !closeWatch.isClosed && virConnectIsAlive(connection) == 1
        }

        func allDomainStats(groups: UInt32, noWait: Bool) throws(LibvirtError) -> [DomainStats] {
            var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
            let flags = noWait ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT.rawValue : 0
            let count = try call("virConnectGetAllDomainStats") {
                virConnectGetAllDomainStats(connection, groups, &records, flags)
            }
            defer { virDomainStatsRecordListFree(records) }
            guard let records else { return [] }
            var handles: [ExactText: DomainHandle] = [:]
            let result = (0..<Int(count)).compactMap { index in
                records[index].map { record in
                    let stats = DomainStats(
                        name: name(of: record.pointee.dom), uuid: uuid(of: record.pointee.dom),
                        parameters: TypedParameters.copy(
                            UnsafeBufferPointer(start: record.pointee.params, count: Int(record.pointee.nparams))))
                    handles[ExactText(stats.name)] = DomainHandle(retaining: record.pointee.dom)
                    return stats
                }
            }
            domains.withLock { $0 = handles }
            return result
        }

        func domainStats(of names: [String], groups: UInt32, noWait: Bool) throws(LibvirtError) -> [DomainStats] {
            var handles: [ExactText: DomainHandle] = [:]
            for name in names where handles[ExactText(name)] == nil {
                handles[ExactText(name)] = try handle(of: name)
            }
            // Only this call's handles are kept: a connection that serves batches holds no handle
            // of a domain that is gone.
            domains.withLock { $0 = handles }
            var pointers: [OpaquePointer?] = names.map { handles[ExactText($0)]?.pointer } + [nil]
            var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
            let flags = noWait ? VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT.rawValue : 0
            let count = try call("virDomainListGetStats") {
                pointers.withUnsafeMutableBufferPointer {
                    virDomainListGetStats($0.baseAddress, groups, &records, flags)
                }
            }
            defer { virDomainStatsRecordListFree(records) }
            guard let records else { return [] }
            return (0..<Int(count)).compactMap { index in
                records[index].map { record in
                    DomainStats(
                        name: name(of: record.pointee.dom), uuid: uuid(of: record.pointee.dom),
                        parameters: TypedParameters.copy(
                            UnsafeBufferPointer(start: record.pointee.params, count: Int(record.pointee.nparams))))
                }
            }
        }

        func domainNames(filter: DomainListFilter) throws(LibvirtError) -> [String] {
            var list: UnsafeMutablePointer<OpaquePointer?>?
            let count = try call("virConnectListAllDomains") {
                virConnectListAllDomains(connection, &list, filter.rawValue)
            }
            defer { free(list) }
            guard let list else { return [] }
            return (0..<Int(count)).compactMap { index in
                guard let pointer = list[index] else { return nil }
                defer { virDomainFree(pointer) }
                return name(of: pointer)
            }
        }

        func controlInfo(ofDomain name: String) throws(LibvirtError) -> DomainControlInfo {
            var info = virDomainControlInfo()
            _ = try withDomain(name) { domain throws(LibvirtError) in
                try call("virDomainGetControlInfo") { virDomainGetControlInfo(domain, &info, 0) }
            }
            let state: DomainControlInfo.State =
                switch Int32(bitPattern: info.state) {
                case Int32(VIR_DOMAIN_CONTROL_OK.rawValue): .ok
                case Int32(VIR_DOMAIN_CONTROL_JOB.rawValue): .job
                case Int32(VIR_DOMAIN_CONTROL_OCCUPIED.rawValue): .occupied
                case Int32(VIR_DOMAIN_CONTROL_ERROR.rawValue): .error
                case let other: .other(other)
                }
            return DomainControlInfo(state: state, stateTime: .milliseconds(Int64(info.stateTime)))
        }

        func isActive(domain name: String) throws(LibvirtError) -> Bool {
            try withDomain(name) { domain throws(LibvirtError) in
                try call("virDomainIsActive") { virDomainIsActive(domain) } == 1
            }
        }

        /// libvirt's remote protocol answers at most this many host CPUs per `virDomainGetCPUStats` call.
        private static let cpuStatsBatch: Int32 = 128

        func cpuStats(ofDomain name: String) throws(LibvirtError) -> CPUStats {
            let function = "virDomainGetCPUStats"
            return try withDomain(name) { domain throws(LibvirtError) in
                let hostCPUs = try call(function) { virDomainGetCPUStats(domain, nil, 0, 0, 0, 0) }
                let perCPU = try call(function) { virDomainGetCPUStats(domain, nil, 0, 0, 1, 0) }
                var result = CPUStats(perCPU: [], total: [])
                var start: Int32 = 0
                while perCPU > 0, start < hostCPUs {
                    let count = min(Self.cpuStatsBatch, hostCPUs - start)
                    var parameters = [virTypedParameter](repeating: virTypedParameter(), count: Int(perCPU * count))
                    defer { virTypedParamsClear(&parameters, Int32(parameters.count)) }
                    try call(function) {
                        virDomainGetCPUStats(domain, &parameters, UInt32(perCPU), start, UInt32(count), 0)
                    }
                    parameters.withUnsafeBufferPointer { buffer in
                        for cpu in 0..<Int(count) {
                            result.perCPU.append(
                                TypedParameters.copy(
                                    UnsafeBufferPointer(rebasing: buffer[(cpu * Int(perCPU))...].prefix(Int(perCPU)))))
                        }
                    }
                    start += count
                }
                let totals = try call(function) { virDomainGetCPUStats(domain, nil, 0, -1, 1, 0) }
                var parameters = [virTypedParameter](repeating: virTypedParameter(), count: Int(totals))
                defer { virTypedParamsClear(&parameters, Int32(parameters.count)) }
                if totals > 0 {
                    try call(function) { virDomainGetCPUStats(domain, &parameters, UInt32(totals), -1, 1, 0) }
                }
                result.total = parameters.withUnsafeBufferPointer { TypedParameters.copy($0) }
                return result
            }
        }

        func jobStats(ofDomain name: String, completed: Bool) throws(LibvirtError) -> JobStats {
            let flags =
                completed ? VIR_DOMAIN_JOB_STATS_COMPLETED.rawValue | VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED.rawValue : 0
            return try withDomain(name) { domain throws(LibvirtError) in
                var type: Int32 = 0
                var parameters: virTypedParameterPtr?
                var count: Int32 = 0
                try call(completed ? "virDomainGetJobStats(COMPLETED)" : "virDomainGetJobStats") {
                    virDomainGetJobStats(domain, &type, &parameters, &count, flags)
                }
                defer { virTypedParamsFree(parameters, count) }
                return JobStats(
                    type: type,
                    parameters: TypedParameters.copy(UnsafeBufferPointer(start: parameters, count: Int(count))))
            }
        }

        func maxDowntime(ofDomain name: String) throws(LibvirtError) -> UInt64 {
            try withDomain(name) { domain throws(LibvirtError) in
                var milliseconds: UInt64 = 0
                try call("virDomainMigrateGetMaxDowntime") { virDomainMigrateGetMaxDowntime(domain, &milliseconds, 0) }
                return milliseconds
            }
        }

        func info(ofDomain name: String) throws(LibvirtError) -> DomainInfo {
            try withDomain(name) { domain throws(LibvirtError) in
                var info = virDomainInfo()
                try call("virDomainGetInfo") { virDomainGetInfo(domain, &info) }
                return DomainInfo(
                    maximumMemory: UInt64(info.maxMem), memory: UInt64(info.memory),
                    virtualCPUs: UInt32(info.nrVirtCpu), cpuTime: UInt64(info.cpuTime))
            }
        }

        func memoryStats(ofDomain name: String) throws(LibvirtError) -> [Int32: UInt64] {
            try withDomain(name) { domain throws(LibvirtError) in
                var stats = [virDomainMemoryStatStruct](
                    repeating: virDomainMemoryStatStruct(), count: Int(VIR_DOMAIN_MEMORY_STAT_NR.rawValue))
                let count = try call("virDomainMemoryStats") {
                    virDomainMemoryStats(domain, &stats, UInt32(stats.count), 0)
                }
                return Dictionary(
                    stats.prefix(Int(count)).map { ($0.tag, UInt64($0.val)) }, uniquingKeysWith: { first, _ in first })
            }
        }

        func xmlDescription(ofDomain name: String) throws(LibvirtError) -> String {
            try withDomain(name) { domain throws(LibvirtError) in
                let xml = try call("virDomainGetXMLDesc") { virDomainGetXMLDesc(domain, 0) }
                defer { free(xml) }
                return String(cString: xml)
            }
        }

        func blockStats(ofDomain name: String, disk: String) throws(LibvirtError) -> [BlockCounter: UInt64] {
            try withDomain(name) { domain throws(LibvirtError) in
                var stats = virDomainBlockStatsStruct()
                try call("virDomainBlockStats") {
                    virDomainBlockStats(domain, disk, &stats, MemoryLayout<virDomainBlockStatsStruct>.size)
                }
                return known([
                    .readRequests: stats.rd_req, .readBytes: stats.rd_bytes, .writeRequests: stats.wr_req,
                    .writeBytes: stats.wr_bytes, .errors: stats.errs,
                ])
            }
        }

        func interfaceStats(ofDomain name: String, interface: String) throws(LibvirtError)
            -> [InterfaceCounter: UInt64]
        {
            try withDomain(name) { domain throws(LibvirtError) in
                var stats = virDomainInterfaceStatsStruct()
                try call("virDomainInterfaceStats") {
                    virDomainInterfaceStats(domain, interface, &stats, MemoryLayout<virDomainInterfaceStatsStruct>.size)
                }
                return known([
                    .receivedBytes: stats.rx_bytes, .receivedPackets: stats.rx_packets,
                    .receiveErrors: stats.rx_errs, .receiveDrops: stats.rx_drop, .transmittedBytes: stats.tx_bytes,
                    .transmittedPackets: stats.tx_packets, .transmitErrors: stats.tx_errs,
                    .transmitDrops: stats.tx_drop,
                ])
            }
        }

        func watchDomainEvents(_ handler: @escaping @Sendable (DomainEvent) -> Void) throws(LibvirtError)
            -> [LibvirtError]
        {
            // One registration at a time on this connection, so that no event ID is registered twice.
            try registering.withLock {
                (events: inout (settled: Set<Int32>, sink: EventSink?)) throws(LibvirtError) -> [LibvirtError] in
                let sink = events.sink ?? EventSink(handler)
                events.sink = sink
                var firstRefusal: LibvirtError?
                var unsupported: [LibvirtError] = []
                for (event, callback) in EventSink.registrations where !events.settled.contains(event) {
                    // Each registration holds one retain; libvirt releases it through EventSink.release
                    // when the callback is deregistered or the connection closes.
                    let opaque = Unmanaged.passRetained(sink).toOpaque()
                    do throws(LibvirtError) {
                        let id = try call("virConnectDomainEventRegisterAny") {
                            virConnectDomainEventRegisterAny(
                                connection, nil, event, callback, opaque, EventSink.release)
                        }
                        eventCallbacks.withLock { $0.append(id) }
                        events.settled.insert(event)
                    } catch {
                        Unmanaged<EventSink>.fromOpaque(opaque).release()
                        if Self.unsupportedEventCodes.contains(error.code) {
                            events.settled.insert(event)
                            unsupported.append(error)
                        } else {
                            firstRefusal = firstRefusal ?? error
                        }
                    }
                }
                if let firstRefusal { throw firstRefusal }
                return unsupported
            }
        }

        /// Codes with which a daemon refuses an event ID it does not know or support: final.
        private static let unsupportedEventCodes: Set<LibvirtError.Code> = [
            .noSupport, .argumentUnsupported, .invalidArgument,
        ]

        func storagePools() throws(LibvirtError) -> [StoragePoolIdentity] {
            var list: UnsafeMutablePointer<OpaquePointer?>?
            let count = try call("virConnectListAllStoragePools") {
                virConnectListAllStoragePools(connection, &list, 0)
            }
            defer { free(list) }
            guard let list else { return [] }
            var handles: [ExactText: PoolHandle] = [:]
            var result: [StoragePoolIdentity] = []
            for index in 0..<Int(count) {
                guard let pointer = list[index] else { continue }
                let handle = PoolHandle(adopting: pointer)
                let name = virStoragePoolGetName(pointer).map { String(cString: $0) } ?? ""
                var uuid = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
                let uuidText =
                    virStoragePoolGetUUIDString(pointer, &uuid) == 0
                    ? String(decoding: uuid.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
                handles[ExactText(name)] = handle
                result.append(StoragePoolIdentity(name: name, uuid: uuidText))
            }
            pools.withLock { $0 = handles }
            return result
        }

        func storagePoolInfo(named name: String) throws(LibvirtError) -> StoragePoolInfo {
            try withPool(name) { pool throws(LibvirtError) in
                var info = virStoragePoolInfo()
                try call("virStoragePoolGetInfo") { virStoragePoolGetInfo(pool, &info) }
                return StoragePoolInfo(
                    state: info.state, capacity: UInt64(info.capacity), allocation: UInt64(info.allocation),
                    available: UInt64(info.available))
            }
        }

        func storagePoolXMLDescription(named name: String) throws(LibvirtError) -> String {
            try withPool(name) { pool throws(LibvirtError) in
                let xml = try call("virStoragePoolGetXMLDesc") { virStoragePoolGetXMLDesc(pool, 0) }
                defer { free(xml) }
                return String(cString: xml)
            }
        }

        /// Runs `body` with the handle of the pool called `name`: the one the last listing
        /// returned, else one looked up (`virStoragePoolLookupByName`) and kept.
        private func withPool<Result>(_ name: String, _ body: (OpaquePointer) throws(LibvirtError) -> Result)
            throws(LibvirtError) -> Result
        {
            if let handle = pools.withLock({ $0[ExactText(name)] }) { return try body(handle.pointer) }
            let handle = PoolHandle(
                adopting: try call("virStoragePoolLookupByName") { virStoragePoolLookupByName(connection, name) })
            pools.withLock { $0[ExactText(name)] = handle }
            return try body(handle.pointer)
        }

        /// Runs `body` with the handle of the domain called `name`.
        private func withDomain<Result>(_ name: String, _ body: (OpaquePointer) throws(LibvirtError) -> Result)
            throws(LibvirtError) -> Result
        {
            try body(try handle(of: name).pointer)
        }

        /// The handle of the domain called `name`: the one the last bulk call or batch returned,
        /// else one looked up (`virDomainLookupByName`) and kept until the next one replaces them.
        private func handle(of name: String) throws(LibvirtError) -> DomainHandle {
            if let handle = domains.withLock({ $0[ExactText(name)] }) { return handle }
            let handle = DomainHandle(
                adopting: try call("virDomainLookupByName") { virDomainLookupByName(connection, name) })
            domains.withLock { $0[ExactText(name)] = handle }
            return handle
        }

        func name(of domain: OpaquePointer?) -> String {
            virDomainGetName(domain).map { String(cString: $0) } ?? ""
        }

        func uuid(of domain: OpaquePointer?) -> String {
            var uuid = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
            guard virDomainGetUUIDString(domain, &uuid) == 0 else { return "" }
            return String(decoding: uuid.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        /// The counters libvirt filled in; it reports -1 for those it does not know.
        private func known<Counter>(_ values: [Counter: Int64]) -> [Counter: UInt64] {
            values.compactMapValues { $0 >= 0 ? UInt64($0) : nil }
        }
    }

    /// One reference to a libvirt domain object (`virDomainPtr`), released when this goes.
    ///
    /// `@unchecked Sendable` is safe: libvirt's domain objects are reference-counted and
    /// thread-safe, the pointer never changes, and it is freed only in `deinit`.
    private final class DomainHandle: @unchecked Sendable {
        let pointer: OpaquePointer

        /// Takes over a reference the caller owns.
        init(adopting pointer: OpaquePointer) {
            self.pointer = pointer
        }

        /// Takes a reference of its own to `pointer` (`virDomainRef`).
        convenience init(retaining pointer: OpaquePointer?) {
            virDomainRef(pointer)
            self.init(adopting: pointer!)
        }

        deinit {
            virDomainFree(pointer)
        }
    }

    /// One reference to a libvirt storage pool object (`virStoragePoolPtr`), released when this goes.
    ///
    /// `@unchecked Sendable` is safe for the reasons ``DomainHandle`` is: libvirt's pool objects are
    /// reference-counted and thread-safe, the pointer never changes, and it is freed only in `deinit`.
    private final class PoolHandle: @unchecked Sendable {
        let pointer: OpaquePointer

        /// Takes over a reference the caller owns.
        init(adopting pointer: OpaquePointer) {
            self.pointer = pointer
        }

        deinit {
            virStoragePoolFree(pointer)
        }
    }
}

/// Remembers that libvirt closed a connection. libvirt calls ``onClose`` on its event-loop thread;
/// collectors read ``isClosed`` on theirs, hence the atomic.
private final class CloseWatch: Sendable {
    private let closed = Atomic<Bool>(false)

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// The `virConnectCloseFunc`; `opaque` is the connection's `CloseWatch`, unretained.
    static let onClose: virConnectCloseFunc = { _, _, opaque in
        guard let opaque else { return }
        Unmanaged<CloseWatch>.fromOpaque(opaque).takeUnretainedValue().closed.store(true, ordering: .releasing)
    }
}

/// Hands libvirt's domain-event callbacks, which run on its event-loop thread, to a Swift handler.
/// Each registration holds one retain, released by libvirt through ``release``.
private final class EventSink: Sendable {
    private let handler: @Sendable (DomainEvent) -> Void

    init(_ handler: @escaping @Sendable (DomainEvent) -> Void) {
        self.handler = handler
    }

    /// Every event ID the exporter registers, with its callback.
    static let registrations: [(Int32, virConnectDomainEventGenericCallback)] = [
        (VIR_DOMAIN_EVENT_ID_LIFECYCLE, unsafeBitCast(lifecycle, to: virConnectDomainEventGenericCallback.self)),
        (VIR_DOMAIN_EVENT_ID_REBOOT, reboot),
        (VIR_DOMAIN_EVENT_ID_WATCHDOG, unsafeBitCast(watchdog, to: virConnectDomainEventGenericCallback.self)),
        (VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, unsafeBitCast(ioError, to: virConnectDomainEventGenericCallback.self)),
        (
            VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD,
            unsafeBitCast(blockThreshold, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
            unsafeBitCast(jobCompleted, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
            unsafeBitCast(migrationIteration, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
            unsafeBitCast(metadataChange, to: virConnectDomainEventGenericCallback.self)
        ),
        (VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, unsafeBitCast(deviceAdded, to: virConnectDomainEventGenericCallback.self)),
        (
            VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
            unsafeBitCast(deviceRemoved, to: virConnectDomainEventGenericCallback.self)
        ),
    ].map { (Int32($0.0.rawValue), $0.1) }

    private static func deliver(_ domain: OpaquePointer?, _ kind: DomainEvent.Kind, _ opaque: UnsafeMutableRawPointer?)
    {
        guard let domain, let opaque, let name = virDomainGetName(domain) else { return }
        let sink = Unmanaged<EventSink>.fromOpaque(opaque).takeUnretainedValue()
        sink.handler(DomainEvent(domain: String(cString: name), kind: kind))
    }

    /// `virDomainEventType` as a Swift value.
    private static func lifecycleEvent(_ code: Int32) -> DomainEvent.LifecycleEvent {
        switch UInt32(bitPattern: code) {
        case VIR_DOMAIN_EVENT_DEFINED.rawValue: .defined
        case VIR_DOMAIN_EVENT_UNDEFINED.rawValue: .undefined
        case VIR_DOMAIN_EVENT_STARTED.rawValue: .started
        case VIR_DOMAIN_EVENT_SUSPENDED.rawValue: .suspended
        case VIR_DOMAIN_EVENT_RESUMED.rawValue: .resumed
        case VIR_DOMAIN_EVENT_STOPPED.rawValue: .stopped
        case VIR_DOMAIN_EVENT_SHUTDOWN.rawValue: .shutdown
        case VIR_DOMAIN_EVENT_PMSUSPENDED.rawValue: .pmSuspended
        case VIR_DOMAIN_EVENT_CRASHED.rawValue: .crashed
        default: .other(code)
        }
    }

    /// `virConnectDomainEventCallback`.
    static let lifecycle:
        @convention(c) (OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Void = {
            _, domain, event, detail, opaque in
            deliver(domain, .lifecycle(lifecycleEvent(event), detail: detail), opaque)
        }

    /// `virConnectDomainEventGenericCallback`, for `VIR_DOMAIN_EVENT_ID_REBOOT`.
    static let reboot: virConnectDomainEventGenericCallback = { _, domain, opaque in deliver(domain, .reboot, opaque) }

    /// `virConnectDomainEventWatchdogCallback`.
    static let watchdog: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Void = {
        _, domain, action, opaque in deliver(domain, .watchdog(action: action), opaque)
    }

    /// `virConnectDomainEventIOErrorReasonCallback`; the paths and the reason text are not kept.
    static let ioError:
        @convention(c) (
            OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32,
            UnsafePointer<CChar>?, UnsafeMutableRawPointer?
        ) -> Void = { _, domain, _, _, action, _, opaque in deliver(domain, .ioError(action: action), opaque) }

    /// `virConnectDomainEventBlockThresholdCallback`; the device, path and sizes are not kept.
    static let blockThreshold:
        @convention(c) (
            OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UInt64, UInt64,
            UnsafeMutableRawPointer?
        ) -> Void = { _, domain, _, _, _, _, opaque in deliver(domain, .blockThreshold, opaque) }

    /// `virConnectDomainEventJobCompletedCallback`.
    static let jobCompleted:
        @convention(c) (OpaquePointer?, OpaquePointer?, virTypedParameterPtr?, Int32, UnsafeMutableRawPointer?) -> Void =
            {
                _, domain, _, _, opaque in deliver(domain, .jobCompleted, opaque)
            }

    /// `virConnectDomainEventMigrationIterationCallback`.
    static let migrationIteration:
        @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Void = {
            _, domain, _, opaque in deliver(domain, .migrationIteration, opaque)
        }

    /// `virConnectDomainEventMetadataChangeCallback`; the namespace is not kept.
    static let metadataChange:
        @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void =
            { _, domain, _, _, opaque in deliver(domain, .metadataChanged, opaque) }

    /// `virConnectDomainEventDeviceAddedCallback`.
    static let deviceAdded:
        @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
            _, domain, _, opaque in deliver(domain, .deviceAdded, opaque)
        }

    /// `virConnectDomainEventDeviceRemovedCallback`.
    static let deviceRemoved:
        @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
            _, domain, _, opaque in deliver(domain, .deviceRemoved, opaque)
        }

    /// The `virFreeCallback` that balances one registration's retain.
    static let release: virFreeCallback = { opaque in
        guard let opaque else { return }
        Unmanaged<EventSink>.fromOpaque(opaque).release()
    }
}

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

/// Runs one libvirt call that signals failure with a negative result, and turns a failure into a
/// ``LibvirtError`` read on this thread right after the call.
@discardableResult
func call(_ function: String, _ body: () -> Int32) throws(LibvirtError) -> Int32 {
    virResetLastError()
    let result = body()
    guard result >= 0 else { throw lastError(function) }
    return result
}

/// Runs one libvirt call that signals failure with a null pointer; see ``call(_:_:)-(_,()->Int32)``.
func call<Pointer>(_ function: String, _ body: () -> Pointer?) throws(LibvirtError) -> Pointer {
    virResetLastError()
    guard let result = body() else { throw lastError(function) }
    return result
}

private func lastError(_ function: String) -> LibvirtError {
    guard let error = virGetLastError()?.pointee else {
        return LibvirtError(
            function: function, code: .internalError, origin: 0, message: "failed without an error message")
    }
    return LibvirtError(
        function: function, code: LibvirtError.Code(rawValue: error.code), origin: error.domain,
        message: error.message.map { String(cString: $0) } ?? "no message")
}
