public import FoundationEssentials

/// A stats source that replays domain records decoded from JSON, as written by `virt-exporter dump-stats`.
public struct FixtureStatsSource: StatsSource {
    /// The records every fetch returns.
    public let domains: [DomainStats]

    /// Creates a source that returns `domains`.
    public init(domains: [DomainStats]) {
        self.domains = domains
    }

    /// Creates a source from the JSON array of domain records in `data`.
    public init(json data: Data) throws {
        domains = try JSONDecoder().decode([DomainStats].self, from: data)
    }

    public func fetchStats() async throws(CollectionError) -> StatsBatch {
        StatsBatch(domains: domains)
    }
}
