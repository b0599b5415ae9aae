import CLibvirt
import Glibc
import PromFormat

/// The storage pool calls, on the handles of the last listing.
extension LibvirtLibrary.Connection {
    func storagePools() throws(LibvirtError) -> [StoragePoolIdentity] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = try call("virConnectListAllStoragePools") {
            virConnectListAllStoragePools(connection, &list, 0)
        }
        defer { free(list) }
        guard let list else { return [] }
        var handles: [ExactText: LibvirtLibrary.PoolHandle] = [:]
        var result: [StoragePoolIdentity] = []
        for index in 0..<Int(count) {
            guard let pointer = list[index] else { continue }
            let handle = LibvirtLibrary.PoolHandle(adopting: pointer)
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
        let handle = LibvirtLibrary.PoolHandle(
            adopting: try call("virStoragePoolLookupByName") { virStoragePoolLookupByName(connection, name) })
        pools.withLock { $0[ExactText(name)] = handle }
        return try body(handle.pointer)
    }
}
