import PromFormat

/// One storage pool as one collection read it.
public struct StoragePoolStats: Sendable, Equatable {
    /// The pool's name and UUID.
    public var identity: StoragePoolIdentity
    /// The pool's type (`dir`, `logical`, `rbd`, …), the `type` attribute of its XML; `nil` when
    /// the description could not be read.
    public var type: String?
    /// Its state and sizes.
    public var info: StoragePoolInfo

    /// Creates a pool's stats.
    public init(identity: StoragePoolIdentity, type: String?, info: StoragePoolInfo) {
        self.identity = identity
        self.type = type
        self.info = info
    }

    /// Whether libvirt's sizes describe the pool: it runs, perhaps degraded. Of a pool that is
    /// inactive, building or inaccessible libvirt reports sizes it does not know as 0.
    public var hasSizes: Bool { info.state == 2 || info.state == 3 }
}

/// Reads the storage pools once per collection: one `virConnectListAllStoragePools`, one
/// `virStoragePoolGetInfo` per pool, and `virStoragePoolGetXMLDesc` only for a pool not seen
/// before (its type does not change; it is kept by UUID).
///
/// The calls run one after the other, within one budget (``BudgetedCalls``): pools delay a
/// collection by at most one deadline, and a pool whose call overran gets no second call until
/// the first returns; it is left out meanwhile. A pool whose call fails is left out and its failure returned, to be counted and
/// logged; the other pools and the domains are unaffected.
actor StoragePoolReader {
    private let runner: LibvirtCallRunner
    private let gate = DomainCallGate()
    private var types: [String: String] = [:]

    /// The gate's key of the listing; pools are keyed by name, which libvirt never leaves empty.
    private static let listKey = ""

    init(runner: LibvirtCallRunner) {
        self.runner = runner
    }

    /// Forgets what a connection taught: a new one may reach another daemon.
    func reset() {
        types = [:]
    }

    /// The pools that answered, and the failures of those that did not.
    func read(from connections: ConnectionPool) async -> (pools: [StoragePoolStats], errors: [CollectionError]) {
        let calls = BudgetedCalls(runner: runner, gate: gate)
        var errors: [CollectionError] = []
        let listed = await calls.call(
            Self.listKey, "virConnectListAllStoragePools", subject: "listing the storage pools", errors: &errors
        ) {
            () throws(LibvirtError) in
            try connections.withConnection { connection throws(LibvirtError) in try connection.storagePools() }
        }
        guard let listed else { return ([], errors) }
        types = types.filter { uuid, _ in listed.contains { $0.uuid == uuid } }
        gate.keepBackoffs(only: Set(listed.map { ExactText($0.name) } + [ExactText(Self.listKey)]))
        var pools: [StoragePoolStats] = []
        for identity in listed {
            let name = identity.name
            guard
                let info = await calls.call(
                    name, "virStoragePoolGetInfo", subject: "storage pool \"\(name)\"", errors: &errors,
                    { () throws(LibvirtError) in
                        try connections.withConnection { connection throws(LibvirtError) in
                            try connection.storagePoolInfo(named: name)
                        }
                    })
            else { continue }
            if types[identity.uuid] == nil,
                let xml = await calls.call(
                    name, "virStoragePoolGetXMLDesc", subject: "storage pool \"\(name)\"", errors: &errors,
                    { () throws(LibvirtError) in
                        try connections.withConnection { connection throws(LibvirtError) in
                            try connection.storagePoolXMLDescription(named: name)
                        }
                    }),
                let type = LibXML.parse(xml)?.attributes["type"]
            {
                types[identity.uuid] = type
            }
            pools.append(StoragePoolStats(identity: identity, type: types[identity.uuid], info: info))
        }
        return (pools, errors)
    }
}
