/// Where the collector gets domain stats from. ``LibvirtStatsSource`` reads a live libvirt
/// connection; ``FixtureStatsSource`` replays captured records for tests and benchmarks.
public protocol StatsSource: Sendable {
    /// Fetches every domain's stats.
    ///
    /// Throws a ``CollectionError`` when nothing could be collected (for example, the hypervisor
    /// is unreachable); the collector then reports `libvirt_up 0`. Failures that cost only part
    /// of the data are returned in ``StatsBatch/errors`` instead.
    func fetchStats() async throws(CollectionError) -> StatsBatch

    /// Whether the domain called `name` is one this source collects (its domain patterns).
    func collects(domainNamed name: String) async -> Bool

    /// Tells the source that libvirt reported an event that may change facts it keeps about the
    /// domain (its metadata, its devices), so that it reads them again.
    func domainMayHaveChanged(_ name: String) async

    /// Tells the source that libvirt reported an event after which the domain's last completed
    /// job may differ (a job ended; it started, stopped or migrated), so that it reads it again.
    func jobMayHaveEnded(_ name: String) async
}

extension StatsSource {
    /// Every domain, unless the source says otherwise.
    public func collects(domainNamed name: String) async -> Bool { true }

    /// Nothing kept, unless the source says otherwise.
    public func domainMayHaveChanged(_ name: String) async {}

    /// Nothing kept, unless the source says otherwise.
    public func jobMayHaveEnded(_ name: String) async {}
}
