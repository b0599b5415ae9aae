import PromFormat

/// Tells whether the bulk call returned all of a running domain's stats.
///
/// With `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT`, libvirt leaves out the stats that need a
/// domain's job when someone else holds it, such as a call stuck on a stopped QEMU: the record
/// then lacks fields (balloon, vCPU and KVM statistics) without saying so. So each running
/// domain's record is compared with the fields of its last complete one (their names with the
/// indices taken out). A record with at least those is complete. A record with fewer, or the
/// first one of a domain, is judged by the domain's control interface
/// (`virDomainGetControlInfo`, which libvirt answers without the job): free means complete, and
/// the record becomes the new baseline (a device was removed); busy means incomplete.
struct StatsCompleteness {
    /// What ``judge(_:)`` found.
    enum Verdict: Equatable {
        /// Every field the domain had before is there.
        case complete
        /// Fields are missing, or the domain is new: ask its control interface.
        case askControlInterface
    }

    private var baselines: [ExactText: Set<Int>] = [:]

    /// Judges one domain's record; a complete one becomes the domain's baseline.
    mutating func judge(_ domain: DomainStats) -> Verdict {
        guard domain.isActive, !domain.hasStateOnly else { return .complete }
        let shape = Self.shape(of: domain)
        guard let baseline = baselines[domain.nameKey], baseline.isSubset(of: shape) else {
            return .askControlInterface
        }
        baselines[domain.nameKey] = shape
        return .complete
    }

    /// Whether `domain`'s record may lack what needs its job: it lacks fields of its last complete
    /// record, or it is the domain's first, which nothing can be compared with.
    func mayBePartial(_ domain: DomainStats) -> Bool {
        guard domain.isActive, !domain.hasStateOnly else { return false }
        guard let baseline = baselines[domain.nameKey] else { return true }
        return !baseline.isSubset(of: Self.shape(of: domain))
    }

    /// Takes `domain`'s record as complete after its control interface was found free.
    mutating func accept(_ domain: DomainStats) {
        baselines[domain.nameKey] = Self.shape(of: domain)
    }

    /// Forgets the domains not in `names`, which are gone.
    mutating func keep(only names: Set<ExactText>) {
        baselines = baselines.filter { names.contains($0.key) }
    }

    /// Domains with a baseline, for tests that per-domain state stays bounded.
    var retainedDomainCount: Int { baselines.count }

    /// Whether a control interface in `info`'s state lets every stats group be read.
    static func isFree(_ info: DomainControlInfo) -> Bool {
        info.state == .ok
    }

    /// Hashes of the record's field names with every all-digit segment folded, so that the same
    /// fields of other devices or vCPUs count as the same field.
    private static func shape(of domain: DomainStats) -> Set<Int> {
        var shape = Set<Int>(minimumCapacity: domain.parameters.count)
        for parameter in domain.parameters {
            var hasher = Hasher()
            var inDigits = false
            for byte in parameter.field.utf8 {
                let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                if isDigit {
                    if !inDigits { hasher.combine(UInt8(ascii: "#")) }
                } else {
                    hasher.combine(byte)
                }
                inDigits = isDigit
            }
            shape.insert(hasher.finalize())
        }
        return shape
    }
}
