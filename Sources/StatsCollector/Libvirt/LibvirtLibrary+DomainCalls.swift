import CLibvirt
import Glibc

/// The calls about one domain, by name: its control interface, CPU, job, info, memory, XML and
/// device counters.
extension LibvirtLibrary.Connection {
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

    func state(ofDomain name: String) throws(LibvirtError) -> (state: Int32, reason: Int32) {
        try withDomain(name) { domain throws(LibvirtError) in
            var state: Int32 = 0
            var reason: Int32 = 0
            try call("virDomainGetState") { virDomainGetState(domain, &state, &reason, 0) }
            return (state, reason)
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
}
