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
/// without waiting for the collection: a mark that arrives after a call decided to reuse the
/// domain's entry is kept for the next collection, so no job end is missed.
final class CompletedJobCache: Sendable {
    private struct Entry: Sendable {
        let fields: [TypedParameter]
        let readAt: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var entries: [String: Entry] = [:]
        /// Domains whose entry may be out of date since an event said so.
        var marked: Set<String> = []
    }

    private let state = Mutex(State())

    /// How old an entry may get before it is read again although nothing said it changed.
    static let refreshPeriod = Duration.seconds(600)

    /// The fields of `domain`'s last completed job as last read, if they may be used at `now`;
    /// `nil` when they must be read again. Takes the domain's mark.
    func reusableFields(of domain: String, at now: ContinuousClock.Instant) -> [TypedParameter]? {
        state.withLock { state in
            let wasMarked = state.marked.remove(domain) != nil
            guard !wasMarked, let entry = state.entries[domain], now - entry.readAt < Self.refreshPeriod else {
                return nil
            }
            return entry.fields
        }
    }

    /// Keeps `fields`, read at `time`, as `domain`'s last completed job.
    func store(_ fields: [TypedParameter], of domain: String, readAt time: ContinuousClock.Instant) {
        state.withLock { $0.entries[domain] = Entry(fields: fields, readAt: time) }
    }

    /// Marks `domain`'s entry as possibly out of date: a job of it ended, or it started, stopped
    /// or migrated.
    func jobMayHaveEnded(_ domain: String) {
        state.withLock { _ = $0.marked.insert(domain) }
    }

    /// Forgets every entry, after a reconnect: the daemon may be another one.
    func removeAll() {
        state.withLock { $0 = State() }
    }

    /// Forgets the domains not in `names`, which are gone.
    func keep(only names: Set<String>) {
        state.withLock { state in
            state.entries = state.entries.filter { names.contains($0.key) }
            state.marked.formIntersection(names)
        }
    }
}
