import StatsCollector

/// Synthetic `virConnectGetAllDomainStats` records for any number of domains.
///
/// Every domain has the field list of the running domain `tb-net` in
/// `Tests/StatsCollectorTests/Fixtures/kvm-domains.json` (state, cpu, balloon, vcpu with KVM's
/// per-vCPU statistics, net, block, dirtyrate and KVM's `vm.*` statistics), widened to 2 vCPUs,
/// 2 disks and 2 network interfaces: 178 typed parameters per domain. Values are deterministic
/// per domain index (a seeded generator picks uptime, activity, memory and disk sizes) and grow
/// with `step`, which advances every domain's clock by ``interval`` seconds, so that two
/// consecutive steps look like two consecutive collections.
enum SyntheticDomains {
    static let vcpusPerDomain = 2
    static let disksPerDomain = 2
    static let interfacesPerDomain = 2
    /// Seconds between two steps: the collector's default interval.
    static let interval = 15.0

    /// The domain counts every benchmark runs at.
    static let scales = [10, 100, 1_000, 10_000]

    /// `count` domains at collection number `step`.
    static func make(count: Int, step: Int = 0) -> [DomainStats] {
        (0..<count).map { domain(index: $0, step: step) }
    }

    /// The typed parameters per domain, for throughput figures.
    static let parametersPerDomain = domain(index: 0, step: 0).parameters.count

    // MARK: - One domain

    private struct Profile {
        let uptime: Double  // seconds since the domain started, at step 0
        let activity: Double  // multiplier of every rate, 0.1 (idle) to 2 (busy)
        let memoryKiB: UInt64
        let userShare: Double
        let blockedVCPU: Int  // the vCPU that is halted at sample time
        let diskCapacities: [UInt64]
        let diskFill: [Double]
        let readShare: Double
        let bootTime: Double  // Unix time the domain started
    }

    private static func profile(index: Int) -> Profile {
        var random = SplitMix64(seed: UInt64(index) &+ 0x5EED)
        let memoryGiB: [UInt64] = [1, 2, 4, 4, 8, 8, 16, 32]
        let diskGiB: [UInt64] = [10, 20, 40, 50, 100, 200]
        let uptime = random.double(in: 3_600...2_592_000)
        return Profile(
            uptime: uptime,
            activity: random.double(in: 0.1...2),
            memoryKiB: memoryGiB[random.int(below: memoryGiB.count)] * 1_048_576,
            userShare: random.double(in: 0.4...0.8),
            blockedVCPU: random.int(below: vcpusPerDomain + 1),
            diskCapacities: (0..<disksPerDomain).map { _ in diskGiB[random.int(below: diskGiB.count)] << 30 },
            diskFill: (0..<disksPerDomain).map { _ in random.double(in: 0.05...0.95) },
            readShare: random.double(in: 0.2...0.8),
            bootTime: 1_763_800_000 - uptime
        )
    }

    static func name(index: Int) -> String {
        "vm-" + String(index).leftPadded(to: 5)
    }

    private static func uuid(index: Int) -> String {
        var random = SplitMix64(seed: UInt64(index) &* 0x9E37_79B9)
        let hex = (0..<2).map { _ in String(random.next(), radix: 16).leftPadded(to: 16) }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    static func domain(index: Int, step: Int) -> DomainStats {
        let profile = Self.profile(index: index)
        let time = profile.uptime + Double(step) * interval
        let name = Self.name(index: index)
        var parameters: [TypedParameter] = []
        parameters.reserveCapacity(180)

        func counter(_ field: String, perSecond rate: Double) {
            parameters.append(TypedParameter(field: field, value: .ullong(UInt64(rate * profile.activity * time))))
        }
        func gauge(_ field: String, _ value: UInt64) {
            parameters.append(TypedParameter(field: field, value: .ullong(value)))
        }
        func add(_ field: String, _ value: TypedValue) {
            parameters.append(TypedParameter(field: field, value: value))
        }

        // state
        add("state.state", .int(1))  // running
        add("state.reason", .int(1))  // booted
        // cpu: nanoseconds; the domain uses `activity` cores on average
        let cpuRate = 1e9 * profile.activity / 2
        counter("cpu.time", perSecond: cpuRate)
        counter("cpu.user", perSecond: cpuRate * profile.userShare)
        counter("cpu.system", perSecond: cpuRate * (1 - profile.userShare))
        add("cpu.cache.monitor.count", .uint(0))
        counter("cpu.haltpoll.success.time", perSecond: 2e5)
        counter("cpu.haltpoll.fail.time", perSecond: 4e4)
        // balloon: KiB
        gauge("balloon.current", profile.memoryKiB)
        gauge("balloon.maximum", profile.memoryKiB)
        gauge("balloon.last-update", UInt64(profile.bootTime + time) / 10 * 10)
        gauge("balloon.rss", profile.memoryKiB / 100 * UInt64(55 + index % 40))
        // vcpu
        add("vcpu.current", .uint(UInt32(vcpusPerDomain)))
        add("vcpu.maximum", .uint(UInt32(vcpusPerDomain)))
        for vcpu in 0..<vcpusPerDomain {
            let prefix = "vcpu.\(vcpu)."
            let halted = vcpu == profile.blockedVCPU
            add(prefix + "state", .int(1))
            counter(prefix + "time", perSecond: cpuRate * 0.45)
            counter(prefix + "wait", perSecond: 2e6)
            counter(prefix + "delay", perSecond: 6e6)
            for stat in vcpuKVMStats {
                switch stat.kind {
                case .sum(let rate): counter(prefix + stat.name, perSecond: rate)
                case .boolean: add(prefix + stat.name, .boolean(stat.name.hasPrefix("blocking") && halted))
                case .gauge: gauge(prefix + stat.name, 0)
                }
            }
        }
        // net: bytes and packets
        add("net.count", .uint(UInt32(interfacesPerDomain)))
        for interface in 0..<interfacesPerDomain {
            let prefix = "net.\(interface)."
            let share = interface == 0 ? 1.0 : 0.1
            add(prefix + "name", .string("vnet\(index * interfacesPerDomain + interface)"))
            counter(prefix + "rx.bytes", perSecond: 400_000 * share)
            counter(prefix + "rx.pkts", perSecond: 400 * share)
            counter(prefix + "rx.errs", perSecond: 0)
            counter(prefix + "rx.drop", perSecond: 0.01 * share)
            counter(prefix + "tx.bytes", perSecond: 250_000 * share)
            counter(prefix + "tx.pkts", perSecond: 300 * share)
            counter(prefix + "tx.errs", perSecond: 0)
            counter(prefix + "tx.drop", perSecond: 0)
        }
        // block: requests, bytes, nanoseconds, bytes
        add("block.count", .uint(UInt32(disksPerDomain)))
        for disk in 0..<disksPerDomain {
            let prefix = "block.\(disk)."
            let target = "vd" + String(UnicodeScalar(UInt8(ascii: "a") + UInt8(disk)))
            let share = disk == 0 ? 1.0 : 0.2
            let read = profile.readShare * share
            let write = (1 - profile.readShare) * share
            add(prefix + "name", .string(target))
            add(prefix + "path", .string("/var/lib/libvirt/images/\(name)-\(target).qcow2"))
            add(prefix + "backingIndex", .uint(1))
            counter(prefix + "rd.reqs", perSecond: 60 * read)
            counter(prefix + "rd.bytes", perSecond: 2_400_000 * read)
            counter(prefix + "rd.times", perSecond: 3e7 * read)
            counter(prefix + "wr.reqs", perSecond: 40 * write)
            counter(prefix + "wr.bytes", perSecond: 1_300_000 * write)
            counter(prefix + "wr.times", perSecond: 5e7 * write)
            counter(prefix + "fl.reqs", perSecond: 2 * share)
            counter(prefix + "fl.times", perSecond: 4e6 * share)
            let capacity = profile.diskCapacities[disk]
            let allocation = UInt64(Double(capacity) * profile.diskFill[disk])
            gauge(prefix + "allocation", allocation)
            gauge(prefix + "capacity", capacity)
            gauge(prefix + "physical", allocation + 196_608)
        }
        // dirtyrate: never calculated, as in the fixture
        add("dirtyrate.calc_status", .int(0))
        add("dirtyrate.calc_start_time", .llong(0))
        add("dirtyrate.calc_period", .int(0))
        add("dirtyrate.calc_mode", .string("page-sampling"))
        // vm: KVM's per-VM statistics
        for stat in vmKVMStats {
            switch stat.kind {
            case .sum(let rate): counter("vm." + stat.name, perSecond: rate)
            case .gauge(let perGiB): gauge("vm." + stat.name, UInt64(perGiB * Double(profile.memoryKiB >> 20)))
            case .boolean: add("vm." + stat.name, .boolean(false))
            }
        }
        // job: virDomainGetJobStats, which the collector asks every running domain; no job runs
        add("job.type", .int(0))
        return DomainStats(name: name, uuid: Self.uuid(index: index), parameters: parameters)
    }

    /// The job stats of an outgoing live migration, `second` seconds in, as `virDomainGetJobStats`
    /// reports them while it runs (the fields of QEMU 7.2's migration): what the job poller
    /// delivers every second.
    static func migrationJob(second: Int) -> [TypedParameter] {
        let elapsed = UInt64(second) * 1_000
        let memoryTotal: UInt64 = 4 << 30
        let memoryProcessed = min(memoryTotal, UInt64(second) * 120_000_000)
        let diskTotal: UInt64 = 20 << 30
        let diskProcessed = min(diskTotal, UInt64(second) * 90_000_000)
        let ullongs: [(String, UInt64)] = [
            ("time_elapsed", elapsed), ("time_elapsed_net", elapsed - 3), ("downtime", 300), ("downtime_net", 297),
            ("setup_time", 12), ("data_total", memoryTotal + diskTotal),
            ("data_processed", memoryProcessed + diskProcessed),
            ("data_remaining", memoryTotal + diskTotal - memoryProcessed - diskProcessed),
            ("memory_total", memoryTotal),
            ("memory_processed", memoryProcessed), ("memory_remaining", memoryTotal - memoryProcessed),
            ("memory_constant", 400_000 + UInt64(second) * 1_000), ("memory_normal", memoryProcessed / 4_096),
            ("memory_normal_bytes", memoryProcessed), ("memory_bps", 120_000_000), ("memory_dirty_rate", 2_500),
            ("memory_page_size", 4_096), ("memory_iteration", UInt64(second / 30)), ("memory_postcopy_requests", 0),
            ("disk_total", diskTotal), ("disk_processed", diskProcessed), ("disk_remaining", diskTotal - diskProcessed),
            ("disk_bps", 90_000_000),
        ]
        return [
            TypedParameter(field: "job.type", value: .int(2)), TypedParameter(field: "job.operation", value: .int(3)),
        ]
            + ullongs.map { TypedParameter(field: "job." + $0.0, value: .ullong($0.1)) }
            + [TypedParameter(field: "job.auto_converge_throttle", value: .int(0))]
            + [TypedParameter(field: "migration.max_downtime", value: .ullong(300))]
    }

    // MARK: - KVM statistics, names and order as in the fixture

    private enum StatKind {
        /// A cumulative count growing at this many events per second of uptime (× activity).
        case sum(Double)
        /// A current value, this much per GiB of guest memory.
        case gauge(Double)
        case boolean
    }

    private struct Stat {
        let name: String
        let kind: StatKind
        init(_ name: String, _ kind: StatKind) {
            self.name = name
            self.kind = kind
        }
    }

    /// `vcpu.<n>.*`: the fixture's 44 statistics; rates of a moderately busy guest.
    private static let vcpuKVMStats: [Stat] = [
        Stat("insn_emulation.sum", .sum(2_000)), Stat("halt_exits.sum", .sum(300)), Stat("pf_emulate.sum", .sum(0.5)),
        Stat("invlpg.sum", .sum(0)), Stat("pf_spurious.sum", .sum(0.2)), Stat("hypercalls.sum", .sum(5)),
        Stat("halt_wait_ns.sum", .sum(8e8)), Stat("pf_parked.sum", .sum(0)), Stat("signal_exits.sum", .sum(0.05)),
        Stat("irq_exits.sum", .sum(40)), Stat("tlb_flush.sum", .sum(10)), Stat("exits.sum", .sum(1_500)),
        Stat("irq_injections.sum", .sum(350)), Stat("pf_mmio_spte_created.sum", .sum(0.01)),
        Stat("request_irq_exits.sum", .sum(0.1)), Stat("io_exits.sum", .sum(60)),
        Stat("halt_successful_poll.sum", .sum(120)), Stat("pf_fast.sum", .sum(15)),
        Stat("irq_window_exits.sum", .sum(2)), Stat("insn_emulation_fail.sum", .sum(0)), Stat("pf_taken.sum", .sum(25)),
        Stat("nmi_injections.sum", .sum(0)), Stat("l1d_flush.sum", .sum(0)), Stat("preemption_reported.sum", .sum(3)),
        Stat("blocking.cur", .boolean), Stat("fpu_reload.sum", .sum(60)), Stat("halt_poll_invalid.sum", .sum(0)),
        Stat("pf_guest.sum", .sum(0)), Stat("nested_run.sum", .sum(0)), Stat("halt_attempted_poll.sum", .sum(200)),
        Stat("halt_wakeup.sum", .sum(300)), Stat("halt_poll_success_ns.sum", .sum(2e6)),
        Stat("directed_yield_attempted.sum", .sum(0.5)), Stat("notify_window_exits.sum", .sum(0)),
        Stat("host_state_reload.sum", .sum(180)), Stat("nmi_window_exits.sum", .sum(0)),
        Stat("guest_mode.cur", .boolean),
        Stat("directed_yield_successful.sum", .sum(0.2)), Stat("req_event.sum", .sum(400)),
        Stat("mmio_exits.sum", .sum(8)), Stat("preemption_other.sum", .sum(4)), Stat("pf_park_timeouts.sum", .sum(0)),
        Stat("pf_fixed.sum", .sum(20)), Stat("halt_poll_fail_ns.sum", .sum(5e5)),
    ]

    /// `vm.*`: the fixture's 16 statistics.
    private static let vmKVMStats: [Stat] = [
        Stat("pages_1g.cur", .gauge(0)), Stat("mmu_kicks_spared.sum", .sum(0)), Stat("pages_4k.cur", .gauge(26_214)),
        Stat("remote_tlb_flush.sum", .sum(2)), Stat("mmu_recycled.sum", .sum(0)), Stat("pages_2m.cur", .gauge(460)),
        Stat("mmu_cache_miss.sum", .sum(0.5)), Stat("nx_lpage_splits.cur", .gauge(120)),
        Stat("mmu_flooded.sum", .sum(0)),
        Stat("remote_tlb_flush_requests.sum", .sum(2.5)), Stat("mmu_pde_zapped.sum", .sum(0)),
        Stat("mmu_pte_write.sum", .sum(0)), Stat("mmu_unsync.cur", .gauge(0)), Stat("max_mmu_rmap_size.max", .gauge(4)),
        Stat("mmu_shadow_zapped.sum", .sum(0.8)), Stat("max_mmu_page_hash_collisions.max", .gauge(1)),
    ]
}

/// A small deterministic generator (SplitMix64), so every run sees the same domains.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func double(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + Double(next() >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
    }

    mutating func int(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
