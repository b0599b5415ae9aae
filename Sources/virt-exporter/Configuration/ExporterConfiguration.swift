import Logging
import StatsCollector

/// Everything the exporter can be told, with its defaults. Built from the defaults, then the
/// config file, then the flags, each overriding the one before.
struct ExporterConfiguration: Equatable {
    /// `web.listen-address`: one or more addresses to listen on.
    var listenAddresses = [ListenAddress(":9177")!]
    /// `web.systemd-socket`: listen on the sockets systemd passes (socket activation) instead.
    var systemdSocket = false
    /// `web.config.file`: the exporter-toolkit web configuration file (TLS, basic auth, headers).
    var webConfigFile: String?
    /// `web.telemetry-path`
    var telemetryPath = "/metrics"
    /// `web.max-connections`: connections served at once.
    var maxConnections = 256
    /// `web.max-connections-per-address`: connections one client address may hold at once.
    var maxConnectionsPerAddress = 64
    /// `web.max-requests`: requests answered at once, more get 503; 0 for no limit.
    var maxRequests = 40
    /// `web.connection-timeout`: idle connections are closed after this long.
    var connectionTimeout = Duration.seconds(30)
    /// `web.header-timeout`: a new connection's request header must be complete within this long.
    var headerTimeout = Duration.seconds(5)
    /// `libvirt.uri`
    var libvirtURI = "qemu:///system"
    /// `collector.interval`: time between the starts of two collections.
    var collectorInterval = Duration.seconds(15)
    /// `collector.job-poll-interval`: time between job stats polls of a domain with an active job;
    /// `nil` when polling is off.
    var jobPollInterval: Duration? = .seconds(1)
    /// `collector.rates`: whether to publish derived gauges (rates, latencies, job progress).
    var derivesMetrics = true
    /// `collector.block-source-file`: whether every block series carries the disk's `source_file`.
    var sourceFileOnBlockSeries = true
    /// `collector.<part>`, `collector.disable-defaults`, `collector.domain-include` and `-exclude`.
    var collectors = CollectorChoices()
    /// `compat.kumina` and `libvirt.export-nova-metadata`: Debian's exporter's layout beside ours.
    var compatibility = CompatibilityChoices()
    /// `log.level`
    var logLevel = Logger.Level.info

    /// The compatibility mode with Debian's exporter, or `nil` when it is off; an error when the
    /// choices contradict each other or the mode lacks what Debian's labels come from.
    func kuminaCompatibility() throws(ConfigurationError) -> KuminaCompatibility? {
        try compatibility.mode(
            collectsMetadata: collectors.scope.parts.contains(.metadata),
            sourceFileOnBlockSeries: sourceFileOnBlockSeries)
    }

    /// The labels of the domain series: `collector.block-source-file` and the compatibility mode.
    func domainLabelLayout() throws(ConfigurationError) -> LabelLayout {
        LabelLayout(sourceFileOnBlockSeries: sourceFileOnBlockSeries, kumina: try kuminaCompatibility())
    }

    /// The shortest collection interval allowed.
    static let minimumInterval = Duration.seconds(1)

    /// Sets `web.telemetry-path`, which must start with `/`, not be one of the fixed paths, and be
    /// reachable as written: without `?` or `#` (which end a URL's path), `%`, white space or
    /// control characters (which a URL carries only percent-encoded, and the server decodes).
    mutating func setTelemetryPath(_ path: String, from origin: String) throws(ConfigurationError) {
        guard path.hasPrefix("/"), path != "/", !path.hasPrefix("/-/") else {
            throw ConfigurationError(
                "\(origin): must be a path starting with \"/\" other than \"/\" and \"/-/...\", got \"\(path)\"")
        }
        if let character = path.unicodeScalars.first(where: Self.isUnreachableInPath) {
            throw ConfigurationError(
                "\(origin): \"\(character.escaped(asASCII: false))\" cannot be in the path: \"?\" and \"#\" end a "
                    + "URL's path, and \"%\", white space and control characters reach the server only "
                    + "percent-encoded, so a scrape of this path would get 404; got \(String(reflecting: path))")
        }
        telemetryPath = path
    }

    /// Whether a path holding `character` cannot be asked for by a URL that spells it as written.
    private static func isUnreachableInPath(_ character: Unicode.Scalar) -> Bool {
        "?#%".unicodeScalars.contains(character) || character.properties.isWhitespace
            || character.properties.generalCategory == .control
    }

    /// Makes `web.max-connections` and `web.max-connections-per-address` fit together: a
    /// per-address limit above the total cannot hold, so it is an error when both were set
    /// (`totalSetBy` and `perAddressSetBy` name the flag or key that set each, `nil` when a default
    /// stands). When only the total was set, the per-address limit follows it down; when only the
    /// per-address limit was set, the total follows it up.
    mutating func fitConnectionLimits(totalSetBy: String?, perAddressSetBy: String?) throws(ConfigurationError) {
        switch (totalSetBy, perAddressSetBy) {
        case (let total?, let perAddress?):
            guard maxConnectionsPerAddress <= maxConnections else {
                throw ConfigurationError(
                    "\(perAddress): \(maxConnectionsPerAddress) is above \(total) \(maxConnections): one address "
                        + "could never hold that many; lower it, or raise the total")
            }
        case (.some, nil): maxConnectionsPerAddress = min(maxConnectionsPerAddress, maxConnections)
        case (nil, .some): maxConnections = max(maxConnections, maxConnectionsPerAddress)
        case (nil, nil): break
        }
    }

    /// The longest interval or timeout allowed: longer ones are surely mistakes, and would not fit
    /// the C APIs' types.
    static let maximumDuration = Duration.seconds(86_400)

    /// Sets `collector.interval`, which must be a duration from 1s to 1d.
    mutating func setCollectorInterval(_ text: String, from origin: String) throws(ConfigurationError) {
        let interval = try Self.duration(text, from: origin)
        guard interval >= Self.minimumInterval, interval <= Self.maximumDuration else {
            throw ConfigurationError("\(origin): must be from 1s to 1d, got \"\(text)\"")
        }
        collectorInterval = interval
    }

    /// Sets `collector.job-poll-interval`: `0s` turns job polling off, anything else must be from 100ms to 1d.
    mutating func setJobPollInterval(_ text: String, from origin: String) throws(ConfigurationError) {
        let interval = try Self.duration(text, from: origin)
        guard interval == .zero || (interval >= .milliseconds(100) && interval <= Self.maximumDuration) else {
            throw ConfigurationError("\(origin): must be 0s (off) or from 100ms to 1d, got \"\(text)\"")
        }
        jobPollInterval = interval == .zero ? nil : interval
    }

    /// Sets `web.connection-timeout`, which must be a whole number of seconds from 1s to 1d.
    mutating func setConnectionTimeout(_ text: String, from origin: String) throws(ConfigurationError) {
        let timeout = try Self.duration(text, from: origin)
        guard timeout >= .seconds(1), timeout <= Self.maximumDuration, timeout.components.attoseconds == 0 else {
            throw ConfigurationError("\(origin): must be a whole number of seconds from 1s to 1d, got \"\(text)\"")
        }
        connectionTimeout = timeout
    }

    /// Sets `web.header-timeout`, from 100ms to 1h.
    mutating func setHeaderTimeout(_ text: String, from origin: String) throws(ConfigurationError) {
        let timeout = try Self.duration(text, from: origin)
        guard timeout >= .milliseconds(100), timeout <= .seconds(3600) else {
            throw ConfigurationError("\(origin): must be from 100ms to 1h, got \"\(text)\"")
        }
        headerTimeout = timeout
    }

    /// Sets `web.listen-address` to one or more addresses, each given once (the second socket of an
    /// address given twice could never be bound).
    mutating func setListenAddresses(_ texts: [String], from origin: String) throws(ConfigurationError) {
        guard !texts.isEmpty else { throw ConfigurationError("\(origin): must name at least one address") }
        var addresses: [ListenAddress] = []
        for text in texts {
            guard let address = ListenAddress(text) else {
                throw ConfigurationError(
                    "\(origin): must be host:port such as \":9177\" or \"127.0.0.1:9177\", got \"\(text)\"")
            }
            guard address.port == 0 || !addresses.contains(address) else {
                throw ConfigurationError("\(origin): \"\(text)\" is given twice")
            }
            addresses.append(address)
        }
        listenAddresses = addresses
    }

    /// Sets `web.max-connections-per-address`, from 1 to 65536.
    mutating func setMaxConnectionsPerAddress(_ count: Int, from origin: String) throws(ConfigurationError) {
        guard (1...65536).contains(count) else {
            throw ConfigurationError("\(origin): must be from 1 to 65536, got \(count)")
        }
        maxConnectionsPerAddress = count
    }

    /// Sets `web.max-requests`, from 0 (no limit) to 65536.
    mutating func setMaxRequests(_ count: Int, from origin: String) throws(ConfigurationError) {
        guard (0...65536).contains(count) else {
            throw ConfigurationError("\(origin): must be from 0 (no limit) to 65536, got \(count)")
        }
        maxRequests = count
    }

    /// Sets `web.config.file`, which must not be empty.
    mutating func setWebConfigFile(_ path: String, from origin: String) throws(ConfigurationError) {
        guard !path.isEmpty else { throw ConfigurationError("\(origin): must not be empty") }
        webConfigFile = path
    }

    /// Sets `web.max-connections`, from 1 to 65536.
    mutating func setMaxConnections(_ count: Int, from origin: String) throws(ConfigurationError) {
        guard (1...65536).contains(count) else {
            throw ConfigurationError("\(origin): must be from 1 to 65536, got \(count)")
        }
        maxConnections = count
    }

    /// Sets `libvirt.uri`, which must not be empty.
    mutating func setLibvirtURI(_ uri: String, from origin: String) throws(ConfigurationError) {
        guard !uri.isEmpty else { throw ConfigurationError("\(origin): must not be empty") }
        libvirtURI = uri
    }

    /// Sets `log.level`: one of trace, debug, info, notice, warn (or warning), error, critical.
    mutating func setLogLevel(_ text: String, from origin: String) throws(ConfigurationError) {
        let name = text == "warn" ? "warning" : text
        guard let level = Logger.Level(rawValue: name) else {
            throw ConfigurationError(
                "\(origin): must be one of trace, debug, info, notice, warn, error, critical, got \"\(text)\"")
        }
        logLevel = level
    }

    private static func duration(_ text: String, from origin: String) throws(ConfigurationError) -> Duration {
        guard let duration = PrometheusDuration.parse(text) else {
            throw ConfigurationError(
                "\(origin): must be a duration such as \"15s\", \"1m\" or \"2m30s\", got \"\(text)\"")
        }
        return duration
    }
}
