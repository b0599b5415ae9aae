/// Where the collector gets domain stats from. ``LibvirtStatsSource`` reads a live libvirt
/// connection; ``FixtureStatsSource`` replays captured records for tests and benchmarks.
public protocol StatsSource: Sendable {
    /// Fetches every domain's stats.
    ///
    /// Throws a ``CollectionError`` when nothing could be collected (for example, the hypervisor
    /// is unreachable); the collector then reports `libvirt_up 0`. Failures that cost only part
    /// of the data are returned in ``StatsBatch/errors`` instead.
    func fetchStats() async throws(CollectionError) -> StatsBatch
}
