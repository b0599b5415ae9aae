import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// The series budget (README, "What each part costs in series") on the testbed: a domain of a
    /// common shape, 4 vCPUs, 2 disks and 2 NICs (`scripts/testbed/shape.sh`), gets at most a third
    /// of the 313 series it had when every part was on by default, and the README's flag set for
    /// the Go exporter's quantities with job and migration alerting gives at most 5 series more than
    /// Debian's Go exporter gives the same domain.
    @Suite struct BudgetTests {
        static let shape = "vx-budget-4cpu"
        /// Series of the shape with every part on by default, before the budget (issue 20).
        static let seriesBefore = 313
        /// The README's flag set for the Go exporter's quantities and job and migration alerting.
        static let goSet = [
            "--collector.disable-defaults", "--collector.cpu", "--collector.balloon", "--collector.vcpu",
            "--collector.interface", "--collector.block", "--collector.jobs", "--collector.events",
            "--collector.metrics-include",
            "libvirt_domain_(info_.*|block_stats_(read|write)_(bytes|requests)_total|interface_stats_.*|job_.*|completed_job_.*|migration_.*|events_total)",
        ]

        /// virt-exporter's output with `flags`, after more than two collections.
        private func scrape(_ flags: [String], _ uri: String) throws -> ParsedExposition {
            let exporter = try ExporterProcess(["--libvirt.uri", uri, "--collector.interval", "1s"] + flags)
            try exporter.waitUntilReady()
            Thread.sleep(forTimeInterval: 2.2)  // rates need two collections
            let exposition = ParsedExposition(try HTTPReply.fetch(port: exporter.port, path: "/metrics").text)
            #expect(exposition.value("libvirt_exporter_last_collection_success") == 1)
            return exposition
        }

        private static func perDomain(_ exposition: ParsedExposition, _ domains: [String]) -> [String: Int] {
            Dictionary(
                uniqueKeysWithValues: domains.map { domain in
                    (domain, exposition.series.count { $0.labels["domain"] == domain })
                })
        }

        @Test func theDefaultAndTheGoSetFitTheBudget() throws {
            let uri = try #require(Testbed.uri)
            try #require(
                FileManager.default.isExecutableFile(atPath: DebianCompatibilityTests.debianBinary),
                "\(DebianCompatibilityTests.debianBinary) is missing: scripts/test unpacks it")
            let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/testbed/shape.sh").path
            defer { _ = try? Testbed.run(script, ["down", Self.shape]) }
            try Testbed.run(script, ["up", Self.shape])
            let small = try #require(try Testbed.runningDomains().first)
            let domains = [small, Self.shape]

            let goExposition = try DebianCompatibilityTests.DebianExporter(uri: uri, arguments: []).scrape()
            let go = Self.perDomain(goExposition, domains)
            let defaults = Self.perDomain(try scrape([], uri), domains)
            let goSetExposition = try scrape(Self.goSet, uri)
            let goSet = Self.perDomain(goSetExposition, domains)
            let full = Self.perDomain(try scrape(Testbed.everyPartFlags(), uri), domains)

            #expect(try #require(defaults[Self.shape]) <= Self.seriesBefore / 3, "default \(defaults)")
            for domain in domains {
                let goCount = try #require(go[domain])
                #expect(goCount > 0, "Debian's exporter sees \(domain)")
                #expect(try #require(goSet[domain]) <= goCount + 5, "\(domain): Go set \(goSet), Go \(go)")
                #expect(try #require(full[domain]) > defaults[domain] ?? .max, "\(domain): every part gives more")
            }
            // Every family Debian's exporter gives the domain, or its equivalent, is in the Go set.
            let equivalents = ["libvirt_domain_state_code": "libvirt_domain_info_state"]
            let goFamilies = Set(goExposition.series.filter { $0.labels["domain"] == Self.shape }.map(\.name))
            let ours = Set(goSetExposition.series.filter { $0.labels["domain"] == Self.shape }.map(\.name))
            let missing = goFamilies.filter { !ours.contains(equivalents[$0] ?? $0) }
            #expect(missing.isEmpty, "Go families missing from the Go set: \(missing.sorted())")
            print(
                "E2E budget: series of \(small) and \(Self.shape): default \(defaults[small]!), \(defaults[Self.shape]!); every part \(full[small]!), \(full[Self.shape]!); Go set \(goSet[small]!), \(goSet[Self.shape]!); Debian's Go exporter \(go[small]!), \(go[Self.shape]!)"
            )
        }
    }
}
