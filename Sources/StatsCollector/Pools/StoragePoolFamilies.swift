import PromFormat

/// The storage pools of a collection as metric families: an info series, the state and, of a
/// running pool, its sizes.
enum StoragePoolFamilies {
    /// The families of `pools`; empty when there are none.
    static func families(of pools: [StoragePoolStats]) -> [MetricFamily] {
        guard !pools.isEmpty else { return [] }
        var info = MetricCatalog.storagePoolInfo.makeFamily()
        var state = MetricCatalog.storagePoolState.makeFamily()
        var capacity = MetricCatalog.storagePoolCapacity.makeFamily()
        var allocation = MetricCatalog.storagePoolAllocation.makeFamily()
        var available = MetricCatalog.storagePoolAvailable.makeFamily()
        for pool in pools {
            let name = Label("storage_pool", pool.identity.name)
            info.append(
                trusted: Sample(
                    labels: [name, Label("uuid", pool.identity.uuid), Label("type", pool.type ?? "")],
                    value: .unsigned(1)))
            state.append(trusted: Sample(labels: [name], value: .signed(Int64(pool.info.state))))
            guard pool.hasSizes else { continue }
            capacity.append(trusted: Sample(labels: [name], value: .unsigned(pool.info.capacity)))
            allocation.append(trusted: Sample(labels: [name], value: .unsigned(pool.info.allocation)))
            available.append(trusted: Sample(labels: [name], value: .unsigned(pool.info.available)))
        }
        return [info, state, capacity, allocation, available].filter { !$0.samples.isEmpty }
    }
}
