/// The host as one collection read it: its capacity, what is free, and what its domains are
/// given. Each field is `nil` when its call failed, was not made or the driver lacks it: absent
/// from the output, never a zero.
public struct HostStats: Sendable, Equatable {
    /// The NUMA cells, from the capabilities XML read once per connection.
    var topology: HostTopology?
    /// The logical CPUs.
    var cpus: NodeCPUs?
    /// Free memory of the whole host, bytes (`virNodeGetFreeMemory`).
    var freeMemory: UInt64?
    /// Free memory by cell number, bytes.
    var cellsFreeMemory: [Int: UInt64]?
    /// Free huge pages by cell number, then by page size (KiB).
    var freeHugePages: [Int: [UInt32: UInt64]]?
    /// vCPUs and memory given to the domains that run.
    var running: Allocation?
    /// vCPUs and memory given to the domains defined but not running.
    var inactive: Allocation?

    /// What a set of domains is given: the sum of their vCPUs (`vcpu.current`) and of their
    /// memory (`balloon.maximum`, the memory the domain is defined with).
    struct Allocation: Sendable, Equatable {
        var vcpus: UInt64
        /// libvirt's `balloon.maximum`, in KiB.
        var memoryKiB: UInt64

        /// The stats fields it sums.
        static let vcpuField = "vcpu.current"
        static let memoryField = "balloon.maximum"

        /// The sum over `records`; `nil` when one of them lacks a field, so that a domain whose
        /// stats did not come never makes the host look emptier than it is.
        init?(summing records: [DomainStats]) {
            var vcpus: UInt64 = 0
            var memoryKiB: UInt64 = 0
            for record in records {
                guard let count = Self.count(Self.vcpuField, in: record),
                    let memory = Self.count(Self.memoryField, in: record)
                else { return nil }
                vcpus += count
                memoryKiB += memory
            }
            self.vcpus = vcpus
            self.memoryKiB = memoryKiB
        }

        /// The non-negative integer `field` of `record`.
        private static func count(_ field: String, in record: DomainStats) -> UInt64? {
            record.parameters.first { $0.field == field }?.value.integerCode.flatMap { UInt64(exactly: $0) }
        }

        init(vcpus: UInt64, memoryKiB: UInt64) {
            self.vcpus = vcpus
            self.memoryKiB = memoryKiB
        }
    }
}
