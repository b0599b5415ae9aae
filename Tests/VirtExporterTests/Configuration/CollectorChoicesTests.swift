import StatsCollector
import Testing

@testable import virt_exporter

@Suite struct CollectorChoicesTests {
    private func scope(_ arguments: [String], file json: String? = nil) throws -> CollectionScope {
        try ExporterConfiguration.resolved(arguments, file: json).collectors.scope
    }

    @Test func theDefaultPartsAreOnAndTheGuestPartIsNot() throws {
        #expect(try scope([]) == .defaults)
    }

    @Test func flagsSwitchPartsOverTheFileAndDisableDefaultsKeepsOnlyThoseNamed() throws {
        #expect(
            try scope(["--no-collector.kvm"]).parts
                == Set(CollectorPart.allCases.filter(\.isDefault)).subtracting([.kvm]))
        #expect(
            try scope(["--collector.disable-defaults", "--collector.jobs", "--collector.cpu"]).parts == [.jobs, .cpu])
        let file = #"{"collector": {"disable-defaults": true, "block": true, "balloon": true}}"#
        #expect(try scope(["--no-collector.balloon"], file: file).parts == [.block], "flags win over the file")
    }

    @Test func inactiveDomainsAreShownUnlessTheFlagOrTheFileSaysOtherwise() throws {
        #expect(try scope([]).inactiveDomains)
        #expect(try !scope(["--no-collector.inactive-domains"]).inactiveDomains)
        let file = #"{"collector": {"inactive-domains": false}}"#
        #expect(try !scope([], file: file).inactiveDomains)
        #expect(try scope(["--collector.inactive-domains"], file: file).inactiveDomains, "flags win over the file")
        #expect {
            try scope([], file: #"{"collector": {"inactive-domains": "no"}}"#)
        } throws: { error in
            "\(error)".contains("\"collector.inactive-domains\" must be true or false, got a string")
        }
    }

    @Test func domainPatternsAreCheckedAndNamed() throws {
        let chosen = try scope(["--collector.domain-include", "web-.*", "--collector.domain-exclude", "web-test"])
        #expect(chosen.includePattern == "web-.*")
        #expect(chosen.excludePattern == "web-test")
        #expect {
            try scope(["--collector.domain-include", "(web"])
        } throws: { error in
            "\(error)".hasPrefix("--collector.domain-include: not a valid regular expression: \"(web\"")
        }
        #expect {
            try scope([], file: #"{"collector": {"domain-exclude": "[a-"}}"#)
        } throws: { error in
            "\(error)".contains("\"collector.domain-exclude\": not a valid regular expression")
        }
        #expect {
            try scope([], file: #"{"collector": {"kvm": "off"}}"#)
        } throws: { error in
            "\(error)".contains("\"collector.kvm\" must be true or false, got a string")
        }
    }
}
