import PromFormat

/// The facts of each domain (``DomainFacts``), kept across collections and read again only when
/// they may have changed: for a domain not seen before, one whose UUID changed (defined anew), one
/// that started, one whose number of disks or interfaces changed, one named by
/// ``invalidate(_:)`` (libvirt's metadata-change and device events), and, as a safety net, each
/// one every ``refreshPeriod``. On a steady host a collection reads none. An invalidation is
/// cleared only by a read that started after it: one that arrives while the XML is being read
/// may not be in it, and is kept for the next collection.
struct DomainFactsCache {
    private struct Entry {
        let uuid: String
        let facts: DomainFacts
        let devices: [String]
        let wasActive: Bool
        let readAt: ContinuousClock.Instant
    }

    /// How long facts are kept at most before they are read again.
    static let refreshPeriod = Duration.seconds(600)

    private var entries: [ExactText: Entry] = [:]
    /// Domains invalidated since their facts were last read, with how many invalidations each got.
    private var invalidations: [ExactText: UInt64] = [:]

    /// The running domains of `records` whose facts must be read now, each with the invalidations
    /// seen, for ``store(_:of:at:clearing:)``.
    func domainsToRead(in records: [DomainStats], at now: ContinuousClock.Instant) -> [ExactText: UInt64] {
        var toRead: [ExactText: UInt64] = [:]
        for record in records where record.isActive {
            let seen = invalidations[record.nameKey] ?? 0
            if seen > 0 {
                toRead[record.nameKey] = seen
            } else if let entry = entries[record.nameKey] {
                if entry.uuid != record.uuid || !entry.wasActive || entry.devices != Self.devices(of: record)
                    || now - entry.readAt >= Self.refreshPeriod
                {
                    toRead[record.nameKey] = 0
                }
            } else {
                toRead[record.nameKey] = 0
            }
        }
        return toRead
    }

    /// Keeps the facts just read from `record`'s domain XML, and clears the domain's invalidation
    /// unless more than the read's `seen` arrived meanwhile.
    mutating func store(
        _ facts: DomainFacts, of record: DomainStats, at now: ContinuousClock.Instant, clearing seen: UInt64
    ) {
        entries[record.nameKey] = Entry(
            uuid: record.uuid, facts: facts, devices: Self.devices(of: record), wasActive: record.isActive, readAt: now)
        if invalidations[record.nameKey] == seen { invalidations[record.nameKey] = nil }
    }

    /// The facts of `record`'s domain, if read; a stopped domain's are marked so that its start reads them again.
    mutating func facts(of record: DomainStats) -> DomainFacts? {
        guard let entry = entries[record.nameKey], entry.uuid == record.uuid else { return nil }
        if !record.isActive, entry.wasActive {
            entries[record.nameKey] = Entry(
                uuid: entry.uuid, facts: entry.facts, devices: entry.devices, wasActive: false, readAt: entry.readAt)
        }
        return entry.facts
    }

    /// Marks `domain`'s facts as possibly changed, so that the next collection reads them again.
    mutating func invalidate(_ domain: String) {
        invalidations[ExactText(domain), default: 0] += 1
    }

    /// Forgets the domains not in `names`, which are gone.
    mutating func keep(only names: Set<ExactText>) {
        entries = entries.filter { names.contains($0.key) }
        invalidations = invalidations.filter { names.contains($0.key) }
    }

    /// Domains with facts or an invalidation, for tests that per-domain state stays bounded.
    var retainedDomainCount: Int { entries.count + invalidations.count }

    /// The names of the record's disks and interfaces, in order: a change means a device came or went.
    private static func devices(of record: DomainStats) -> [String] {
        // `block.<n>.name` and `net.<n>.name`, by a cheap test: this runs for every record.
        record.parameters.compactMap { parameter in
            let field = parameter.field
            guard field.hasSuffix(".name"), field.hasPrefix("block.") || field.hasPrefix("net."),
                field.utf8.filter({ $0 == UInt8(ascii: ".") }).count == 2
            else { return nil }
            return parameter.value.stringValue
        }
    }
}
