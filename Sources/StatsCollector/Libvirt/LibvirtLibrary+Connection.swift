import CLibvirt
import Glibc
import PromFormat
import Synchronization

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
        let domains = Mutex<[ExactText: DomainHandle]>([:])
        let pools = Mutex<[ExactText: PoolHandle]>([:])
        let eventCallbacks = Mutex<[Int32]>([])
        /// The event IDs registered or refused for good on this connection, and the sink they share.
        let registering = Mutex<(settled: Set<Int32>, sink: EventSink?)>(([], nil))

        init(uri: String, readOnly: Bool) throws(LibvirtError) {
            connection =
                readOnly
                ? try call("virConnectOpenReadOnly") { virConnectOpenReadOnly(uri) }
                : try call("virConnectOpen") { virConnectOpen(uri) }
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
            return copy(records, count: count)
        }

        /// The `count` stats records of a stats call, copied into Swift values; the caller frees them.
        func copy(_ records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?, count: Int32) -> [DomainStats] {
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

        /// Runs `body` with the handle of the domain called `name`.
        func withDomain<Result>(_ name: String, _ body: (OpaquePointer) throws(LibvirtError) -> Result)
            throws(LibvirtError) -> Result
        {
            try body(try handle(of: name).pointer)
        }

        /// The handle of the domain called `name`: the one the last bulk call or batch returned,
        /// else one looked up (`virDomainLookupByName`) and kept until the next one replaces them.
        func handle(of name: String) throws(LibvirtError) -> DomainHandle {
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
        func known<Counter>(_ values: [Counter: Int64]) -> [Counter: UInt64] {
            values.compactMapValues { $0 >= 0 ? UInt64($0) : nil }
        }
    }
}
