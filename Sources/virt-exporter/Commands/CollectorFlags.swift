import ArgumentParser
import StatsCollector

/// `--[no-]collector.<part>` for each part of the collection (from ``CollectorPart``, not one
/// declaration a part here), `--collector.disable-defaults`, the domain patterns, and the family
/// and device patterns.
struct CollectorFlags: ParsableArguments {
    @Option(
        name: .customLong("collector.guest-report-file"),
        help:
            "The report file virt-exporter guest-agent writes, which the guest part reads. (default: \(CollectionScope.defaultGuestReportPath))"
    )
    var guestReportFile: String?

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

    @Option(
        name: .customLong("collector.metrics-include"),
        help: "Export only the domain and pool families whose whole name matches this regular expression.")
    var metricsInclude: String?

    @Option(
        name: .customLong("collector.metrics-exclude"),
        help: "Export no domain or pool family whose whole name matches this regular expression.")
    var metricsExclude: String?

    @Option(
        name: .customLong("collector.block.device-include"),
        help: "Export only the disks whose whole target (vda) or source path matches this regular expression.")
    var blockDeviceInclude: String?

    @Option(
        name: .customLong("collector.block.device-exclude"),
        help: "Export no disk whose whole target (vda) or source path matches this regular expression.")
    var blockDeviceExclude: String?

    @Option(
        name: .customLong("collector.interface.device-include"),
        help: "Export only the NICs whose whole target (vnet0) matches this regular expression.")
    var interfaceDeviceInclude: String?

    @Option(
        name: .customLong("collector.interface.device-exclude"),
        help: "Export no NIC whose whole target (vnet0) matches this regular expression.")
    var interfaceDeviceExclude: String?

    /// `--collector.<part>` and `--no-collector.<part>` for every part of ``CollectorPart``, read
    /// from the arguments no option above took: each part brings its two flags by itself, and
    /// `--help` lists them from the same list (``partsHelp``).
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var partSwitches: [String] = []

    private static let on = "--collector."
    private static let off = "--no-collector."

    /// The parts switched by flag, the last flag of a part winning; `nil` for an argument that is
    /// no part's flag.
    private static func switched(by arguments: [String]) -> (parts: [CollectorPart: Bool], unknown: String?) {
        var parts: [CollectorPart: Bool] = [:]
        for argument in arguments {
            let choice: (name: Substring, on: Bool)? =
                argument.hasPrefix(off)
                ? (argument.dropFirst(off.count), false)
                : argument.hasPrefix(on) ? (argument.dropFirst(on.count), true) : nil
            guard let choice, let part = CollectorPart(rawValue: String(choice.name)) else {
                return (parts, argument)
            }
            parts[part] = choice.on
        }
        return (parts, nil)
    }

    func validate() throws {
        if let unknown = Self.switched(by: partSwitches).unknown {
            throw ValidationError(
                unknown.hasPrefix("-") ? "Unknown option '\(unknown)'" : "Unexpected argument '\(unknown)'")
        }
    }

    /// The collector parts and their flags, for the commands' `--help`: from ``CollectorPart``.
    static var partsHelp: String {
        let lines = CollectorPart.allCases.map { part in
            "  --[no-]collector.\(part.rawValue) (\(part.isDefault ? "on" : "off") by default)\n      \(part.help)"
        }
        return "Collector parts, each switched on with --collector.<part> and off with --no-collector.<part>:\n"
            + lines.joined(separator: "\n")
    }

    /// Applies the flags given over `choices`.
    func apply(to choices: inout CollectorChoices) throws(ConfigurationError) {
        if disableDefaults { choices.disableDefaults = true }
        if let inactiveDomains { choices.inactiveDomains = inactiveDomains }
        for (part, choice) in Self.switched(by: partSwitches).parts { choices.parts[part] = choice }
        if let includePattern {
            choices.includePattern = try CollectorChoices.checked(includePattern, from: "--collector.domain-include")
        }
        if let excludePattern {
            choices.excludePattern = try CollectorChoices.checked(excludePattern, from: "--collector.domain-exclude")
        }
        let patterns: [(String?, String, WritableKeyPath<SelectionPatterns, String?>)] = [
            (metricsInclude, "--collector.metrics-include", \.metricsInclude),
            (metricsExclude, "--collector.metrics-exclude", \.metricsExclude),
            (blockDeviceInclude, "--collector.block.device-include", \.blockDeviceInclude),
            (blockDeviceExclude, "--collector.block.device-exclude", \.blockDeviceExclude),
            (interfaceDeviceInclude, "--collector.interface.device-include", \.interfaceDeviceInclude),
            (interfaceDeviceExclude, "--collector.interface.device-exclude", \.interfaceDeviceExclude),
        ]
        for (pattern, flag, key) in patterns {
            if let pattern { choices.selection[keyPath: key] = try CollectorChoices.checked(pattern, from: flag) }
        }
        if let guestReportFile {
            choices.guestReportPath = try CollectorChoices.checkedPath(
                guestReportFile, from: "--collector.guest-report-file")
        }
    }
}
