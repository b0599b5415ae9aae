import Logging
import Synchronization
import TestSupport
import Testing

@testable import StatsCollector

/// Domain events: their bounded labels, the hub's one subscription and its fan-out, the counters
/// in the collector's snapshots, and the job poller as a consumer of the hub.
@Suite struct DomainEventTests {
    private static let logger = Logger(label: "event-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    private static func runner() -> LibvirtCallRunner {
        LibvirtCallRunner(
            pool: BlockingCallPool(name: "event-tests", maximumThreads: 2), deadline: .milliseconds(500),
            logger: logger)
    }

    private static func hub(_ api: ScriptedLibvirt) -> DomainEventHub {
        DomainEventHub(
            uri: "scripted:///", api: api, runner: runner(), checkInterval: .milliseconds(20), logger: logger)
    }

    @Test func labelsAreLibvirtsEnumNamesWithBoundedFallbacks() {
        func key(_ kind: DomainEvent.Kind) -> String? {
            DomainEventLabels.key(of: kind).map { "\($0.event)/\($0.detail)" }
        }
        #expect(key(.lifecycle(.suspended, detail: 2)) == "suspended/ioerror")
        #expect(key(.lifecycle(.suspended, detail: 3)) == "suspended/watchdog")
        #expect(key(.lifecycle(.stopped, detail: 1)) == "stopped/destroyed")
        #expect(key(.lifecycle(.started, detail: 1)) == "started/migrated")
        #expect(key(.lifecycle(.crashed, detail: 0)) == "crashed/panicked")
        #expect(key(.lifecycle(.pmSuspended, detail: 1)) == "pmsuspended/disk")
        #expect(key(.lifecycle(.undefined, detail: 0)) == "undefined/removed")
        #expect(key(.lifecycle(.resumed, detail: 99)) == "resumed/unknown")
        #expect(key(.lifecycle(.other(42), detail: 0)) == "unknown/unknown")
        #expect(key(.ioError(action: 1)) == "io_error/pause")
        #expect(key(.ioError(action: 7)) == "io_error/unknown")
        #expect(key(.watchdog(action: 6)) == "watchdog/inject_nmi")
        #expect(key(.blockThreshold) == "block_threshold/none")
        #expect(key(.reboot) == "reboot/none")
        for uncounted: DomainEvent.Kind in [
            .jobCompleted, .migrationIteration, .metadataChanged, .deviceAdded, .deviceRemoved,
        ] {
            #expect(key(uncounted) == nil)
        }
    }

    @Test func theHubFansEveryEventOutAndSubscribesAgainAfterAReconnect() async throws {
        let connections = Mutex([ScriptedConnection(onBulkStats: { _, _ in [] })])
        let api = ScriptedLibvirt(onOpen: { connections.withLock { $0.last! } })
        let hub = Self.hub(api)
        let first = hub.subscribe()
        let second = hub.subscribe()
        let running = Task { await hub.run() }
        defer { running.cancel() }

        let old = connections.withLock { $0[0] }
        #expect(await eventually { old.eventSubscriptions == 1 })
        old.emit(DomainEvent(domain: "web", kind: .lifecycle(.started, detail: 0)))
        var firstEvents = first.makeAsyncIterator()
        var secondEvents = second.makeAsyncIterator()
        #expect(await firstEvents.next() == DomainEvent(domain: "web", kind: .lifecycle(.started, detail: 0)))
        #expect(await secondEvents.next() == DomainEvent(domain: "web", kind: .lifecycle(.started, detail: 0)))

        // libvirtd went away: the hub opens a new connection and registers there.
        let new = ScriptedConnection(onBulkStats: { _, _ in [] })
        connections.withLock { $0.append(new) }
        old.close()
        #expect(await eventually { new.eventSubscriptions == 1 })
        #expect(old.eventSubscriptions == 1, "registered once per connection")
        new.emit(DomainEvent(domain: "db", kind: .ioError(action: 1)))
        #expect(await firstEvents.next() == DomainEvent(domain: "db", kind: .ioError(action: 1)))
        #expect(api.opens == 2)
    }

    /// A registration that fails on a connection that stays alive is tried again, with a growing
    /// delay, each failure counted; events then arrive once each, never twice. A kind the daemon
    /// does not support is not asked again.
    @Test func aFailedSubscriptionIsRetriedOnTheLiveConnectionAndCounted() async throws {
        let unsupported = LibvirtError(
            function: "virConnectDomainEventRegisterAny", code: .invalidArgument, origin: 0,
            message: "unsupported event ID 24")
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [] },
            onWatch: { earlier throws(LibvirtError) in
                if earlier < 2 {
                    throw LibvirtError(
                        function: "virConnectDomainEventRegisterAny", code: .rpc, origin: 7, message: "rpc failed")
                }
                return [unsupported]
            })
        let api = ScriptedLibvirt(connection)
        let hub = Self.hub(api)
        let events = hub.subscribe()
        let failures = Mutex<[CollectionError]>([])
        let running = Task { await hub.run { failure in failures.withLock { $0.append(failure) } } }
        defer { running.cancel() }
        try #require(await eventually { connection.eventSubscriptions == 1 }, "registered once the daemon lets it")
        try await Task.sleep(for: .milliseconds(300))
        #expect(connection.count("virConnectDomainEventRegisterAny") == 3, "tried until it worked, then not again")
        #expect(api.opens == 1, "on the connection that stayed alive")
        #expect(failures.withLock { $0.map(\.reason) } == ["rpc", "rpc"], "each failure counted")
        connection.emit(DomainEvent(domain: "web", kind: .reboot))
        connection.emit(DomainEvent(domain: "web", kind: .watchdog(action: 1)))
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == DomainEvent(domain: "web", kind: .reboot))
        #expect(await iterator.next() == DomainEvent(domain: "web", kind: .watchdog(action: 1)), "each event once")
    }

    @Test func countersAppearInEverySnapshotAndGoWithTheirDomain() async throws {
        let store = SnapshotStore()
        let domains = ListedDomains(["web", "gone"])
        let collector = Collector(
            source: domains, store: store, exporterVersion: "1", libvirtVersion: "9.0.0",
            logger: Self.logger)
        await collector.count(DomainEvent(domain: "web", kind: .lifecycle(.suspended, detail: 2)))
        await collector.count(DomainEvent(domain: "web", kind: .lifecycle(.suspended, detail: 2)))
        await collector.count(DomainEvent(domain: "web", kind: .lifecycle(.resumed, detail: 0)))
        await collector.count(DomainEvent(domain: "web", kind: .jobCompleted))
        await collector.count(DomainEvent(domain: "gone", kind: .lifecycle(.stopped, detail: 1)))
        await collector.collectOnce()
        var text = try exposition(store)
        let paused = ["domain": "web", "event": "suspended", "detail": "ioerror"]
        #expect(text.value("libvirt_domain_events_total", paused) == 2)
        #expect(text.value("libvirt_domain_events_total", ["domain": "web", "event": "resumed"]) == 1)
        #expect(text.samples("libvirt_domain_events_total", ["domain": "web"]).count == 2, "job events are not counted")
        #expect(text.value("libvirt_domain_events_total", ["domain": "gone", "detail": "destroyed"]) == 1)
        #expect(text.types["libvirt_domain_events_total"] == "counter")

        // "gone" is undefined: the next collection no longer lists it, and its series go.
        domains.list(["web"])
        await collector.count(DomainEvent(domain: "gone", kind: .lifecycle(.undefined, detail: 0)))
        await collector.collectOnce()
        text = try exposition(store)
        #expect(text.samples("libvirt_domain_events_total", ["domain": "gone"]).isEmpty)
        #expect(text.value("libvirt_domain_events_total", paused) == 2)

        // A job update's snapshot carries the counters too.
        await collector.count(DomainEvent(domain: "web", kind: .lifecycle(.suspended, detail: 2)))
        await collector.apply(
            JobUpdate(domain: "web", parameters: [.init(field: "job.type", value: .int(0))], readAt: .now), polls: 1)
        text = try exposition(store)
        #expect(text.value("libvirt_domain_events_total", paused) == 3)
        #expect(text.value("libvirt_exporter_job_polls_total") == 1)
    }

    @Test func aStaleSnapshotCarriesNoCounters() async throws {
        let store = SnapshotStore()
        let hung = CollectionError(
            call: "virConnectGetAllDomainStats", reason: CollectionError.deadlineExceeded, message: "no answer")
        let collector = Collector(
            source: Unreachable(error: hung), store: store, exporterVersion: "1", libvirtVersion: "9.0.0",
            logger: Self.logger)
        await collector.count(DomainEvent(domain: "web", kind: .lifecycle(.crashed, detail: 0)))
        await collector.collectOnce()
        let text = try exposition(store)
        #expect(text.value("libvirt_exporter_collection_stale") == 1)
        #expect(text.samples("libvirt_domain_events_total").isEmpty, "no domain series in a stale snapshot")
    }

    @Test func aDomainCreatedWhileACollectionRunsKeepsItsCounters() async throws {
        let store = SnapshotStore()
        let source = HeldSource(names: ["web"])
        let collector = Collector(
            source: source, store: store, exporterVersion: "1", libvirtVersion: "9.0.0", logger: Self.logger)
        async let collected = collector.collectOnce()
        #expect(await eventually { await source.isWaiting })
        // libvirt listed the domains before "new" was created; its first event comes after that.
        await collector.count(DomainEvent(domain: "new", kind: .lifecycle(.started, detail: 0)))
        await source.answer()
        _ = await collected
        let text = try exposition(store)
        #expect(text.value("libvirt_domain_events_total", ["domain": "new", "event": "started"]) == 1)
    }

    @Test func theJobPollerReadsACompletedJobWhenTheHubSaysSo() async throws {
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [] },
            onJobStats: { _, completed in
                completed
                    ? JobStats(type: 3, parameters: [TypedParameter(field: "time_elapsed", value: .ullong(900))])
                    : JobStats(type: 0, parameters: [])
            })
        let api = ScriptedLibvirt(connection)
        let hub = Self.hub(api)
        let runner = Self.runner()
        let poller = JobPoller(
            uri: "scripted:///", api: api, interval: .milliseconds(100), runner: runner, gate: DomainCallGate(),
            events: hub.subscribe(), logger: Self.logger)
        let updates = Mutex<[JobUpdate]>([])
        let hubRunning = Task { await hub.run() }
        let polling = Task { await poller.run { update, _ in updates.withLock { $0.append(update) } } }
        defer {
            hubRunning.cancel()
            polling.cancel()
        }
        #expect(await eventually { connection.eventSubscriptions == 1 }, "one subscription, the hub's")
        connection.emit(DomainEvent(domain: "saved", kind: .jobCompleted))
        #expect(await eventually { updates.withLock { !$0.isEmpty } })
        let update = try #require(updates.withLock { $0.first })
        #expect(update.domain == "saved")
        #expect(update.parameters.contains(.init(field: "completedjob.type", value: .int(3))))
        #expect(connection.eventSubscriptions == 1, "the poller registers no callbacks of its own")
    }

    private func exposition(_ store: SnapshotStore) throws -> ParsedExposition {
        ParsedExposition(String(decoding: try #require(store.latest).text.array, as: UTF8.self))
    }
}

/// A source that lists the running domains named in `names` at each fetch.
private final class ListedDomains: StatsSource {
    private let names: Mutex<[String]>

    init(_ names: [String]) {
        self.names = Mutex(names)
    }

    /// Lists `names` from the next fetch on.
    func list(_ names: [String]) {
        self.names.withLock { $0 = names }
    }

    func fetchStats() async throws(CollectionError) -> StatsBatch {
        StatsBatch(domains: names.withLock { $0 }.map { runningDomain($0) })
    }
}

/// A source that lists `names` once the test lets the fetch answer.
private actor HeldSource: StatsSource {
    private let names: [String]
    private var waiting: CheckedContinuation<Void, Never>?

    init(names: [String]) {
        self.names = names
    }

    var isWaiting: Bool { waiting != nil }

    func answer() {
        waiting?.resume()
        waiting = nil
    }

    func fetchStats() async throws(CollectionError) -> StatsBatch {
        await withCheckedContinuation { waiting = $0 }
        return StatsBatch(domains: names.map { runningDomain($0) })
    }
}

/// A source whose every fetch fails with `error`.
private struct Unreachable: StatsSource {
    let error: CollectionError

    func fetchStats() async throws(CollectionError) -> StatsBatch { throw error }
}
