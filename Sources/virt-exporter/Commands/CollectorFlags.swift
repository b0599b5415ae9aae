import ArgumentParser
import StatsCollector

/// `--[no-]collector.<part>` for each part of the collection, `--collector.disable-defaults`, and
/// the domain patterns.
struct CollectorFlags: ParsableArguments {
    @Flag(name: .customLong("collector.cpu"), inversion: .prefixedNo, help: .init(CollectorPart.cpu.help))
    var cpu: Bool?
    @Flag(name: .customLong("collector.balloon"), inversion: .prefixedNo, help: .init(CollectorPart.balloon.help))
    var balloon: Bool?
    @Flag(name: .customLong("collector.vcpu"), inversion: .prefixedNo, help: .init(CollectorPart.vcpu.help))
    var vcpu: Bool?
    @Flag(name: .customLong("collector.interface"), inversion: .prefixedNo, help: .init(CollectorPart.interface.help))
    var interface: Bool?
    @Flag(name: .customLong("collector.block"), inversion: .prefixedNo, help: .init(CollectorPart.block.help))
    var block: Bool?
    @Flag(name: .customLong("collector.perf"), inversion: .prefixedNo, help: .init(CollectorPart.perf.help))
    var perf: Bool?
    @Flag(name: .customLong("collector.iothread"), inversion: .prefixedNo, help: .init(CollectorPart.iothread.help))
    var iothread: Bool?
    @Flag(name: .customLong("collector.memory"), inversion: .prefixedNo, help: .init(CollectorPart.memory.help))
    var memory: Bool?
    @Flag(name: .customLong("collector.dirtyrate"), inversion: .prefixedNo, help: .init(CollectorPart.dirtyrate.help))
    var dirtyrate: Bool?
    @Flag(name: .customLong("collector.kvm"), inversion: .prefixedNo, help: .init(CollectorPart.kvm.help))
    var kvm: Bool?
    @Flag(name: .customLong("collector.cpustats"), inversion: .prefixedNo, help: .init(CollectorPart.cpustats.help))
    var cpustats: Bool?
    @Flag(name: .customLong("collector.jobs"), inversion: .prefixedNo, help: .init(CollectorPart.jobs.help))
    var jobs: Bool?
    @Flag(name: .customLong("collector.metadata"), inversion: .prefixedNo, help: .init(CollectorPart.metadata.help))
    var metadata: Bool?
    @Flag(name: .customLong("collector.pools"), inversion: .prefixedNo, help: .init(CollectorPart.pools.help))
    var pools: Bool?
    @Flag(name: .customLong("collector.host"), inversion: .prefixedNo, help: .init(CollectorPart.host.help))
    var host: Bool?
    @Flag(name: .customLong("collector.guest"), inversion: .prefixedNo, help: .init(CollectorPart.guest.help))
    var guest: Bool?
    @Option(
        name: .customLong("collector.guest-report-file"),
        help:
            "The report file virt-exporter guest-agent writes, which the guest part reads. (default: \(CollectionScope.defaultGuestReportPath))"
    )
    var guestReportFile: String?
    @Flag(name: .customLong("collector.events"), inversion: .prefixedNo, help: .init(CollectorPart.events.help))
    var events: Bool?
    @Flag(name: .customLong("collector.inventory"), inversion: .prefixedNo, help: .init(CollectorPart.inventory.help))
    var inventory: Bool?

    @Flag(
        name: .customLong("collector.inactive-domains"), inversion: .prefixedNo,
        help:
            "Show defined domains that do not run (default: on). Off leaves them out altogether, for hosts where migrations leave stale definitions behind."
    )
    var inactiveDomains: Bool?

    @Flag(
        name: .customLong("collector.disable-defaults"),
        help: "Turn every collector part off, except those switched on with --collector.<part>.")
    var disableDefaults = false

    @Option(
        name: .customLong("collector.domain-include"),
        help: "Collect only domains whose whole name matches this regular expression.")
    var includePattern: String?

    @Option(
        name: .customLong("collector.domain-exclude"),
        help: "Collect no domain whose whole name matches this regular expression.")
    var excludePattern: String?

    /// The parts switched by flag, by part.
    private var switched: [CollectorPart: Bool?] {
        [
            .cpu: cpu, .balloon: balloon, .vcpu: vcpu, .interface: interface, .block: block, .perf: perf,
            .iothread: iothread, .memory: memory, .dirtyrate: dirtyrate, .kvm: kvm, .cpustats: cpustats, .jobs: jobs,
            .metadata: metadata, .pools: pools, .host: host, .guest: guest, .events: events, .inventory: inventory,
        ]
    }

    /// Applies the flags given over `choices`.
    func apply(to choices: inout CollectorChoices) throws(ConfigurationError) {
        if disableDefaults { choices.disableDefaults = true }
        if let inactiveDomains { choices.inactiveDomains = inactiveDomains }
        for (part, choice) in switched {
            if let choice { choices.parts[part] = choice }
        }
        if let includePattern {
            choices.includePattern = try CollectorChoices.checked(includePattern, from: "--collector.domain-include")
        }
        if let excludePattern {
            choices.excludePattern = try CollectorChoices.checked(excludePattern, from: "--collector.domain-exclude")
        }
        if let guestReportFile {
            choices.guestReportPath = try CollectorChoices.checkedPath(
                guestReportFile, from: "--collector.guest-report-file")
        }
    }
}
