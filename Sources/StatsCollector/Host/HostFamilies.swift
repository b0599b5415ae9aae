import PromFormat

/// The host's stats of a collection as metric families; what was not read is absent.
enum HostFamilies {
    /// The families of `host`; empty when nothing was read.
    static func families(of host: HostStats) -> [MetricFamily] {
        var cpus = MetricCatalog.nodeCPUs.makeFamily()
        var online = MetricCatalog.nodeCPUsOnline.makeFamily()
        if let count = host.cpus {
            cpus.append(trusted: Sample(labels: [], value: .unsigned(UInt64(count.present))))
            online.append(trusted: Sample(labels: [], value: .unsigned(UInt64(count.online))))
        }
        var cellCPUs = MetricCatalog.nodeCellCPUs.makeFamily()
        var cellMemory = MetricCatalog.nodeCellMemory.makeFamily()
        var cellFree = MetricCatalog.nodeCellFreeMemory.makeFamily()
        var hugePages = MetricCatalog.nodeCellFreeHugePages.makeFamily()
        for cell in host.topology?.cells ?? [] {
            let label = Label("cell", String(cell.id))
            if let count = cell.cpus {
                cellCPUs.append(trusted: Sample(labels: [label], value: .unsigned(UInt64(count))))
            }
            if let bytes = cell.memoryBytes {
                cellMemory.append(trusted: Sample(labels: [label], value: .unsigned(bytes)))
            }
            if let free = host.cellsFreeMemory?[cell.id] {
                cellFree.append(trusted: Sample(labels: [label], value: .unsigned(free)))
            }
            for (size, free) in (host.freeHugePages?[cell.id] ?? [:]).sorted(by: { $0.key < $1.key }) {
                hugePages.append(
                    trusted: Sample(
                        labels: [label, Label("page_size_bytes", String(UInt64(size) * 1024))], value: .unsigned(free)))
            }
        }
        var vcpus = MetricCatalog.nodeDomainVCPUs.makeFamily()
        var memory = MetricCatalog.nodeDomainMemory.makeFamily()
        for (name, allocation) in [("running", host.running), ("inactive", host.inactive)] {
            guard let allocation else { continue }
            let label = Label("domains", name)
            vcpus.append(trusted: Sample(labels: [label], value: .unsigned(allocation.vcpus)))
            if let bytes = MetricCatalog.nodeDomainMemory.conversion.convert(.ullong(allocation.memoryKiB)) {
                memory.append(trusted: Sample(labels: [label], value: bytes))
            }
        }
        return [cpus, online, cellCPUs, cellMemory, cellFree, hugePages, vcpus, memory].filter { !$0.samples.isEmpty }
    }
}
