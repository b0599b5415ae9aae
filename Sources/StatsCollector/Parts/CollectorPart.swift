/// One part of what the exporter collects, switched by `--[no-]collector.<name>` and the config key
/// `collector.<name>`: a stats group of the bulk call, a per-domain call, or some families of a
/// group (``parent``) that are off by default because few read them. Turning a bulk group off takes
/// it out of the `virConnectGetAllDomainStats` call, so libvirtd does less work; turning a part of
/// a group off saves its mapping, rendering and bytes, not libvirtd's work.
///
/// Everything about a part is its one declaration (``declaration``): its help, whether it is on by
/// default, the group it is some families of, its bulk stats group. The flags, the config keys,
/// the collection scope, `virt-exporter parts`, `--help` and the reference follow from this list,
/// and `PartRegistryTests` fails for a part missing from any of them; the families each part
/// brings follow from the catalog (`CollectorPart+Families.swift`).
///
/// The state group is always collected: whether a domain runs decides everything else.
public enum CollectorPart: String, CaseIterable, Sendable, Comparable {
    case cpu
    case cpuDetails = "cpu-details"
    case balloon
    case vcpu
    case vcpuDetails = "vcpu-details"
    case vcpuKVM = "vcpu-kvm"
    case interface
    case block
    case blockTimes = "block-times"
    case perf
    case iothread
    case memory
    case dirtyrate
    case kvm
    case cpustats
    case jobs
    case metadata
    case pools
    case host
    case guest
    case events
    case inventory

    /// The part's declaration: one per part, here.
    var declaration: PartDeclaration {
        switch self {
        case .cpu: PartDeclaration(help: "CPU time and its rate (bulk group cpu-total).", bulkGroup: 1 << 1)
        case .cpuDetails:
            PartDeclaration(
                help:
                    "CPU time in user and kernel mode and their rates, haltpoll times, cache monitors (of the cpu part).",
                isDefault: false, parent: .cpu)
        case .balloon: PartDeclaration(help: "Memory and balloon statistics (bulk group balloon).", bulkGroup: 1 << 2)
        case .vcpu:
            PartDeclaration(
                help: "vCPU counts and per-vCPU wait and delay ratios (bulk group vcpu).", bulkGroup: 1 << 3)
        case .vcpuDetails:
            PartDeclaration(
                help: "Per-vCPU state, halted flag, run, wait and delay times, and usage ratio (of the vcpu part).",
                isDefault: false, parent: .vcpu)
        case .vcpuKVM:
            PartDeclaration(
                help:
                    "Per-vCPU KVM statistics, vcpu.<n>.* (of the vcpu part: libvirt 9.0 sends them with the vcpu group).",
                isDefault: false, parent: .vcpu)
        case .interface: PartDeclaration(help: "Network interface counters (bulk group interface).", bulkGroup: 1 << 4)
        case .block:
            PartDeclaration(
                help: "Block device counters, sizes and their rates and latencies (bulk group block).",
                bulkGroup: 1 << 5)
        case .blockTimes:
            PartDeclaration(
                help: "Block device read, write and flush time counters and flush requests (of the block part).",
                isDefault: false, parent: .block)
        case .perf: PartDeclaration(help: "perf event counters (bulk group perf).", bulkGroup: 1 << 6)
        case .iothread: PartDeclaration(help: "IOThread polling settings (bulk group iothread).", bulkGroup: 1 << 7)
        case .memory:
            PartDeclaration(help: "Memory bandwidth and cache monitors (bulk group memory).", bulkGroup: 1 << 8)
        case .dirtyrate:
            PartDeclaration(help: "Dirty page rate (bulk group dirtyrate).", isDefault: false, bulkGroup: 1 << 9)
        case .kvm:
            PartDeclaration(
                help: "KVM's own statistics of the VM, vm.* (bulk group vm); the per-vCPU ones are the vcpu-kvm part.",
                isDefault: false, bulkGroup: 1 << 10)
        case .cpustats: PartDeclaration(help: "CPU time per host CPU (virDomainGetCPUStats).")
        case .jobs: PartDeclaration(help: "Active and completed job stats and the job poller (virDomainGetJobStats).")
        case .metadata:
            PartDeclaration(
                help:
                    "OpenStack metadata, the configured metadata labels, and disk and interface details from the domain XML (virDomainGetXMLDesc)."
            )
        case .pools:
            PartDeclaration(
                help: "Storage pools: state and sizes (virConnectListAllStoragePools, virStoragePoolGetInfo).")
        case .host:
            PartDeclaration(
                help:
                    "The host's CPUs, NUMA cells, free memory and huge pages, and the vCPUs and memory its domains are given (virConnectGetCapabilities once per connection, virNodeGetCPUMap, virNodeGetCellsFreeMemory, virNodeGetFreePages, virConnectGetAllDomainStats for inactive domains)."
            )
        case .guest:
            PartDeclaration(
                help:
                    "What the guests' QEMU agents report (host name, OS, file systems), read by the separate virt-exporter guest-agent process and handed over in its report file; off by default.",
                isDefault: false)
        case .events: PartDeclaration(help: "Domain events as counters (virConnectDomainEventRegisterAny).")
        case .inventory:
            PartDeclaration(
                help:
                    "Autostart, persistent and managed-save flags of each domain (six filtered virConnectListAllDomains per collection)."
            )
        }
    }

    /// What the part collects, for `--help` and the README.
    public var help: String { declaration.help }

    /// Whether the part is on unless `--collector.disable-defaults` is given. Off by default: the
    /// families few read that would multiply a fleet's series (per vCPU, per disk) or cost libvirtd
    /// a QEMU monitor command for numbers outside any dashboard (`kvm`, `dirtyrate`), and the guest
    /// agents' report, which needs a process of its own with a read-write connection.
    public var isDefault: Bool { declaration.isDefault }

    /// The part whose group brings this part's families, for the parts that are some of a group's
    /// families; `nil` for the others.
    public var parent: CollectorPart? { declaration.parent }

    /// The bulk call's stats group (`virDomainStatsTypes`), for the bulk parts; pinned against
    /// libvirt's headers in `CLibvirt.h`.
    var bulkGroup: UInt32? { declaration.bulkGroup }

    public static func < (lhs: CollectorPart, rhs: CollectorPart) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What one collector part is, declared once (``CollectorPart/declaration``).
struct PartDeclaration: Sendable {
    /// What it collects, for `--help`, `virt-exporter parts` and the README.
    let help: String
    /// Whether it is on unless `--collector.disable-defaults` is given.
    var isDefault = true
    /// The part whose group brings its families, for a part that is some of a group's families.
    var parent: CollectorPart?
    /// Its bulk stats group (`virDomainStatsTypes`), for a part that is one.
    var bulkGroup: UInt32?
}
