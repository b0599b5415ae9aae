public import Logging

/// Reads domain stats from libvirt, on a thread of its own.
///
/// It owns at most one ``LibvirtConnection``, opens it on first use, and drops and reopens it when
/// libvirt reports the connection closed or dead. Every call blocks this actor's dedicated thread,
/// never Swift's cooperative pool.
///
/// Besides the bulk call it asks each running domain for its per-host-CPU and job stats. A
/// hypervisor that does not support one of those calls (per-CPU stats on cgroup v2, job stats on
/// the test driver) is asked once per connection: the failure is counted and logged once, and the
/// batch says the stats are unavailable.
public actor LibvirtStatsSource: StatsSource {
    private let uri: String
    private let logger: Logger
    private let executor = DedicatedThreadExecutor(name: "libvirt-calls")
    private var connection: LibvirtConnection?
    private var statsFlags: LibvirtConnection.StatsFlags = [.noWait]
    private var capabilities = CallCapabilities()
    private let gate: DomainCallGate

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Creates a source for the libvirt `uri`; nothing connects until the first fetch.
    ///
    /// - Parameter gate: shared with the job poller, so that a domain never has two calls in flight.
    public init(uri: String, gate: DomainCallGate = DomainCallGate(), logger: Logger) {
        self.uri = uri
        self.gate = gate
        self.logger = logger
    }

    deinit {
        executor.stop()
    }

    /// The version of the libvirt library this process runs with, as `major.minor.micro`.
    public static var libraryVersion: String { LibvirtConnection.libraryVersion }

    public func fetchStats() throws(CollectionError) -> StatsBatch {
        let calls = capabilities.calls
        do {
            return try collect(calls)
        } catch  where connection?.isAlive == false {
            // The daemon went away since the last collection: one more try on a fresh connection.
            logger.warning("libvirt connection lost", metadata: ["uri": "\(uri)", "error": "\(error)"])
            connection = nil
        } catch {
            throw error.collectionError()
        }
        do {
            return try collect(calls)
        } catch {
            connection = nil
            throw error.collectionError()
        }
    }

    private func collect(_ calls: LibvirtConnection.DomainCalls) throws(LibvirtError) -> StatsBatch {
        batch(from: try allDomainStats(try connected(), calls: calls), calls: calls)
    }

    /// Turns the connection's results into a batch, classifying per-domain failures.
    private func batch(from collections: [LibvirtConnection.DomainCollection], calls: LibvirtConnection.DomainCalls)
        -> StatsBatch
    {
        var errors: [CollectionError] = []
        for collection in collections {
            for failure in collection.failures {
                guard let error = capabilities.classify(failure, domain: collection.stats.name) else { continue }
                if error.isExpected {
                    logger.notice(
                        "libvirt does not support this call here; not asking again on this connection",
                        metadata: ["call": "\(failure.function)", "error": "\(failure.message)"])
                }
                errors.append(error)
            }
        }
        if collections.contains(where: \.stats.isActive) { capabilities.confirm(calls) }
        return StatsBatch(
            domains: collections.map(\.stats), errors: errors, perCPUStatsAvailable: capabilities.perCPUStats,
            jobStatsAvailable: capabilities.jobStats)
    }

    /// Calls `virConnectGetAllDomainStats` and the per-domain calls still worth making, without
    /// `NOWAIT` from the first time the daemon rejects it.
    private func allDomainStats(_ connection: LibvirtConnection, calls: LibvirtConnection.DomainCalls)
        throws(LibvirtError) -> [LibvirtConnection.DomainCollection]
    {
        do {
            return try connection.allDomainStats(flags: statsFlags, calls: calls, gate: gate)
        } catch  where error.code == .invalidArgument && statsFlags.contains(.noWait) {
            logger.notice(
                "libvirt rejected VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT; collecting without it",
                metadata: ["error": "\(error.message)"])
            statsFlags.remove(.noWait)
            return try connection.allDomainStats(flags: statsFlags, calls: calls, gate: gate)
        }
    }

    /// The open connection, after reopening it if libvirt closed it. A new connection may reach a
    /// different daemon, so what it supports is learned again.
    private func connected() throws(LibvirtError) -> LibvirtConnection {
        if let connection, connection.isAlive { return connection }
        if connection != nil {
            logger.warning("libvirt connection closed; reconnecting", metadata: ["uri": "\(uri)"])
            connection = nil
        }
        let opened = try LibvirtConnection(uri: uri)
        logger.info("connected to libvirt", metadata: ["uri": "\(uri)"])
        connection = opened
        capabilities = CallCapabilities()
        return opened
    }
}
