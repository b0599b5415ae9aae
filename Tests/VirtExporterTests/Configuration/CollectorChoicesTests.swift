import StatsCollector
import Testing

@testable import virt_exporter

@Suite struct CollectorChoicesTests {
    private func scope(_ arguments: [String], file json: String? = nil) throws -> CollectionScope {
        try ExporterConfiguration.resolved(arguments, file: json).collectors.scope
    }

    /// The parts a fleet cannot afford by default (README, "What each part costs in series").
    static let offByDefault: Set<CollectorPart> = [
        .cpuDetails, .vcpuDetails, .vcpuKVM, .blockTimes, .dirtyrate, .kvm, .guest,
    ]

    @Test func theExpensiveRarelyReadPartsAreOffByDefaultAndOneFlagAway() throws {
        let defaults = try scope([]).parts
        #expect(defaults == Set(CollectorPart.allCases).subtracting(Self.offByDefault))
        #expect(try scope(["--collector.vcpu-kvm"]).parts == defaults.union([.vcpuKVM]))
        #expect(try scope([], file: #"{"collector": {"kvm": true}}"#).parts == defaults.union([.kvm]))
        let every = CollectorPart.allCases.map { "--collector.\($0.rawValue)" }
        #expect(try scope(every) == .everything)
    }

    @Test func aPartOfAGroupNeedsItsGroup() throws {
        #expect {
            try scope(["--collector.vcpu-kvm", "--no-collector.vcpu"])
        } throws: { error in
            "\(error)".contains("collector part vcpu-kvm is some of the vcpu part's families, which is off")
        }
        #expect {
            try scope(["--collector.disable-defaults", "--collector.block-times"])
        } throws: { error in
            "\(error)".contains("collector part block-times")
        }
        // Off with its group, as a default, it is no error.
        #expect(try scope(["--no-collector.block"]).parts.isDisjoint(with: [.block, .blockTimes]))
    }

    @Test func familyAndDevicePatternsComeFromFlagsOverTheFile() throws {
        let file = """
            {"collector": {"metrics-include": "libvirt_domain_info_.*", "metrics-exclude": "a",
                           "block.device-include": "vd.*", "interface.device-exclude": "vnet9"}}
            """
        let chosen = try scope(
            [
                "--collector.metrics-exclude", "libvirt_domain_info_state_reason", "--collector.block.device-exclude",
                "vdb",
            ],
            file: file
        ).selection
        #expect(
            chosen
                == SelectionPatterns(
                    metricsInclude: "libvirt_domain_info_.*", metricsExclude: "libvirt_domain_info_state_reason",
                    blockDeviceInclude: "vd.*", blockDeviceExclude: "vdb", interfaceDeviceExclude: "vnet9"))
        #expect {
            try scope(["--collector.metrics-exclude", "(libvirt"])
        } throws: { error in
            "\(error)".hasPrefix("--collector.metrics-exclude: not a valid regular expression: \"(libvirt\"")
        }
        #expect {
            try scope([], file: #"{"collector": {"interface.device-include": "[a-"}}"#)
        } throws: { error in
            "\(error)".contains("\"collector.interface.device-include\": not a valid regular expression")
        }
    }

    @Test func flagsSwitchPartsOverTheFileAndDisableDefaultsKeepsOnlyThoseNamed() throws {
        let defaults = Set(CollectorPart.allCases).subtracting(Self.offByDefault)
        #expect(try scope(["--no-collector.cpustats"]).parts == defaults.subtracting([.cpustats]))
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
