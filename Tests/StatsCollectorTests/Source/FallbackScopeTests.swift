import Logging
import Testing

@testable import StatsCollector

/// The per-domain fallback of a driver without bulk stats (libvirt's test driver) keeps to the
/// parts asked for: it stands in for their bulk groups, not for parts the user turned off.
@Suite struct FallbackScopeTests {
    private static func fields(_ parts: Set<CollectorPart>) async throws -> Set<String> {
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "fallback-tests", maximumThreads: 4), deadline: .seconds(5),
            logger: Logger(label: "fallback-tests"))
        let source = try LibvirtStatsSource(
            uri: "test:///default", runner: runner, scope: CollectionScope(parts: parts),
            logger: Logger(label: "fallback-tests"))
        let batch = try await source.fetchStats()
        let domain = try #require(batch.domains.first { $0.isActive })
        return Set(domain.parameters.map(\.field))
    }

    @Test func everyPartOnReadsEveryFallbackGroup() async throws {
        let fields = try await Self.fields(Set(CollectorPart.allCases))
        for field in ["cpu.time", "balloon.current", "vcpu.current", "block.0.rd.reqs", "net.0.rx.bytes"] {
            #expect(fields.contains(field), "\(field) in \(fields.sorted())")
        }
    }

    @Test func onlyThePartsAskedForAreKept() async throws {
        let fields = try await Self.fields([.block, .jobs])
        #expect(fields.contains("block.0.rd.reqs"), "\(fields.sorted())")
        #expect(!fields.contains { $0.hasPrefix("cpu.") || $0.hasPrefix("balloon.") || $0.hasPrefix("net.") })
        #expect(!fields.contains("vcpu.current"))
    }

    @Test func noFallbackPartNoFallback() async throws {
        let fields = try await Self.fields([.jobs])
        #expect(fields.allSatisfy { $0.hasPrefix("state.") || $0.hasPrefix("job") }, "\(fields.sorted())")
    }
}
