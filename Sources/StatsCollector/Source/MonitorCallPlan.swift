import PromFormat

/// Which running domains go together in one `virDomainListGetStats` for the stats groups that
/// enter the QEMU monitor, so that any number of hung QEMUs hold up the healthy domains at most
/// once each.
///
/// Such a call takes each domain's job in turn and waits for a QEMU that does not answer; with
/// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT` it skips a domain whose job someone holds, and a
/// domain whose QEMU hangs while our call waits in its monitor has its job held by that call. So a
/// call waits only for a hung domain whose job is free, the first time it is asked: the call holds
/// it from then on, and the gate keeps that domain out of later calls until the call returns.
///
/// Domains that answered last time go in batches of ``batchSize``: a QEMU that hangs now holds up
/// its batch once. The other members of a call that did not answer in time, or failed, are asked
/// alone until they answer: each then holds up nobody but itself, however many of them hang, and
/// the healthy ones answer in the very next collection.
struct MonitorCallPlan {
    /// The most domains one call reads: small, so that a hang costs few domains one collection's
    /// stats; large enough that a host of 100 domains needs 13 calls, not 100.
    static let batchSize = 8

    /// Domains to ask alone, until they answer.
    private var alone: Set<ExactText> = []

    /// The calls for `domains`, in their order: each domain asked alone first, then batches of
    /// the others.
    func calls(for domains: [String]) -> [[String]] {
        var calls: [[String]] = []
        var together: [String] = []
        for domain in domains {
            if alone.contains(ExactText(domain)) { calls.append([domain]) } else { together.append(domain) }
        }
        for start in stride(from: 0, to: together.count, by: Self.batchSize) {
            calls.append(Array(together[start..<min(start + Self.batchSize, together.count)]))
        }
        return calls
    }

    /// Records that a call for `domains` answered in time.
    mutating func answered(_ domains: [String]) {
        for domain in domains { alone.remove(ExactText(domain)) }
    }

    /// Records that a call for `domains` did not answer in time, or failed: each is asked alone
    /// until it answers.
    mutating func didNotAnswer(_ domains: [String]) {
        for domain in domains { alone.insert(ExactText(domain)) }
    }

    /// Forgets the domains not in `names`, which are gone.
    mutating func keep(only names: Set<ExactText>) {
        alone.formIntersection(names)
    }

    /// Domains asked alone, for tests that per-domain state stays bounded.
    var retainedDomainCount: Int { alone.count }
}
