import FoundationEssentials
import StatsCollector

/// Reads the JSON config file. Its keys mirror the flags: `{"collector": {"interval": "15s"}}` is
/// `--collector.interval 15s`. Every key is optional; an unknown key, a value of the wrong type or
/// an impossible value is an error that names the key.
enum ConfigFile {
    /// The keys the file may hold, dotted as in the flags.
    enum Key: String, CaseIterable {
        case listenAddress = "web.listen-address"
        case systemdSocket = "web.systemd-socket"
        case webConfigFile = "web.config.file"
        case telemetryPath = "web.telemetry-path"
        case maxConnections = "web.max-connections"
        case maxConnectionsPerAddress = "web.max-connections-per-address"
        case maxRequests = "web.max-requests"
        case connectionTimeout = "web.connection-timeout"
        case headerTimeout = "web.header-timeout"
        case libvirtURI = "libvirt.uri"
        case exportNovaMetadata = "libvirt.export-nova-metadata"
        case collectorInterval = "collector.interval"
        case jobPollInterval = "collector.job-poll-interval"
        case collectorRates = "collector.rates"
        case blockSourceFile = "collector.block-source-file"
        case disableDefaults = "collector.disable-defaults"
        case domainInclude = "collector.domain-include"
        case domainExclude = "collector.domain-exclude"
        case metricsInclude = "collector.metrics-include"
        case metricsExclude = "collector.metrics-exclude"
        case blockDeviceInclude = "collector.block.device-include"
        case blockDeviceExclude = "collector.block.device-exclude"
        case interfaceDeviceInclude = "collector.interface.device-include"
        case interfaceDeviceExclude = "collector.interface.device-exclude"
        case compatKumina = "compat.kumina"
        case metadataLabels = "collector.metadata-labels"
        case inactiveDomains = "collector.inactive-domains"
        case guestReportFile = "collector.guest-report-file"
        case logLevel = "log.level"

        /// Checks `value`'s type and sets this key in `configuration`; `origin` names the key in errors.
        func apply(_ value: JSONValue, to configuration: inout ExporterConfiguration, origin: String)
            throws(ConfigurationError)
        {
            switch self {
            case .listenAddress: try configuration.setListenAddresses(value.strings(origin), from: origin)
            case .systemdSocket: configuration.systemdSocket = try value.bool(origin)
            case .webConfigFile:
                if case .null = value {
                    configuration.webConfigFile = nil
                } else {
                    try configuration.setWebConfigFile(value.string(origin), from: origin)
                }
            case .telemetryPath: try configuration.setTelemetryPath(value.string(origin), from: origin)
            case .maxConnections: try configuration.setMaxConnections(value.integer(origin), from: origin)
            case .maxConnectionsPerAddress:
                try configuration.setMaxConnectionsPerAddress(value.integer(origin), from: origin)
            case .maxRequests: try configuration.setMaxRequests(value.integer(origin), from: origin)
            case .connectionTimeout: try configuration.setConnectionTimeout(value.string(origin), from: origin)
            case .headerTimeout: try configuration.setHeaderTimeout(value.string(origin), from: origin)
            case .libvirtURI: try configuration.setLibvirtURI(value.string(origin), from: origin)
            case .exportNovaMetadata: configuration.compatibility.exportsNovaMetadata = try value.bool(origin)
            case .collectorInterval: try configuration.setCollectorInterval(value.string(origin), from: origin)
            case .jobPollInterval: try configuration.setJobPollInterval(value.string(origin), from: origin)
            case .collectorRates: configuration.derivesMetrics = try value.bool(origin)
            case .blockSourceFile: configuration.sourceFileOnBlockSeries = try value.bool(origin)
            case .disableDefaults: configuration.collectors.disableDefaults = try value.bool(origin)
            case .domainInclude:
                configuration.collectors.includePattern = try CollectorChoices.pattern(value, from: origin)
            case .domainExclude:
                configuration.collectors.excludePattern = try CollectorChoices.pattern(value, from: origin)
            case .metricsInclude:
                configuration.collectors.selection.metricsInclude = try CollectorChoices.pattern(value, from: origin)
            case .metricsExclude:
                configuration.collectors.selection.metricsExclude = try CollectorChoices.pattern(value, from: origin)
            case .blockDeviceInclude:
                configuration.collectors.selection.blockDeviceInclude = try CollectorChoices.pattern(
                    value, from: origin)
            case .blockDeviceExclude:
                configuration.collectors.selection.blockDeviceExclude = try CollectorChoices.pattern(
                    value, from: origin)
            case .interfaceDeviceInclude:
                configuration.collectors.selection.interfaceDeviceInclude = try CollectorChoices.pattern(
                    value, from: origin)
            case .interfaceDeviceExclude:
                configuration.collectors.selection.interfaceDeviceExclude = try CollectorChoices.pattern(
                    value, from: origin)
            case .compatKumina: configuration.compatibility.kumina = try value.bool(origin)
            case .metadataLabels:
                configuration.collectors.metadataLabels = try CollectorChoices.metadataLabels(value, from: origin)
            case .inactiveDomains: configuration.collectors.inactiveDomains = try value.bool(origin)
            case .guestReportFile:
                configuration.collectors.guestReportPath = try CollectorChoices.checkedPath(
                    value.string(origin), from: origin)
            case .logLevel: try configuration.setLogLevel(value.string(origin), from: origin)
            }
        }
    }

    /// Every key the file may hold, dotted, for the docs and for error messages: the keys above and
    /// `collector.<part>` for each part of the collection.
    static var keyNames: [String] {
        Key.allCases.map(\.rawValue) + CollectorPart.allCases.map { "collector.\($0.rawValue)" }
    }

    /// Applies the file at `path` on top of `configuration`; returns the keys it set.
    @discardableResult
    static func apply(fileAt path: String, to configuration: inout ExporterConfiguration) throws(ConfigurationError)
        -> Set<Key>
    {
        let data: Data
        do {
            data = Data(try FileBytes.read(path))
        } catch {
            throw ConfigurationError("config file \(path): cannot be read: \(error)")
        }
        return try apply(json: data, named: path, to: &configuration)
    }

    /// Applies JSON `data`, read from the file called `name`, on top of `configuration`; returns the
    /// keys it set (beside `collector.<part>`).
    @discardableResult
    static func apply(json data: Data, named name: String, to configuration: inout ExporterConfiguration)
        throws(ConfigurationError) -> Set<Key>
    {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            guard let problem = JSONSyntaxLocator.firstProblem(in: Array(data)) else {
                throw ConfigurationError("config file \(name): not valid JSON (nested too deeply or not UTF-8)")
            }
            throw ConfigurationError(
                "config file \(name): not valid JSON at line \(problem.line), column \(problem.column): \(problem.message)"
            )
        }
        guard case .object(let sections) = root else {
            throw ConfigurationError("config file \(name): must hold a JSON object, got \(root.typeName)")
        }
        var applied: Set<Key> = []
        for (section, value) in sections.sorted(by: { $0.key < $1.key }) {
            guard case .object(let entries) = value else {
                let known = keyNames.contains { $0.hasPrefix(section + ".") }
                throw ConfigurationError(
                    known
                        ? "config file \(name): \"\(section)\" must be an object, got \(value.typeName)"
                        : unknownKey(section, in: name))
            }
            for (entry, value) in entries.sorted(by: { $0.key < $1.key }) {
                let dotted = "\(section).\(entry)"
                if section == "collector", let part = CollectorPart(rawValue: entry) {
                    configuration.collectors.parts[part] = try value.bool("config file \(name): \"\(dotted)\"")
                    continue
                }
                guard let key = Key(rawValue: dotted) else {
                    throw ConfigurationError(unknownKey(dotted, in: name))
                }
                try key.apply(value, to: &configuration, origin: "config file \(name): \"\(dotted)\"")
                applied.insert(key)
            }
        }
        return applied
    }

    private static func unknownKey(_ key: String, in name: String) -> String {
        "config file \(name): unknown key \"\(key)\"; known keys are \(keyNames.joined(separator: ", "))"
    }
}

/// Any JSON value, so that the config file can be checked key by key with precise errors.
enum JSONValue: Decodable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The string, or an error naming `origin` if the value is not a string.
    func string(_ origin: String) throws(ConfigurationError) -> String {
        guard case .string(let text) = self else {
            throw ConfigurationError("\(origin) must be a string, got \(typeName)")
        }
        return text
    }

    /// A string, or an array of strings, as an array; else an error naming `origin`.
    func strings(_ origin: String) throws(ConfigurationError) -> [String] {
        if case .string(let text) = self { return [text] }
        guard case .array(let items) = self else {
            throw ConfigurationError("\(origin) must be a string or an array of strings, got \(typeName)")
        }
        var texts: [String] = []
        for item in items {
            guard case .string(let text) = item else {
                throw ConfigurationError(
                    "\(origin) must be a string or an array of strings, got an array holding \(item.typeName)")
            }
            texts.append(text)
        }
        return texts
    }

    /// The boolean, or an error naming `origin` if the value is not `true` or `false`.
    func bool(_ origin: String) throws(ConfigurationError) -> Bool {
        guard case .bool(let flag) = self else {
            throw ConfigurationError("\(origin) must be true or false, got \(typeName)")
        }
        return flag
    }

    /// The integer, or an error naming `origin` if the value is not a whole number.
    func integer(_ origin: String) throws(ConfigurationError) -> Int {
        guard case .number(let number) = self, let integer = Int(exactly: number) else {
            throw ConfigurationError("\(origin) must be an integer, got \(typeName)")
        }
        return integer
    }

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number(let number) where Int(exactly: number) == nil: "a fractional number"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
