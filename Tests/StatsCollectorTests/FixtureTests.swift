import Foundation
import TestSupport
import Testing

@testable import StatsCollector

/// The KVM fixture was captured from real domains with `virt-exporter dump-stats`, then
/// `virsh domstats --raw`, with the running domains paused so that the numbers hold still.
/// Only the CPU time of the QEMU process itself keeps running while a domain is paused.
@Suite struct FixtureTests {
    /// Fields that keep counting on a paused domain, so `virsh` read them a little later and higher.
    private static let stillCounting: Set<String> = ["cpu.time", "cpu.user", "cpu.system", "vcpu.<n>.delay"]

    static func kvmDomains() throws -> [DomainStats] {
        try FixtureStatsSource(json: Fixtures.data("StatsCollectorTests/Fixtures/kvm-domains.json")).domains
    }

    static func kvmDomstats() throws -> DomstatsText {
        DomstatsText(try Fixtures.text("StatsCollectorTests/Fixtures/kvm-domains.domstats.txt"))
    }

    @Test func typedParametersMatchTheDomstatsTextTheyWereCapturedWith() throws {
        let domains = try Self.kvmDomains()
        let domstats = try Self.kvmDomstats()
        #expect(Set(domains.map(\.name)) == Set(domstats.domains.keys))
        for domain in domains {
            let raw = try #require(domstats.domains[domain.name])
            #expect(domain.parameters.count == raw.count, "\(domain.name)")
            for parameter in domain.parameters {
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
