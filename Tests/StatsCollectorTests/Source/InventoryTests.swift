import Logging
import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// The inventory flags (autostart, persistent, managed save) from the listing's own filters, and
/// the choice to leave inactive domains out, on scripted libvirt calls.
@Suite struct InventoryTests {
    /// The default parts but the host's, whose own listing (of inactive domains) these tests do not count.
    private static let domainParts = CollectionScope.defaults.parts.subtracting([.host])

    private static func source(_ connection: ScriptedConnection, scope: CollectionScope? = nil) throws
        -> LibvirtStatsSource
    {
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "inventory-tests", maximumThreads: 4), deadline: .seconds(5),
            logger: Logger(label: "inventory-tests"))
        return try LibvirtStatsSource(
            uri: "scripted:///", api: ScriptedLibvirt(connection), runner: runner,
            scope: scope ?? CollectionScope(parts: domainParts),
            logger: Logger(label: "inventory-tests"))
    }

    private static func shutOff(_ name: String) -> DomainStats {
        DomainStats(
            name: name, uuid: "uuid-\(name)",
            parameters: [.init(field: "state.state", value: .int(5)), .init(field: "state.reason", value: .int(1))])
    }

    /// web runs, starts with the host and is defined; tmp runs, transient; saved is shut off with
    /// a managed save image; new appeared between the listings and is in none of them.
    private static func host(failing: Bool = false) -> ScriptedConnection {
        let lists: [DomainListFilter: [String]] = [
            .autostart: ["web"], .noAutostart: ["tmp", "saved"], .persistent: ["web", "saved"], .transient: ["tmp"],
            .managedSave: ["saved"], .noManagedSave: ["web", "tmp"],
        ]
        return ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web"), runningDomain("tmp"), shutOff("saved"), runningDomain("new")]
            },
            onListFiltered: { filter throws(LibvirtError) in
                if failing {
                    throw LibvirtError(function: "virConnectListAllDomains", code: .noSupport, origin: 0, message: "no")
                }
                return lists[filter] ?? []
            })
    }

    private static func flags(_ batch: StatsBatch, _ name: String) -> [String: TypedValue] {
        let record = batch.domains.first { $0.name == name }
        let fields = record?.parameters.filter { $0.field.hasPrefix(MetricCatalog.InventoryFields.prefix) } ?? []
        return Dictionary(
            uniqueKeysWithValues: fields.map { ($0.field.dropFirst("inventory.".count).description, $0.value) })
    }

    @Test func eachFlagComesFromItsTwoListingsWithSixCallsWhateverTheDomains() async throws {
        let connection = Self.host()
        let batch = try await Self.source(connection).fetchStats()
        #expect(Self.flags(batch, "web") == ["autostart": .int(1), "persistent": .int(1), "managed_save": .int(0)])
        #expect(Self.flags(batch, "tmp") == ["autostart": .int(0), "persistent": .int(0), "managed_save": .int(0)])
        #expect(Self.flags(batch, "saved") == ["autostart": .int(0), "persistent": .int(1), "managed_save": .int(1)])
        #expect(Self.flags(batch, "new").isEmpty, "a domain no listing names gets no flag, not a guessed 0")
        let listings = connection.log.filter { $0.hasPrefix("virConnectListAllDomains ") }
        #expect(listings.count == 6, "\(connection.log)")
        #expect(!connection.log.contains { $0.hasPrefix("virDomainGetAutostart") })
        #expect(batch.errors.isEmpty, "\(batch.errors)")
    }

    @Test func theFlagsAreZeroOneGaugesOfTheirOwn() async throws {
        let batch = try await Self.source(Self.host()).fetchStats()
        var mapper = DomainStatsMapper()
        batch.domains.forEach { mapper.add($0) }
        let rendered = exposition(mapper)
        #expect(rendered.value("libvirt_domain_autostart", ["domain": "web"]) == 1)
        #expect(rendered.value("libvirt_domain_persistent", ["domain": "tmp"]) == 0)
        #expect(rendered.value("libvirt_domain_managed_save", ["domain": "saved"]) == 1)
        #expect(rendered.value("libvirt_domain_autostart", ["domain": "new"]) == nil)
        #expect(mapper.unmappedFields.isEmpty, "\(mapper.unmappedFields)")
    }

    @Test func aFailedListingCostsTheFlagsAloneAndIsCountedOnceWhenUnsupported() async throws {
        let connection = Self.host(failing: true)
        let source = try Self.source(connection)
        let batch = try await source.fetchStats()
        #expect(batch.domains.count == 4)
        #expect(batch.domains.allSatisfy { Self.flags(batch, $0.name).isEmpty })
        #expect(batch.errors.allSatisfy { $0.isExpected }, "unsupported: expected on this driver")
        let next = try await source.fetchStats()
        #expect(next.errors.isEmpty, "not asked again on this connection: \(next.errors)")
        #expect(connection.log.filter { $0.hasPrefix("virConnectListAllDomains ") }.count == 1)
        #expect(batch.domains.first { $0.name == "web" }?.parameters.contains { $0.field == "cpu.time" } == true)
        #expect(batch.errors.map(\.call) == ["virConnectListAllDomains"], "\(batch.errors)")
    }

    @Test func thePartOffMakesNoListing() async throws {
        let connection = Self.host()
        var parts = Self.domainParts
        parts.remove(.inventory)
        let batch = try await Self.source(connection, scope: CollectionScope(parts: parts)).fetchStats()
        #expect(connection.count("virConnectListAllDomains") == 0)
        #expect(batch.domains.allSatisfy { Self.flags(batch, $0.name).isEmpty })
    }

    @Test func inactiveDomainsCanBeLeftOut() async throws {
        let shown = try await Self.source(Self.host()).fetchStats()
        #expect(shown.domains.map(\.name).contains("saved"))
        let scope = CollectionScope(parts: Self.domainParts, inactiveDomains: false)
        let hidden = try await Self.source(Self.host(), scope: scope).fetchStats()
        #expect(hidden.domains.map(\.name).sorted() == ["new", "tmp", "web"])
    }
}

/// The text a mapper's families render to, parsed.
private func exposition(_ mapper: DomainStatsMapper) -> ParsedExposition {
    ParsedExposition(String(decoding: TextEncoder.encode(Array(mapper.families.values)), as: UTF8.self))
}
