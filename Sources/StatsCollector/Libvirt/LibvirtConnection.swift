public import CLibvirt
import Glibc
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
    private var eventCallbacks: [Int32] = []

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
        for id in eventCallbacks { virConnectDomainEventDeregisterAny(connection, id) }
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

    /// Per-domain calls made for each active domain after the bulk call; their numbers are added
    /// to the domain's parameters under the catalog's field names.
    struct DomainCalls: OptionSet {
        let rawValue: UInt8
        /// `virDomainGetCPUStats`, per host CPU and in total, as `cpustats.*`.
        static let cpuStats = DomainCalls(rawValue: 1 << 0)
        /// `virDomainGetJobStats` for the active job, as `job.*`.
        static let jobStats = DomainCalls(rawValue: 1 << 1)
        /// `virDomainGetJobStats` for the last completed job, kept for other readers, as `completedjob.*`.
        static let completedJobStats = DomainCalls(rawValue: 1 << 2)
        /// For a domain whose bulk record has nothing but its state (the test driver, older drivers):
        /// `virDomainGetInfo`, `virDomainMemoryStats`, and `virDomainBlockStats` and
        /// `virDomainInterfaceStats` for the devices in its XML, as the bulk fields they stand for.
        static let perDomainFallback = DomainCalls(rawValue: 1 << 3)
    }

    /// One domain's stats, and the per-domain calls that failed for it.
    struct DomainCollection {
        var stats: DomainStats
        var failures: [LibvirtError] = []
    }

    /// Every domain's stats, for every stats group the driver supports, in one
    /// `virConnectGetAllDomainStats` call, plus `calls` for each active domain.
    ///
    /// The per-domain calls go through `gate`: a domain with a call in flight or backing off after a
    /// slow call keeps its bulk stats but gets no per-domain calls this time.
    func allDomainStats(flags: StatsFlags, calls: DomainCalls, gate: DomainCallGate) throws(LibvirtError)
        -> [DomainCollection]
    {
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let count = try Self.call("virConnectGetAllDomainStats") {
            virConnectGetAllDomainStats(connection, 0, &records, flags.rawValue)
        }
        defer { virDomainStatsRecordListFree(records) }
        guard let records else { return [] }
        return (0..<Int(count)).compactMap { index in
            records[index].map { record in
                var collection = DomainCollection(stats: Self.domainStats(of: record.pointee))
                if collection.stats.isActive {
                    _ = gate.call(collection.stats.name) { () throws(LibvirtError) in
                        Self.addPerDomainStats(calls, of: record.pointee.dom, to: &collection)
                    }
                }
                return collection
            }
        }
    }

    private static func domainStats(of record: virDomainStatsRecord) -> DomainStats {
        let name = virDomainGetName(record.dom).map { String(cString: $0) } ?? ""
        var uuid = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        let hasUUID = virDomainGetUUIDString(record.dom, &uuid) == 0
        let parameters = TypedParameterCopy.copy(UnsafeBufferPointer(start: record.params, count: Int(record.nparams)))
        return DomainStats(
            name: name,
            uuid: hasUUID ? String(decoding: uuid.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "",
            parameters: parameters
        )
    }

    /// The job stats of the domain called `name`: its active job (`job.*`, plus `migration.*` during
    /// an outgoing migration) while it runs, and its last completed job (`completedjob.*`), which
    /// libvirt keeps after the domain stopped (a save, an outgoing migration).
    func jobStats(ofDomainNamed name: String) throws(LibvirtError) -> [TypedParameter] {
        let domain = try Self.call("virDomainLookupByName") { virDomainLookupByName(connection, name) }
        defer { virDomainFree(domain) }
        var collection = DomainCollection(stats: DomainStats(name: name, uuid: "", parameters: []))
        let isActive = try Self.call("virDomainIsActive") { virDomainIsActive(domain) } == 1
        Self.addPerDomainStats(
            isActive ? [.jobStats, .completedJobStats] : [.completedJobStats], of: domain, to: &collection)
        if let failure = collection.failures.first { throw failure }
        return collection.stats.parameters
    }

    // MARK: - Domain events

    /// Asks libvirt for the domain events that concern jobs (lifecycle changes, job completion and
    /// migration iterations), delivered on libvirt's event-loop thread to `handler` with the
    /// domain's name. They stop when the connection closes.
    func watchDomainEvents(_ handler: @escaping @Sendable (DomainEvent) -> Void) throws(LibvirtError) {
        let sink = EventSink(handler)
        let registrations: [(Int32, virConnectDomainEventGenericCallback)] = [
            (
                Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue),
                unsafeBitCast(EventSink.lifecycle, to: virConnectDomainEventGenericCallback.self)
            ),
            (
                Int32(VIR_DOMAIN_EVENT_ID_JOB_COMPLETED.rawValue),
                unsafeBitCast(EventSink.jobCompleted, to: virConnectDomainEventGenericCallback.self)
            ),
            (
                Int32(VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION.rawValue),
                unsafeBitCast(EventSink.migrationIteration, to: virConnectDomainEventGenericCallback.self)
            ),
        ]
        for (event, callback) in registrations {
            let opaque = Unmanaged.passRetained(sink).toOpaque()
            do {
                let id = try Self.call("virConnectDomainEventRegisterAny") {
                    virConnectDomainEventRegisterAny(connection, nil, event, callback, opaque, EventSink.release)
                }
                eventCallbacks.append(id)
            } catch {
                Unmanaged<EventSink>.fromOpaque(opaque).release()
                throw error
            }
        }
    }

    // MARK: - Per-domain calls

    private static func addPerDomainStats(
        _ calls: DomainCalls, of domain: OpaquePointer, to collection: inout DomainCollection
    ) {
        func add(_ body: () throws(LibvirtError) -> [TypedParameter]) {
            do {
                collection.stats.parameters += try body()
            } catch {
                collection.failures.append(error)
            }
        }
        if calls.contains(.perDomainFallback), collection.stats.hasStateOnly {
            add { () throws(LibvirtError) in try fallbackStats(domain) }
        }
        if calls.contains(.cpuStats) { add { () throws(LibvirtError) in try cpuStats(domain) } }
        if calls.contains(.jobStats) {
            add { () throws(LibvirtError) in try jobStats(domain, completed: false) }
            let operation = collection.stats.parameters.first { $0.field == MetricCatalog.jobPrefix + "operation" }
            if operation?.value.integerCode == Int64(VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT.rawValue) {
                add { () throws(LibvirtError) in try maxDowntime(domain) }
            }
        }
        if calls.contains(.completedJobStats) {
            add { () throws(LibvirtError) in try jobStats(domain, completed: true) }
        }
    }

    /// libvirt's remote protocol answers at most this many host CPUs per `virDomainGetCPUStats` call.
    private static let cpuStatsBatch: Int32 = 128

    /// `virDomainGetCPUStats`: `cpustats.<cpu>.<name>` for every host CPU, `cpustats.<name>` in total.
    private static func cpuStats(_ domain: OpaquePointer) throws(LibvirtError) -> [TypedParameter] {
        let function = "virDomainGetCPUStats"
        let hostCPUs = try call(function) { virDomainGetCPUStats(domain, nil, 0, 0, 0, 0) }
        let perCPU = try call(function) { virDomainGetCPUStats(domain, nil, 0, 0, 1, 0) }
        var result: [TypedParameter] = []
        var start: Int32 = 0
        while perCPU > 0, start < hostCPUs {
            let count = min(cpuStatsBatch, hostCPUs - start)
            var parameters = [virTypedParameter](repeating: virTypedParameter(), count: Int(perCPU * count))
            defer { virTypedParamsClear(&parameters, Int32(parameters.count)) }
            try call(function) { virDomainGetCPUStats(domain, &parameters, UInt32(perCPU), start, UInt32(count), 0) }
            for (offset, parameter) in parameters.enumerated() {
                let cpu = Int(start) + offset / Int(perCPU)
                if let converted = TypedParameterCopy.copy(parameter, prefix: "\(MetricCatalog.cpuStatsPrefix)\(cpu).")
                {
                    result.append(converted)
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
        result += parameters.withUnsafeBufferPointer {
            TypedParameterCopy.copy($0, prefix: MetricCatalog.cpuStatsPrefix)
        }
        return result
    }

    /// `virDomainGetJobStats`: the active job as `job.*`, or with `completed` the last completed job
    /// as `completedjob.*`, read with `VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED` so that other readers
    /// still find it. The job type comes as `type`; a completed job of type none is no job at all.
    private static func jobStats(_ domain: OpaquePointer, completed: Bool) throws(LibvirtError) -> [TypedParameter] {
        let flags =
            completed ? VIR_DOMAIN_JOB_STATS_COMPLETED.rawValue | VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED.rawValue : 0
        let prefix = completed ? MetricCatalog.completedJobPrefix : MetricCatalog.jobPrefix
        var type: Int32 = 0
        var parameters: virTypedParameterPtr?
        var count: Int32 = 0
        try call(completed ? "virDomainGetJobStats(COMPLETED)" : "virDomainGetJobStats") {
            virDomainGetJobStats(domain, &type, &parameters, &count, flags)
        }
        defer { virTypedParamsFree(parameters, count) }
        if completed && type == Int32(VIR_DOMAIN_JOB_NONE.rawValue) { return [] }
        var result = [TypedParameter(field: prefix + "type", value: .int(type))]
        if let parameters {
            result += TypedParameterCopy.copy(UnsafeBufferPointer(start: parameters, count: Int(count)), prefix: prefix)
        }
        return result
    }

    /// `virDomainMigrateGetMaxDowntime` as `migration.max_downtime` (milliseconds).
    private static func maxDowntime(_ domain: OpaquePointer) throws(LibvirtError) -> [TypedParameter] {
        var milliseconds: UInt64 = 0
        try call("virDomainMigrateGetMaxDowntime") { virDomainMigrateGetMaxDowntime(domain, &milliseconds, 0) }
        return [TypedParameter(field: MetricCatalog.migrationPrefix + "max_downtime", value: .ullong(milliseconds))]
    }

    /// Numbers the bulk call leaves out on drivers that report only the state group, read with
    /// per-domain calls and named as the bulk fields they stand for.
    private static func fallbackStats(_ domain: OpaquePointer) throws(LibvirtError) -> [TypedParameter] {
        var info = virDomainInfo()
        try call("virDomainGetInfo") { virDomainGetInfo(domain, &info) }
        var result: [TypedParameter] = [
            .init(field: "cpu.time", value: .ullong(UInt64(info.cpuTime))),
            .init(field: "balloon.current", value: .ullong(UInt64(info.memory))),
            .init(field: "balloon.maximum", value: .ullong(UInt64(info.maxMem))),
            .init(field: "vcpu.current", value: .uint(UInt32(info.nrVirtCpu))),
        ]
        result += try memoryStats(domain)

        let xml = try call("virDomainGetXMLDesc") { virDomainGetXMLDesc(domain, 0) }
        defer { free(xml) }
        let devices = DomainDevices(xml: String(cString: xml))
        result.append(.init(field: "block.count", value: .uint(UInt32(devices.disks.count))))
        for (index, disk) in devices.disks.enumerated() {
            result.append(.init(field: "block.\(index).name", value: .string(disk.target)))
            if let source = disk.source { result.append(.init(field: "block.\(index).path", value: .string(source))) }
            var stats = virDomainBlockStatsStruct()
            try call("virDomainBlockStats") {
                virDomainBlockStats(domain, disk.target, &stats, MemoryLayout<virDomainBlockStatsStruct>.size)
            }
            result += known(
                [
                    ("rd.reqs", stats.rd_req), ("rd.bytes", stats.rd_bytes), ("wr.reqs", stats.wr_req),
                    ("wr.bytes", stats.wr_bytes), ("errors", stats.errs),
                ], prefix: "block.\(index).")
        }
        result.append(.init(field: "net.count", value: .uint(UInt32(devices.interfaces.count))))
        for (index, target) in devices.interfaces.enumerated() {
            result.append(.init(field: "net.\(index).name", value: .string(target)))
            var stats = virDomainInterfaceStatsStruct()
            try call("virDomainInterfaceStats") {
                virDomainInterfaceStats(domain, target, &stats, MemoryLayout<virDomainInterfaceStatsStruct>.size)
            }
            result += known(
                [
                    ("rx.bytes", stats.rx_bytes), ("rx.pkts", stats.rx_packets), ("rx.errs", stats.rx_errs),
                    ("rx.drop", stats.rx_drop), ("tx.bytes", stats.tx_bytes), ("tx.pkts", stats.tx_packets),
                    ("tx.errs", stats.tx_errs), ("tx.drop", stats.tx_drop),
                ], prefix: "net.\(index).")
        }
        return result
    }

    /// The per-domain counters libvirt filled in; it reports -1 for those it does not know.
    private static func known(_ values: [(String, Int64)], prefix: String) -> [TypedParameter] {
        values.filter { $0.1 >= 0 }.map { TypedParameter(field: prefix + $0.0, value: .ullong(UInt64($0.1))) }
    }

    /// `virDomainMemoryStats` tags, by their number, as the `balloon.*` fields of the bulk call.
    private static let memoryStatFields: [Int32: String] = [
        0: "swap_in", 1: "swap_out", 2: "major_fault", 3: "minor_fault", 4: "unused", 5: "available",
        7: "rss", 8: "usable", 9: "last-update", 10: "disk_caches", 11: "hugetlb_pgalloc", 12: "hugetlb_pgfail",
    ]

    private static func memoryStats(_ domain: OpaquePointer) throws(LibvirtError) -> [TypedParameter] {
        var stats = [virDomainMemoryStatStruct](
            repeating: virDomainMemoryStatStruct(), count: Int(VIR_DOMAIN_MEMORY_STAT_NR.rawValue))
        let count = try call("virDomainMemoryStats") { virDomainMemoryStats(domain, &stats, UInt32(stats.count), 0) }
        return stats.prefix(Int(count)).compactMap { stat in
            memoryStatFields[stat.tag].map { TypedParameter(field: "balloon." + $0, value: .ullong(UInt64(stat.val))) }
        }
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
    private static func call<Pointer>(_ function: String, _ body: () -> Pointer?) throws(LibvirtError) -> Pointer {
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

/// A domain event that concerns jobs.
public struct DomainEvent: Sendable, Equatable {
    /// What happened.
    public enum Kind: Sendable, Equatable {
        /// The domain started, stopped, was suspended or resumed (`VIR_DOMAIN_EVENT_ID_LIFECYCLE`).
        case lifecycle
        /// A job finished; its completed stats are ready (`VIR_DOMAIN_EVENT_ID_JOB_COMPLETED`).
        case jobCompleted
        /// A migration began another pass over memory (`VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION`).
        case migrationIteration
    }

    /// The domain's name.
    public let domain: String
    /// What happened.
    public let kind: Kind
}

/// Hands libvirt's domain-event callbacks, which run on its event-loop thread, to a Swift handler.
/// Each registration holds one retain, released by libvirt through ``release``.
private final class EventSink: Sendable {
    private let handler: @Sendable (DomainEvent) -> Void

    init(_ handler: @escaping @Sendable (DomainEvent) -> Void) {
        self.handler = handler
    }

    private static func deliver(_ domain: OpaquePointer?, _ kind: DomainEvent.Kind, _ opaque: UnsafeMutableRawPointer?)
    {
        guard let domain, let opaque, let name = virDomainGetName(domain) else { return }
        let sink = Unmanaged<EventSink>.fromOpaque(opaque).takeUnretainedValue()
        sink.handler(DomainEvent(domain: String(cString: name), kind: kind))
    }

    /// `virConnectDomainEventCallback`.
    static let lifecycle:
        @convention(c) (OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Void = {
            _, domain, _, _, opaque in deliver(domain, .lifecycle, opaque)
        }

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

    /// The `virFreeCallback` that balances one registration's retain.
    static let release: virFreeCallback = { opaque in
        guard let opaque else { return }
        Unmanaged<EventSink>.fromOpaque(opaque).release()
    }
}

/// Copies libvirt's typed parameters into Swift values, before libvirt frees them.
///
/// Public so that benchmarks can measure it on synthetic parameters; the exporter's own use is in
/// this file.
public enum TypedParameterCopy {
    /// Copies every parameter of `parameters`, their names after `prefix`, skipping empty slots and
    /// types newer than this code.
    public static func copy(_ parameters: UnsafeBufferPointer<virTypedParameter>, prefix: String = "")
        -> [TypedParameter]
    {
        var result: [TypedParameter] = []
        result.reserveCapacity(parameters.count)
        for parameter in parameters {
            if let copied = copy(parameter, prefix: prefix) { result.append(copied) }
        }
        return result
    }

    /// Copies one parameter, its name after `prefix`; `nil` for an empty slot or a type this libvirt
    /// is newer than.
    static func copy(_ parameter: virTypedParameter, prefix: String) -> TypedParameter? {
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
        return TypedParameter(field: prefix + name, value: value)
    }
}
