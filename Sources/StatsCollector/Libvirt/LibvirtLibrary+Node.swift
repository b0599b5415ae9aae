import CLibvirt
import Glibc

/// The calls about the host itself (``LibvirtNodeCalls``).
extension LibvirtLibrary.Connection {
    func capabilitiesXML() throws(LibvirtError) -> String {
        let xml = try call("virConnectGetCapabilities") { virConnectGetCapabilities(connection) }
        defer { free(xml) }
        return String(cString: xml)
    }

    func nodeCPUs() throws(LibvirtError) -> NodeCPUs {
        var online: UInt32 = 0
        let present = try call("virNodeGetCPUMap") { virNodeGetCPUMap(connection, nil, &online, 0) }
        return NodeCPUs(present: Int(present), online: Int(online))
    }

    func cellsFreeMemory(cells: Int) throws(LibvirtError) -> [UInt64] {
        guard cells > 0 else { return [] }
        var free = [UInt64](repeating: 0, count: cells)
        let filled = try call("virNodeGetCellsFreeMemory") {
            free.withUnsafeMutableBufferPointer {
                virNodeGetCellsFreeMemory(connection, $0.baseAddress, 0, Int32(cells))
            }
        }
        return Array(free.prefix(Int(filled)))
    }

    func freePages(sizes: [UInt32], cells: Int) throws(LibvirtError) -> [[UInt64]] {
        guard cells > 0, !sizes.isEmpty else { return [] }
        var pages = sizes
        var counts = [UInt64](repeating: 0, count: cells * sizes.count)
        let filled = try call("virNodeGetFreePages") {
            pages.withUnsafeMutableBufferPointer { pages in
                counts.withUnsafeMutableBufferPointer { counts in
                    virNodeGetFreePages(
                        connection, UInt32(sizes.count), pages.baseAddress, 0, UInt32(cells), counts.baseAddress, 0)
                }
            }
        }
        // libvirt returns how many counts it filled in, cell after cell.
        let cellsFilled = min(cells, Int(filled) / sizes.count)
        return (0..<cellsFilled).map { Array(counts[($0 * sizes.count)..<(($0 + 1) * sizes.count)]) }
    }

    func inactiveDomainStats(groups: UInt32) throws(LibvirtError) -> [DomainStats] {
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let flags =
            VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE.rawValue | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT.rawValue
        let count = try call("virConnectGetAllDomainStats") {
            virConnectGetAllDomainStats(connection, groups, &records, flags)
        }
        defer { virDomainStatsRecordListFree(records) }
        return copy(records, count: count)
    }
}
