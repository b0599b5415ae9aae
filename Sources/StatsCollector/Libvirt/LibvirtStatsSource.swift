public import Logging

/// Reads domain stats from libvirt, on a thread of its own.
///
/// It owns at most one ``LibvirtConnection``, opens it on first use, and drops and reopens it when
/// libvirt reports the connection closed or dead. Every call blocks this actor's dedicated thread,
/// never Swift's cooperative pool.
public actor LibvirtStatsSource: StatsSource {
    private let uri: String
    private let logger: Logger
    private let executor = DedicatedThreadExecutor(name: "libvirt-calls")
    private var connection: LibvirtConnection?
    private var statsFlags: LibvirtConnection.StatsFlags = [.noWait]

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Creates a source for the libvirt `uri`; nothing connects until the first fetch.
    public init(uri: String, logger: Logger) {
        self.uri = uri
        self.logger = logger
    }

    deinit {
        executor.stop()
    }

    /// The version of the libvirt library this process runs with, as `major.minor.micro`.
    public static var libraryVersion: String { LibvirtConnection.libraryVersion }

    public func fetchStats() throws(CollectionError) -> StatsBatch {
        let connection = try connected()
        do {
            return StatsBatch(domains: try allDomainStats(connection))
        } catch {
            if !connection.isAlive {
                logger.warning("libvirt connection lost", metadata: ["uri": "\(uri)", "error": "\(error)"])
                self.connection = nil
                return try self.fetchStatsAfterReconnect(failure: error)
            }
            throw error.collectionError()
        }
    }

    /// One more try on a fresh connection, for a daemon that restarted between two collections.
    private func fetchStatsAfterReconnect(failure: LibvirtError) throws(CollectionError) -> StatsBatch {
        let connection = try connected()
        do {
            return StatsBatch(domains: try allDomainStats(connection))
        } catch {
            self.connection = nil
            throw error.collectionError()
        }
    }

    /// Calls `virConnectGetAllDomainStats`, without `NOWAIT` from the first time the daemon rejects it.
    private func allDomainStats(_ connection: LibvirtConnection) throws(LibvirtError) -> [DomainStats] {
        do {
            return try connection.allDomainStats(flags: statsFlags)
        } catch  where error.code == .invalidArgument && statsFlags.contains(.noWait) {
            logger.notice(
                "libvirt rejected VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT; collecting without it",
                metadata: ["error": "\(error.message)"])
            statsFlags.remove(.noWait)
            return try connection.allDomainStats(flags: statsFlags)
        }
    }

    /// The open connection, after reopening it if libvirt closed it.
    private func connected() throws(CollectionError) -> LibvirtConnection {
        if let connection, connection.isAlive { return connection }
        if connection != nil {
            logger.warning("libvirt connection closed; reconnecting", metadata: ["uri": "\(uri)"])
            connection = nil
        }
        do {
            let opened = try LibvirtConnection(uri: uri)
            logger.info("connected to libvirt", metadata: ["uri": "\(uri)"])
            connection = opened
            return opened
        } catch {
            throw error.collectionError()
        }
    }
}
