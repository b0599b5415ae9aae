import PromFormat
import Synchronization

/// Each running domain's last completed job, as a collection last read it
/// (`virDomainGetJobStats` with `VIR_DOMAIN_JOB_STATS_COMPLETED`), so that a collection asks for it
/// again only when it may have changed: libvirt's answer changes only when a job ends. It is read
/// again when the domain's active job is not none (a job runs now, so it may end any moment),
/// after a job-completed or lifecycle event of the domain (``jobMayHaveEnded(_:)``), after a
/// reconnect, and every ``refreshPeriod`` as a safety net. A steady host thus makes one job call
/// per running domain and collection instead of two.
///
/// The per-domain calls consult it on their own threads, and the event handler marks domains
/// without waiting for the collection. A mark is cleared only by a read that succeeds and that
/// started after it: a read that fails leaves it, so the next collection reads again, and a mark
/// that arrives while a read is under way is kept for the next collection, so no job end is missed.
final class CompletedJobCache: Sendable {
    private struct Entry: Sendable {
        let fields: [TypedParameter]
        let readAt: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var entries: [ExactText: Entry] = [:]
        /// Domains whose entry may be out of date since an event said so, with how many marks
        /// each got, so that a read clears only the marks it saw.
        var marks: [ExactText: UInt64] = [:]
    }

    /// What the cache knows of one domain at the start of a per-domain call.
    struct Lookup: Sendable {
        /// The fields of the domain's last completed job as last read, if they may be used;
        /// `nil` when they must be read again.
        let reusableFields: [TypedParameter]?
        /// The marks seen, for ``CompletedJobCache/store(_:of:readAt:clearing:)``.
        let marksSeen: UInt64
    }

    private let state = Mutex(State())

    /// How old an entry may get before it is read again although nothing said it changed.
    static let refreshPeriod = Duration.seconds(600)

    /// Whether `domain`'s last completed job as last read may be used at `now`: not when an event
    /// marked it since, nor when it is older than ``refreshPeriod``.
    func lookup(_ domain: String, at now: ContinuousClock.Instant) -> Lookup {
        state.withLock { state in
            let marks = state.marks[ExactText(domain)] ?? 0
            guard marks == 0, let entry = state.entries[ExactText(domain)], now - entry.readAt < Self.refreshPeriod
            else {
                return Lookup(reusableFields: nil, marksSeen: marks)
            }
            return Lookup(reusableFields: entry.fields, marksSeen: 0)
        }
    }

    /// Keeps `fields`, read at `time`, as `domain`'s last completed job, and clears the domain's
    /// mark unless more marks than the read's ``Lookup/marksSeen`` arrived meanwhile.
    func store(
        _ fields: [TypedParameter], of domain: String, readAt time: ContinuousClock.Instant, clearing marksSeen: UInt64
    ) {
        state.withLock { state in
            state.entries[ExactText(domain)] = Entry(fields: fields, readAt: time)
            if state.marks[ExactText(domain)] == marksSeen { state.marks[ExactText(domain)] = nil }
        }
    }

    /// Marks `domain`'s entry as possibly out of date: a job of it ended, or it started, stopped
    /// or migrated.
    func jobMayHaveEnded(_ domain: String) {
        state.withLock { $0.marks[ExactText(domain), default: 0] += 1 }
    }

    /// Domains with an entry or a mark, for tests that per-domain state stays bounded.
    var retainedDomainCount: Int { state.withLock { $0.entries.count + $0.marks.count } }

    /// Forgets every entry, after a reconnect: the daemon may be another one.
    func removeAll() {
        state.withLock { $0 = State() }
    }

    /// Forgets the domains not in `names`, which are gone.
    func keep(only names: Set<ExactText>) {
        state.withLock { state in
            state.entries = state.entries.filter { names.contains($0.key) }
            state.marks = state.marks.filter { names.contains($0.key) }
        }
    }
}
