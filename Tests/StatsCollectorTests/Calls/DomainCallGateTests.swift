import Synchronization
import Testing

@testable import StatsCollector

@Suite struct DomainCallGateTests {
    private static let timeout = LibvirtError(
        function: "virDomainGetJobStats", code: .operationTimeout, origin: 10,
        message: "Timed out during operation: cannot acquire state change lock")

    /// A clock that moves only when the test says so.
    private final class ManualClock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    private static let runner = LibvirtCallRunner(
        pool: BlockingCallPool(name: "gate-tests", maximumThreads: 4), deadline: .milliseconds(200),
        logger: .init(label: "gate-tests"))

    @Test func atMostOneCallInFlightPerDomain() {
        let gate = DomainCallGate()
        #expect(gate.acquire("web"))
        #expect(!gate.acquire("web"), "a second call on the same domain waits its turn")
        #expect(gate.acquire("db"), "other domains are not held up")
    }

    @Test func aCallPastItsDeadlineHoldsTheDomainUntilItReturns() async {
        let gate = DomainCallGate()
        let release = Latch()
        let outcome = await gate.call("stuck", "virDomainGetJobStats", on: Self.runner) { () throws(LibvirtError) in
            release.wait()
            return 1
        }
        guard case .success(.overran) = outcome else {
            Issue.record("expected the call to overrun, got \(String(describing: outcome))")
            return
        }
        #expect(gate.isInFlight("stuck"))
        let second = await gate.call("stuck", "virDomainGetJobStats", on: Self.runner) { () throws(LibvirtError) in 2 }
        guard case .failure(.inFlight) = second else {
            Issue.record("expected no second call while the first is still in flight, got \(second)")
            return
        }
        release.open()
        #expect(await eventually { !gate.isInFlight("stuck") })
        let third = await gate.call("stuck", "virDomainGetJobStats", on: Self.runner) { () throws(LibvirtError) in 3 }
        guard case .success(.finished(.success(3))) = third else {
            Issue.record("expected the domain to answer again, got \(String(describing: third))")
            return
        }
    }

    @Test func aTimeoutBacksOffDoublingUpToFiveMinutesAndAnAnswerEndsIt() async throws {
        let clock = ManualClock()
        let gate = DomainCallGate(now: { clock.now })
        var expected: [Duration] = []
        var seen: [Duration] = []
        for _ in 0..<6 {
            _ = await gate.call("locked", "virDomainGetJobStats", on: Self.runner) { () throws(LibvirtError) -> Int in
                throw Self.timeout
            }
            let remaining = try #require(gate.backoffRemaining("locked"))
            seen.append(remaining)
            expected.append(min(DomainCallGate.firstBackoff * (1 << expected.count), DomainCallGate.maximumBackoff))
            #expect(!gate.acquire("locked"), "no call while backing off")
            clock.advance(remaining)
        }
        #expect(seen == expected)
        #expect(seen.last == .seconds(300))
        let answered = await gate.call("locked", "virDomainGetJobStats", on: Self.runner) { () throws(LibvirtError) in 1
        }
        guard case .success(.finished(.success(1))) = answered else {
            Issue.record("expected an answer, got \(String(describing: answered))")
            return
        }
        #expect(gate.backoffRemaining("locked") == nil, "an answer ends the backoff")
        _ = await gate.call("locked", "virDomainGetJobStats", on: Self.runner) { () throws(LibvirtError) -> Int in
            throw Self.timeout
        }
        #expect(gate.backoffRemaining("locked") == DomainCallGate.firstBackoff, "and starts it over")
    }

    @Test func clearingTheBackoffLetsCallsThrough() async {
        let gate = DomainCallGate()
        _ = await gate.call("locked", "virDomainGetJobStats", on: Self.runner) { () throws(LibvirtError) -> Int in
            throw Self.timeout
        }
        #expect(!gate.acquire("locked"))
        gate.clearBackoff("locked")
        #expect(gate.acquire("locked"))
    }
}

/// Calls that wait for a thread past their deadline are never run: nothing they would have
/// cleared may stay set.
@Suite struct AbandonedCallTests {
    @Test func aCallThatNeverGotAThreadLeavesItsDomainFree() async {
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "abandoned-tests", maximumThreads: 1), deadline: .milliseconds(100),
            logger: .init(label: "abandoned-tests"))
        let gate = DomainCallGate()
        let latch = Latch()
        defer { latch.open() }
        async let first = gate.call("a", "virDomainGetJobStats", on: runner) { () throws(LibvirtError) in
            latch.wait()
            return 0
        }
        // "a" holds the only thread: "b" waits for it past its deadline and is given up unrun.
        try? await Task.sleep(for: .milliseconds(20))
        let second = await gate.call("b", "virDomainGetJobStats", on: runner) { () throws(LibvirtError) in 1 }
        _ = await first
        latch.open()
        #expect(await eventually { !gate.isInFlight("a") }, "a call that ran frees its domain when it returns")
        #expect(!gate.isInFlight("b"), "a call that never ran leaves its domain free: \(String(describing: second))")
        let again = await gate.call("b", "virDomainGetJobStats", on: runner) { () throws(LibvirtError) in 2 }
        guard case .success(.finished(.success(2))) = again else {
            Issue.record("expected the domain to be called again, got \(String(describing: again))")
            return
        }
    }

    @Test func anOpenThatNeverGotAThreadIsNotWaitedFor() async throws {
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "abandoned-open-tests", maximumThreads: 1), deadline: .milliseconds(100),
            logger: .init(label: "abandoned-open-tests"))
        let connection = ScriptedConnection(onBulkStats: { _, _ in [] })
        let keeper = ConnectionKeeper(
            uri: "scripted:///", api: ScriptedLibvirt(connection), runner: runner, logger: .init(label: "keeper"))
        let latch = Latch()
        defer { latch.open() }
        // Something else holds the pool's only thread while the keeper's first open waits for one.
        async let busy = runner.run("virConnectGetAllDomainStats") { latch.wait() }
        try await Task.sleep(for: .milliseconds(20))
        await #expect(throws: CollectionError.self) { try await keeper.connection() }
        _ = await busy
        latch.open()
        #expect(await eventually { runner.pool.overdueCalls == 0 })
        let (opened, isNew) = try await keeper.connection()
        #expect(opened === connection && isNew, "an open that never ran is not waited for: the next request opens")
    }
}
