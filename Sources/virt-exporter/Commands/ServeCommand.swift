import ArgumentParser
import FoundationEssentials
import Logging
import ServiceLifecycle
import StatsCollector

/// Collects from libvirt on a loop and serves the latest snapshot over HTTP until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Collect from libvirt and serve /metrics (the default command).",
        discussion: CollectorFlags.partsHelp)

    @Option(name: .customLong("config.file"), help: "JSON config file; flags override its keys.")
    var configFile: String?

    @OptionGroup(title: "Collector parts and domains")
    var collectors: CollectorFlags

    @OptionGroup(title: "Compatibility with Debian's prometheus-libvirt-exporter")
    var compatibility: CompatibilityFlags

    @Option(
        name: .customLong("web.listen-address"),
        help: "Address to listen on, host:port; repeat for several. (default: :9177)")
    var listenAddresses: [String] = []

    @Flag(
        name: .customLong("web.systemd-socket"),
        help: "Listen on the sockets systemd passes (socket activation) instead of --web.listen-address.")
    var systemdSocket = false

    @Option(
        name: .customLong("web.config.file"),
        help: "exporter-toolkit web config file (YAML): TLS, client certificates, basic auth, headers.")
    var webConfigFile: String?

    @Option(name: .customLong("web.telemetry-path"), help: "Path of the metrics. (default: /metrics)")
    var telemetryPath: String?

    @Option(name: .customLong("web.max-connections"), help: "Connections served at once. (default: 256)")
    var maxConnections: Int?

    @Option(
        name: .customLong("web.max-connections-per-address"),
        help: "Connections one client address may hold at once. (default: 64)")
    var maxConnectionsPerAddress: Int?

    @Option(
        name: .customLong("web.max-requests"),
        help: "Requests answered at once; more get 503. 0 for no limit. (default: 40)")
    var maxRequests: Int?

    @Option(name: .customLong("web.connection-timeout"), help: "Close idle connections after this long. (default: 30s)")
    var connectionTimeout: String?

    @Option(
        name: .customLong("web.header-timeout"),
        help: "A new connection's request header must be complete within this long. (default: 5s)")
    var headerTimeout: String?

    @Option(
        name: .customLong("libvirt.uri"), help: "libvirt connection URI, opened read-only. (default: qemu:///system)")
    var libvirtURI: String?

    @Option(
        name: .customLong("collector.interval"),
        help: "Time between collections, such as 15s, 1m or 2m30s; from 1s to 1d. (default: 15s)")
    var collectorInterval: String?

    @Option(
        name: .customLong("collector.job-poll-interval"),
        help: "Time between job stats polls of a domain with an active job; 0s turns polling off. (default: 1s)")
    var jobPollInterval: String?

    @Flag(
        name: .customLong("collector.rates"), inversion: .prefixedNo,
        help: "Publish derived gauges: rates, latencies and job progress. (default: on)")
    var collectorRates: Bool?

    @Flag(
        name: .customLong("collector.block-source-file"), inversion: .prefixedNo,
        help:
            "Label every block device series with the disk's source_file; when off, only libvirt_domain_block_info carries it. (default: on)"
    )
    var blockSourceFile: Bool?

    @Option(
        name: .customLong("log.level"),
        help: "One of trace, debug, info, notice, warn, error, critical. (default: info)")
    var logLevel: String?

    /// The configuration: defaults, then the config file, then the flags.
    func resolvedConfiguration() throws(ConfigurationError) -> ExporterConfiguration {
        var configuration = ExporterConfiguration()
        let fileKeys = try configFile.map { file throws(ConfigurationError) in
            try ConfigFile.apply(fileAt: file, to: &configuration)
        }
        if !listenAddresses.isEmpty {
            try configuration.setListenAddresses(listenAddresses, from: "--web.listen-address")
        }
        if systemdSocket { configuration.systemdSocket = true }
        if let webConfigFile { try configuration.setWebConfigFile(webConfigFile, from: "--web.config.file") }
        if let maxConnectionsPerAddress {
            try configuration.setMaxConnectionsPerAddress(
                maxConnectionsPerAddress, from: "--web.max-connections-per-address")
        }
        if let maxRequests { try configuration.setMaxRequests(maxRequests, from: "--web.max-requests") }
        if let headerTimeout { try configuration.setHeaderTimeout(headerTimeout, from: "--web.header-timeout") }
        if let telemetryPath { try configuration.setTelemetryPath(telemetryPath, from: "--web.telemetry-path") }
        if let maxConnections { try configuration.setMaxConnections(maxConnections, from: "--web.max-connections") }
        if let connectionTimeout {
            try configuration.setConnectionTimeout(connectionTimeout, from: "--web.connection-timeout")
        }
        if let libvirtURI { try configuration.setLibvirtURI(libvirtURI, from: "--libvirt.uri") }
        if let collectorInterval {
            try configuration.setCollectorInterval(collectorInterval, from: "--collector.interval")
        }
        if let jobPollInterval {
            try configuration.setJobPollInterval(jobPollInterval, from: "--collector.job-poll-interval")
        }
        if let collectorRates { configuration.derivesMetrics = collectorRates }
        if let blockSourceFile { configuration.sourceFileOnBlockSeries = blockSourceFile }
        try collectors.apply(to: &configuration.collectors)
        try configuration.collectors.validate()
        try compatibility.apply(to: &configuration.compatibility)
        if let logLevel { try configuration.setLogLevel(logLevel, from: "--log.level") }
        /// The flag or config key that set a connection limit, `nil` where the default stands.
        func origin(of flagValue: Int?, _ flag: String, _ key: ConfigFile.Key, namingTheFile: Bool) -> String? {
            if flagValue != nil { return flag }
            guard let configFile, fileKeys?.contains(key) == true else { return nil }
            return (namingTheFile ? "config file \(configFile): " : "") + "\"\(key.rawValue)\""
        }
        try configuration.fitConnectionLimits(
            totalSetBy: origin(of: maxConnections, "--web.max-connections", .maxConnections, namingTheFile: false),
            perAddressSetBy: origin(
                of: maxConnectionsPerAddress, "--web.max-connections-per-address", .maxConnectionsPerAddress,
                namingTheFile: true))
        _ = try configuration.domainLabelLayout()
        return configuration
    }

    func run() async throws {
        let configuration = try resolvedConfiguration()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "virt-exporter")

        let webState = try configuration.webConfigFile.map { path throws(ConfigurationError) in
            try WebConfigWatcher.load(fileAt: path)
        }
        let store = SnapshotStore()
        let door = FrontDoor(
            router: RequestRouter(telemetryPath: configuration.telemetryPath, store: store),
            web: webState ?? FrontDoor.WebState(config: WebConfig(), tls: nil),
            limits: ConnectionTable.Limits(
                maxConnections: configuration.maxConnections,
                maxConnectionsPerAddress: configuration.maxConnectionsPerAddress,
                headerTimeout: configuration.headerTimeout, idleTimeout: configuration.connectionTimeout),
            maxRequests: configuration.maxRequests)
        let server: MicroHTTPDServer
        do {
            var sockets: [ListenSocket] = []
            if configuration.systemdSocket {
                sockets = try SystemdSocketActivation.inheritedSockets()
            } else {
                for address in configuration.listenAddresses {
                    let bound = try ListenSocket.sockets(for: address)
                    sockets += bound.sockets
                    for skipped in bound.skipped {
                        logger.warning("not listening on an address of \(address.host): \(skipped)")
                    }
                }
            }
            server = try MicroHTTPDServer(
                sockets: sockets, door: door,
                settings: .init(
                    threads: MicroHTTPDServer.Settings.threads(
                        maxConnections: configuration.maxConnections, maxRequests: configuration.maxRequests),
                    connectionTimeoutSeconds: Int(configuration.connectionTimeout.components.seconds)))
            for socket in sockets {
                logger.info(
                    "listening",
                    metadata: [
                        "address": "\(socket.boundAddress)", "path": "\(configuration.telemetryPath)",
                        "tls": "\(server.servesTLS)", "libvirt_uri": "\(configuration.libvirtURI)",
                        "interval": "\(PrometheusDuration.format(configuration.collectorInterval))",
                    ])
            }
        } catch {
            logger.critical("cannot start the HTTP server: \(error)")
            throw ExitCode.failure
        }

        let gate = DomainCallGate()
        let libvirtLogger = Logger(label: "virt-exporter.libvirt")
        let collectionCalls = LibvirtCallRunner(
            pool: BlockingCallPool(name: "libvirt-calls", maximumThreads: 7),
            deadline: LibvirtStatsSource.callDeadline(forInterval: configuration.collectorInterval),
            logger: libvirtLogger)
        let scope = configuration.collectors.scope
        for warning in SelectionWarnings.messages(scope: scope, derivesMetrics: configuration.derivesMetrics) {
            logger.warning("\(warning)")
        }
        let source = try LibvirtStatsSource(
            uri: configuration.libvirtURI, runner: collectionCalls, gate: gate, scope: scope, logger: libvirtLogger)
        // The job poller's calls wait at most one poll interval, so a stuck domain never delays a pass.
        // With the jobs part off there is no job poller.
        let jobCalls = (scope.parts.contains(.jobs) ? configuration.jobPollInterval : nil).map { interval in
            LibvirtCallRunner(
                pool: BlockingCallPool(name: "libvirt-jobs", maximumThreads: 4), deadline: interval,
                logger: Logger(label: "virt-exporter.jobs"))
        }
        // One subscription to libvirt's domain events, on its own connection, for every consumer.
        let eventCalls = LibvirtCallRunner(
            pool: BlockingCallPool(name: "libvirt-watch", maximumThreads: 2), deadline: collectionCalls.deadline,
            logger: Logger(label: "virt-exporter.events"))
        let eventHub = DomainEventHub(
            uri: configuration.libvirtURI, runner: eventCalls, logger: Logger(label: "virt-exporter.events"))
        let collector = Collector(
            source: source, store: store, exporterVersion: ExporterVersion.number, revision: ExporterVersion.revision,
            libvirtVersion: LibvirtLibrary().libraryVersion, derivesMetrics: configuration.derivesMetrics,
            layout: try configuration.domainLabelLayout(),
            selection: MetricSelection(scope: scope, derivesMetrics: configuration.derivesMetrics),
            callRunners: [collectionCalls, source.statsCalls, eventCalls] + (jobCalls.map { [$0] } ?? []),
            logger: Logger(label: "virt-exporter.collector"))
        let jobPoller = jobCalls.map { runner in
            JobPoller(
                uri: configuration.libvirtURI, interval: runner.deadline, runner: runner, gate: gate,
                events: eventHub.subscribe(), logger: Logger(label: "virt-exporter.jobs"))
        }
        let collectorService = CollectorService(
            collector: collector, jobPoller: jobPoller, eventHub: eventHub, countsEvents: scope.parts.contains(.events),
            interval: configuration.collectorInterval, afterCollection: MallocArenas.returnFreePages)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: collectorService),
                    .init(
                        service: HTTPServerService(
                            server: server, door: door,
                            webConfig: configuration.webConfigFile.map { WebConfigWatcher(path: $0) },
                            logger: Logger(label: "virt-exporter.http"))),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("stopped")
    }
}
