import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StatsCollector

/// Collects from libvirt on a loop and serves the latest snapshot over HTTP until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Collect from libvirt and serve /metrics (the default command).")

    @Option(name: .customLong("config.file"), help: "JSON config file; flags override its keys.")
    var configFile: String?

    @Option(name: .customLong("web.listen-address"), help: "Address to listen on, host:port. (default: :9177)")
    var listenAddress: String?

    @Option(name: .customLong("web.telemetry-path"), help: "Path of the metrics. (default: /metrics)")
    var telemetryPath: String?

    @Option(name: .customLong("web.max-connections"), help: "Connections served at once. (default: 256)")
    var maxConnections: Int?

    @Option(name: .customLong("web.connection-timeout"), help: "Close idle connections after this long. (default: 30s)")
    var connectionTimeout: String?

    @Option(
        name: .customLong("libvirt.uri"), help: "libvirt connection URI, opened read-only. (default: qemu:///system)")
    var libvirtURI: String?

    @Option(
        name: .customLong("collector.interval"),
        help: "Time between collections, such as 15s, 1m or 2m30s; at least 1s. (default: 15s)")
    var collectorInterval: String?

    @Option(
        name: .customLong("collector.job-poll-interval"),
        help: "Time between job stats polls of a domain with an active job; 0s turns polling off. (default: 1s)")
    var jobPollInterval: String?

    @Flag(
        name: .customLong("collector.rates"), inversion: .prefixedNo,
        help: "Publish derived gauges: rates, latencies and job progress. (default: on)")
    var collectorRates: Bool?

    @Option(
        name: .customLong("log.level"),
        help: "One of trace, debug, info, notice, warn, error, critical. (default: info)")
    var logLevel: String?

    /// The configuration: defaults, then the config file, then the flags.
    func resolvedConfiguration() throws(ConfigurationError) -> ExporterConfiguration {
        var configuration = ExporterConfiguration()
        if let configFile { try ConfigFile.apply(fileAt: configFile, to: &configuration) }
        if let listenAddress { try configuration.setListenAddress(listenAddress, from: "--web.listen-address") }
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
        if let logLevel { try configuration.setLogLevel(logLevel, from: "--log.level") }
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

        let store = SnapshotStore()
        let server: MicroHTTPDServer
        do {
            let socket = try ListenSocket(address: configuration.listenAddress)
            server = try MicroHTTPDServer(
                socket: socket,
                router: RequestRouter(telemetryPath: configuration.telemetryPath, store: store),
                threads: max(2, ProcessInfo.processInfo.activeProcessorCount),
                maxConnections: configuration.maxConnections,
                connectionTimeoutSeconds: Int(configuration.connectionTimeout.components.seconds))
            logger.info(
                "listening",
                metadata: [
                    "address": "\(socket.boundAddress)", "path": "\(configuration.telemetryPath)",
                    "libvirt_uri": "\(configuration.libvirtURI)",
                    "interval": "\(PrometheusDuration.format(configuration.collectorInterval))",
                ])
        } catch {
            logger.critical("cannot start the HTTP server: \(error)")
            throw ExitCode.failure
        }

        let gate = DomainCallGate()
        let libvirtLogger = Logger(label: "virt-exporter.libvirt")
        let collectionCalls = LibvirtCallRunner(
            pool: BlockingCallPool(name: "libvirt-calls", maximumThreads: 6),
            deadline: LibvirtStatsSource.callDeadline(forInterval: configuration.collectorInterval),
            logger: libvirtLogger)
        let source = LibvirtStatsSource(
            uri: configuration.libvirtURI, runner: collectionCalls, gate: gate, logger: libvirtLogger)
        // The job poller's calls wait at most one poll interval, so a stuck domain never delays a pass.
        let jobCalls = configuration.jobPollInterval.map { interval in
            LibvirtCallRunner(
                pool: BlockingCallPool(name: "libvirt-jobs", maximumThreads: 4), deadline: interval,
                logger: Logger(label: "virt-exporter.jobs"))
        }
        let collector = Collector(
            source: source, store: store, exporterVersion: ExporterVersion.number,
            libvirtVersion: LibvirtLibrary().libraryVersion, derivesMetrics: configuration.derivesMetrics,
            callRunners: [collectionCalls] + (jobCalls.map { [$0] } ?? []),
            logger: Logger(label: "virt-exporter.collector"))
        let jobPoller = jobCalls.map { runner in
            JobPoller(
                uri: configuration.libvirtURI, interval: runner.deadline, runner: runner, gate: gate,
                logger: Logger(label: "virt-exporter.jobs"))
        }
        let collectorService = CollectorService(
            collector: collector, jobPoller: jobPoller, interval: configuration.collectorInterval)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: collectorService), .init(service: HTTPServerService(server: server))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("stopped")
    }
}
