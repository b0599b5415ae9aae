import Logging
import StatsCollector

/// One collection of fixture domains through the public pipeline: a ``Collector`` reading a
/// ``FixtureStatsSource``, as the exporter reads libvirt, and the text of the snapshot it publishes.
enum FixtureCollection {
    /// The `/metrics` body of the first collection of `domains`.
    static func text(of domains: [DomainStats]) async throws -> String {
        let store = SnapshotStore()
        let collector = Collector(
            source: FixtureStatsSource(domains: domains), store: store, exporterVersion: "0.0.0-test",
            libvirtVersion: "9.0.0", logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        guard await collector.collectOnce(), let snapshot = store.latest else {
            throw FixtureCollectionError.noSnapshot
        }
        return String(decoding: snapshot.text.array, as: UTF8.self)
    }

    /// `text` without the exporter's self-metrics (`libvirt_up`, `libvirt_exporter_*`): their
    /// samples and their `# HELP` and `# TYPE` lines. What is left depends on the domains only.
    static func withoutSelfMetrics(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let name = metricName(of: line)
            return !(name == "libvirt_up" || name.hasPrefix("libvirt_exporter_"))
        }.joined(separator: "\n")
    }

    /// The metric a line is about: the third word of `# HELP` and `# TYPE`, else the sample's name.
    private static func metricName(of line: Substring) -> Substring {
        if line.hasPrefix("# ") { return line.split(separator: " ").dropFirst(2).first ?? "" }
        return line.prefix { $0 != "{" && $0 != " " }
    }
}

/// The collector published nothing, or says it did not reach its source.
enum FixtureCollectionError: Error {
    case noSnapshot
}
