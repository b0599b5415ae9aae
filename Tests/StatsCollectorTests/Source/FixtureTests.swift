import Foundation
import TestSupport
import Testing

@testable import StatsCollector

/// The KVM fixtures were captured from real domains with `virt-exporter dump-stats`, then
/// `virsh domstats --raw`, with the running domains paused so that the numbers hold still.
/// Only the CPU time of the QEMU process itself keeps running while a domain is paused.
/// `kvm-domains` holds idle domains; `kvm-busy` a domain whose guest kept its disk and NIC busy
/// (`scripts/testbed/io.sh vxh-io 20`) and the testbed's shut-off `vx-off`.
@Suite struct FixtureTests {
    /// Fields that keep counting on a paused domain, so `virsh` read them a little later and higher.
    private static let stillCounting: Set<String> = ["cpu.time", "cpu.user", "cpu.system", "vcpu.<n>.delay"]
    /// Prefixes of the fields of the per-domain calls (`virDomainGetJobStats`, …), which
    /// `virsh domstats` does not print.
    private static let perDomainCallPrefixes = ["job.", "completedjob.", "cpustats.", "migration."]

    static func kvmDomains() throws -> [DomainStats] { try domains("kvm-domains") }
    static func kvmDomstats() throws -> DomstatsText { try domstats("kvm-domains") }
    static func kvmBusy() throws -> [DomainStats] { try domains("kvm-busy") }

    private static func domains(_ fixture: String) throws -> [DomainStats] {
        try FixtureStatsSource(json: Fixtures.data("StatsCollectorTests/Fixtures/\(fixture).json")).domains
    }

    private static func domstats(_ fixture: String) throws -> DomstatsText {
        DomstatsText(try Fixtures.text("StatsCollectorTests/Fixtures/\(fixture).domstats.txt"))
    }

    @Test(arguments: ["kvm-domains", "kvm-busy"])
    func typedParametersMatchTheDomstatsTextTheyWereCapturedWith(_ fixture: String) throws {
        let domains = try Self.domains(fixture)
        let domstats = try Self.domstats(fixture)
        #expect(Set(domains.map(\.name)) == Set(domstats.domains.keys))
        for domain in domains {
            let raw = try #require(domstats.domains[domain.name])
            let bulk = domain.parameters.filter { parameter in
                !Self.perDomainCallPrefixes.contains { parameter.field.hasPrefix($0) }
            }
            #expect(bulk.count == raw.count, "\(domain.name)")
            for parameter in bulk {
                let text = try #require(raw[parameter.field], "\(domain.name) \(parameter.field)")
                switch parameter.value {
                case .int(let value): #expect(String(value) == text)
                case .uint(let value): #expect(String(value) == text)
                case .llong(let value): #expect(String(value) == text)
                case .ullong(let value) where Self.stillCounting.contains(FieldPattern(field: parameter.field).pattern):
                    let later = try #require(UInt64(text))
                    #expect(later >= value && later - value < 50_000_000, "\(domain.name) \(parameter.field)")
                case .ullong(let value): #expect(String(value) == text)
                case .double(let value): #expect(Double(text) == value)
                case .boolean(let value): #expect((value ? "yes" : "no") == text)
                case .string(let value): #expect(value == text)
                }
            }
        }
    }

    @Test func typedValuesSurviveAJSONRoundTrip() throws {
        let parameters: [TypedParameter] = [
            .init(field: "a", value: .int(-1)), .init(field: "b", value: .uint(.max)),
            .init(field: "c", value: .llong(.min)), .init(field: "d", value: .ullong(.max)),
            .init(field: "e", value: .double(0.25)), .init(field: "f", value: .boolean(true)),
            .init(field: "g", value: .string("q\"\n")),
        ]
        let domain = DomainStats(name: "n", uuid: "u", parameters: parameters)
        let decoded = try JSONDecoder().decode(DomainStats.self, from: JSONEncoder().encode(domain))
        #expect(decoded == domain)
    }

    @Test func rejectsAFixtureWithAnUnknownType() {
        let json = #"[{"name": "d", "uuid": "u", "parameters": [{"field": "x", "type": "float", "value": 1}]}]"#
        #expect(throws: DecodingError.self) { try FixtureStatsSource(json: Data(json.utf8)) }
    }
}
