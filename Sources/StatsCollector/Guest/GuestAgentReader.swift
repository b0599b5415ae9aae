import FoundationEssentials
public import Logging
import PromFormat

/// What `virt-exporter guest-agent` does each interval: lists the running domains and asks each
/// one's QEMU guest agent for its host name, operating system and file systems
/// (`virDomainGetGuestInfo`), on a read-write connection, which only this process holds.
///
/// Guest agents hang (a guest that is busy, paused or booting does not answer), so each call has
/// its own deadline and goes through a ``DomainCallGate``: a domain whose agent has not answered
/// an earlier call is not asked again until it does, and its entry says why. A few domains are
/// asked at a time.
public actor GuestAgentReader {
    private let connections: ConnectionPool
    private let runner: LibvirtCallRunner
    private let gate = DomainCallGate()
    private let interval: Duration

    /// Domains asked at the same time.
    static let concurrentDomains = 4

    /// Creates a reader of `uri`'s guests, opened read-write through `api`.
    ///
    /// - Parameters:
    ///   - deadline: how long one domain's agent may take; libvirt's own agent timeout applies too.
    ///   - interval: the time between passes, written into each report.
    public init(
        uri: String, api: any LibvirtAPI = LibvirtLibrary(), deadline: Duration, interval: Duration, logger: Logger
    ) {
        let pool = BlockingCallPool(name: "guest-agent", maximumThreads: Self.concurrentDomains + 4)
        self.runner = LibvirtCallRunner(pool: pool, deadline: deadline, logger: logger)
        self.connections = ConnectionPool(
            uri: uri, api: api, maximumConnections: pool.maximumThreads, readWrite: true)
        self.interval = interval
    }

    /// One pass over the running domains.
    ///
    /// - Throws: the listing's failure, or ``GuestInfoError`` when it did not answer in time: no
    ///   report is better than one that says no domain runs.
    public func read() async throws -> GuestInfoReport {
        let listing = await runner.run("virConnectListAllDomains") { [connections] in
            Result { () throws(LibvirtError) in
                try connections.withConnection { connection throws(LibvirtError) in try connection.runningDomainNames()
                }
            }
        }
        let names: [String]
        switch listing {
        case .finished(.success(let listed)): names = listed
        case .finished(.failure(let error)): throw error
        case .overran, .notStarted:
            throw GuestInfoError("libvirt did not list the running domains within \(runner.deadline)")
        }
        gate.keepBackoffs(only: Set(names.map { ExactText($0) }))
        var domains: [GuestInfoReport.Domain] = []
        await withTaskGroup(of: GuestInfoReport.Domain.self) { group in
            var next = names.makeIterator()
            func start() {
                guard let name = next.next() else { return }
                group.addTask { [gate, runner, connections] in
                    await Self.ask(name, gate: gate, runner: runner, connections: connections)
                }
            }
            for _ in 0..<Self.concurrentDomains { start() }
            for await domain in group {
                domains.append(domain)
                start()
            }
        }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        return GuestInfoReport(
            written: Date().timeIntervalSince1970, interval: seconds, domains: domains.sorted { $0.name < $1.name })
    }

    private static func ask(
        _ name: String, gate: DomainCallGate, runner: LibvirtCallRunner, connections: ConnectionPool
    ) async -> GuestInfoReport.Domain {
        let outcome = await gate.call(name, "virDomainGetGuestInfo", on: runner) { () throws(LibvirtError) in
            try connections.withConnection { connection throws(LibvirtError) in try connection.guestInfo(ofDomain: name)
            }
        }
        switch outcome {
        case .success(.finished(.success(let fields))): return .init(name: name, fields: fields)
        case .success(.finished(.failure(let error))): return .init(name: name, error: error.code.name)
        case .success(.overran): return .init(name: name, error: CollectionError.deadlineExceeded)
        case .success(.notStarted): return .init(name: name, error: CollectionError.noThread)
        case .failure(let refusal): return .init(name: name, error: refusal.rawValue)
        }
    }
}
