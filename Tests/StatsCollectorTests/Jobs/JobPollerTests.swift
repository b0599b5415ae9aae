import Logging
import Synchronization
import Testing

@testable import StatsCollector

/// The job poller on scripted libvirt calls: a domain that does not answer delays no other.
@Suite struct JobPollerTests {
    @Test func aStuckDomainDelaysNoOtherDomainsJobStatsAndGetsOneCall() async throws {
        let stuck = Latch()
        defer { stuck.open() }
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [] },
            onJobStats: { name, completed in
                if name == "stuck" { stuck.wait() }
                return completed
                    ? JobStats(type: 0, parameters: [])
                    : JobStats(type: 2, parameters: [TypedParameter(field: "time_elapsed", value: .ullong(1000))])
            })
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "poller-tests", maximumThreads: 4), deadline: .milliseconds(100),
            logger: Logger(label: "poller-tests"))
        let gate = DomainCallGate()
        let poller = JobPoller(
            uri: "scripted:///", api: ScriptedLibvirt(connection), interval: .milliseconds(100), runner: runner,
            gate: gate, logger: Logger(label: "poller-tests"))
        await poller.track(["migrating", "stuck"])
        let updates = Mutex<[String]>([])
        let polling = Task { await poller.run { update, _ in updates.withLock { $0.append(update.domain) } } }
        // Updates of the other domain keep coming while the stuck one's first call waits.
        let kept = await eventually { updates.withLock { $0 }.filter { $0 == "migrating" }.count >= 6 }
        polling.cancel()
        await polling.value

        let delivered = updates.withLock { $0 }
        #expect(!stuck.isOpened)
        #expect(kept, "updates of the other domain every 100 ms or so: \(delivered)")
        #expect(!delivered.contains("stuck"))
        #expect(connection.count("virDomainIsActive stuck") == 1, "one call in flight, never a second")
        #expect(gate.isInFlight("stuck"))
        stuck.open()
        #expect(await eventually { !gate.isInFlight("stuck") })
    }
}
