import StatsCollector
import TestSupport
import Testing

@testable import virt_exporter

/// Every collector part is one case of ``CollectorPart``, and everything about it follows from
/// that list: its two flags, its config key, its place in the collection scope, the `parts`
/// listing, `--help`, the README's parts table and the reference. A part missing from any of them
/// fails here.
@Suite struct PartRegistryTests {
    private func scope(_ arguments: [String], file json: String? = nil) throws -> CollectionScope {
        try ExporterConfiguration.resolved(arguments, file: json).collectors.scope
    }

    /// The part with the group it is some families of, which must be on with it.
    private func withParent(_ part: CollectorPart) -> Set<CollectorPart> {
        Set([part] + (part.parent.map { [$0] } ?? []))
    }

    @Test(arguments: CollectorPart.allCases)
    func eachPartHasItsFlagsAndKey(part: CollectorPart) throws {
        let named = withParent(part)
        let on = try scope(["--collector.disable-defaults"] + named.map { "--collector.\($0.rawValue)" })
        #expect(on.parts == named, "--collector.\(part.rawValue) switches it on")
        let off = try scope(["--no-collector.\(part.rawValue)"])
        #expect(!off.parts.contains(part), "--no-collector.\(part.rawValue) switches it off")
        let keys = named.map { "\"\($0.rawValue)\": true" }.joined(separator: ", ")
        let file = try scope([], file: #"{"collector": {"disable-defaults": true, \#(keys)}}"#)
        #expect(file.parts == named, "the config key collector.\(part.rawValue)")
        #expect(ConfigFile.keyNames.contains("collector.\(part.rawValue)"))
    }

    @Test func eachPartIsListedWhereUsersLook() throws {
        let help = CollectorFlags.partsHelp
        let listing = PartsDocument.text()
        let reference = try Fixtures.text("../docs/metrics.md")
        let readme = try Fixtures.text("../README.md")
        for part in CollectorPart.allCases {
            #expect(help.contains("--[no-]collector.\(part.rawValue) ("), "--help lists \(part.rawValue)")
            #expect(listing.contains("\n\(part.rawValue): "), "virt-exporter parts lists \(part.rawValue)")
            #expect(reference.contains("\n| \(part.rawValue) | "), "docs/metrics.md lists \(part.rawValue)")
            #expect(readme.contains("| `\(part.rawValue)` |"), "the README's parts table has \(part.rawValue)")
        }
    }

    @Test func anArgumentThatIsNoPartsFlagIsRefused() throws {
        #expect(throws: (any Error).self) { try scope(["--collector.no-such-part"]) }
        #expect(throws: (any Error).self) { try scope(["--no-collector.cpu-detail"]) }
        #expect(throws: (any Error).self) { try scope(["stray"]) }
        #expect(try scope(["--collector.kvm", "--no-collector.kvm"]).parts.contains(.kvm) == false, "the last wins")
    }
}
