import Logging
import Synchronization
import Testing

@testable import StatsCollector

/// The fault logic of ``LibvirtStatsSource`` on scripted libvirt calls: calls that never return,
/// return late or fail, connections that close, daemons that reject flags.
@Suite struct LibvirtStatsSourceTests {
    private static let deadline = Duration.milliseconds(200)

    private static func source(
        _ api: ScriptedLibvirt, gate: DomainCallGate = DomainCallGate(), scope: CollectionScope = .everything
    ) throws -> (LibvirtStatsSource, LibvirtCallRunner) {
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "source-tests", maximumThreads: 6), deadline: deadline,
            logger: Logger(label: "source-tests"))
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: api, runner: runner, gate: gate, scope: scope,
            logger: Logger(label: "source-tests"))
        return (source, runner)
    }

    @Test func aBulkCallStuckOnOneDomainIsAskedAgainAndTheOthersKeepComing() async throws {
        let stuck = Latch()
        defer { stuck.open() }
        let jobHeld = Flag()
        let connection = ScriptedConnection(
            onBulkStats: { _, earlier in
                jobHeld.set(earlier > 1 && !stuck.isOpened)
                // The second call takes the stopped domain's job and waits for it; the third
                // finds the job held and answers at once, without that domain's monitor stats.
                if earlier == 1 { stuck.wait() }
                return [
                    runningDomain("healthy", cpuTime: UInt64(earlier + 1) * 1_000_000_000),
                    runningDomain("stopped", partial: earlier > 1 && !stuck.isOpened),
                ]
            },
            onControlInfo: { name in
                DomainControlInfo(state: name == "stopped" && jobHeld.isSet ? .occupied : .ok, stateTime: .seconds(3))
            })
        let (source, runner) = try Self.source(ScriptedLibvirt(connection))

        let first = try await source.fetchStats()
        #expect(first.incompleteDomains.isEmpty)
        let jobCallsBefore = connection.count("virDomainGetJobStats stopped")
        let second = try await source.fetchStats()
        #expect(!stuck.isOpened, "the fetch came back while the stuck call still waits for libvirt")
        #expect(second.domains.map(\.name) == ["healthy", "stopped"])
        #expect(second.domains[0].parameters.contains(.init(field: "cpu.time", value: .ullong(3_000_000_000))))
        #expect(second.incompleteDomains == ["stopped"])
        #expect(!second.domains[1].parameters.contains { $0.field == "balloon.rss" }, "missing fields stay absent")
        #expect(
            connection.count("virDomainGetJobStats stopped") == jobCallsBefore,
            "no per-domain call waits for the stuck domain")
        #expect(
            connection.count("virDomainGetJobStats healthy") == 2 + 1,
            "the active job each fetch, the completed job once: nothing said it changed")
        #expect(runner.stuckCalls["virConnectGetAllDomainStats"] == 1)
        #expect(runner.pool.overdueCalls == 1)

        stuck.open()
        #expect(await eventually { runner.pool.overdueCalls == 0 }, "the thread comes back when libvirt answers")
        let after = try await source.fetchStats()
        #expect(after.incompleteDomains.isEmpty, "complete again once its stats are whole")
    }

    @Test func aHungDaemonFailsTheFetchWithinTwoDeadlinesAndGetsNoMoreCalls() async throws {
        let hung = Latch()
        defer { hung.open() }
        let connection = ScriptedConnection(onBulkStats: { _, earlier in
            if earlier >= 1 { hung.wait() }
            return [runningDomain("web")]
        })
        let (source, runner) = try Self.source(ScriptedLibvirt(connection))
        _ = try await source.fetchStats()

        await #expect(throws: CollectionError.self) { try await source.fetchStats() }
        #expect(runner.pool.overdueCalls == 2, "both calls still wait for libvirt; the fetch did not")
        do {
            _ = try await source.fetchStats()
            Issue.record("expected a stale fetch")
        } catch {
            #expect(error.isDeadlineExceeded)
        }
        #expect(connection.count("virConnectGetAllDomainStats") == 3, "two in flight, then no third")
        #expect(runner.pool.threadCount <= runner.pool.maximumThreads)

        hung.open()
        #expect(await eventually { runner.pool.overdueCalls == 0 })
        #expect(try await source.fetchStats().domains.map(\.name) == ["web"], "fresh data once libvirt answers")
    }

    @Test func aConnectionThatClosesMidCallIsReopened() async throws {
        let dropped = Mutex(false)
        let first = ScriptedConnection(onBulkStats: { _, _ in [runningDomain("web")] })
        let second = ScriptedConnection(onBulkStats: { _, _ in [runningDomain("web"), runningDomain("db")] })
        let api = ScriptedLibvirt(onOpen: { dropped.withLock { $0 } ? second : first })
        let (source, _) = try Self.source(api)
        _ = try await source.fetchStats()

        first.close()
        dropped.withLock { $0 = true }
        let batch = try await source.fetchStats()
        #expect(batch.domains.map(\.name) == ["web", "db"])
        #expect(api.opens == 2)
    }

    @Test func aFailedCallOnALiveConnectionKeepsIt() async throws {
        let connection = ScriptedConnection(onBulkStats: { _, earlier throws(LibvirtError) in
            if earlier == 0 {
                throw LibvirtError(
                    function: "virConnectGetAllDomainStats", code: .internalError, origin: 10, message: "x")
            }
            return [runningDomain("web")]
        })
        let api = ScriptedLibvirt(connection)
        let (source, _) = try Self.source(api)
        await #expect(throws: CollectionError.self) { try await source.fetchStats() }
        _ = try await source.fetchStats()
        #expect(api.opens == 1)
    }

    @Test func aDaemonThatRejectsNoWaitIsAskedWithoutItFromThenOn() async throws {
        let flags = Mutex<[Bool]>([])
        let connection = ScriptedConnection(onBulkStats: { noWait, _ throws(LibvirtError) in
            flags.withLock { $0.append(noWait) }
            if noWait {
                throw LibvirtError(
                    function: "virConnectGetAllDomainStats", code: .invalidArgument, origin: 10,
                    message: "unsupported flags (0x20000000)")
            }
            return [runningDomain("web")]
        })
        let (source, _) = try Self.source(ScriptedLibvirt(connection))
        #expect(try await source.fetchStats().domains.count == 1)
        #expect(try await source.fetchStats().domains.count == 1)
        #expect(flags.withLock { $0 } == [true, false, false])
    }

    @Test func opensThatHangAreBoundedAndAdoptedWhenTheyArrive() async throws {
        let hung = Latch()
        defer { hung.open() }
        let connection = ScriptedConnection(onBulkStats: { _, _ in [runningDomain("web")] })
        let api = ScriptedLibvirt(onOpen: {
            hung.wait()
            return connection
        })
        let (source, _) = try Self.source(api)
        for _ in 0..<3 {
            do {
                _ = try await source.fetchStats()
                Issue.record("expected the fetch to fail while the open hangs")
            } catch {
                #expect(error.isDeadlineExceeded)
            }
        }
        #expect(api.opens == 2, "one open per bulk attempt, and none while two bulk calls wait")
        hung.open()
        #expect(await eventually { connection.isAlive })
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await source.fetchStats().domains.map(\.name) == ["web"])
        #expect(api.opens == 2, "the late connections are the ones used")
    }

    @Test func aStuckDomainGetsAtMostOneProbeInFlight() async throws {
        let probe = Latch()
        defer { probe.open() }
        let connection = ScriptedConnection(
            onBulkStats: { _, earlier in [runningDomain("stopped", partial: earlier > 0)] },
            onControlInfo: { _ in
                probe.wait()
                return DomainControlInfo(state: .occupied, stateTime: .seconds(40))
            })
        let (source, _) = try Self.source(ScriptedLibvirt(connection))
        // The first record has no baseline yet: its probe hangs, so the domain counts as incomplete.
        for _ in 0..<3 {
            #expect(try await source.fetchStats().incompleteDomains == ["stopped"])
        }
        #expect(connection.count("virDomainGetControlInfo") == 1)
    }

    @Test func perDomainFailuresAreClassifiedByCode() async throws {
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("incoming"), runningDomain("web")] },
            onJobStats: { name, _ throws(LibvirtError) in
                guard name == "incoming" else { return JobStats(type: 0, parameters: []) }
                throw LibvirtError(
                    function: "virDomainGetJobStats", code: .operationUnsupported, origin: 10,
                    message: "Operation not supported: migration statistics are available only on the source host")
            })
        let (source, _) = try Self.source(ScriptedLibvirt(connection))
        let batch = try await source.fetchStats()
        #expect(batch.errors.isEmpty, "a migration's destination is not an error")
        #expect(batch.jobStatsAvailable == true)
    }

    @Test func theScopeChoosesTheBulkGroupsThePerDomainCallsAndTheDomains() async throws {
        let connection = ScriptedConnection(onBulkStats: { _, _ in
            [runningDomain("web-1"), runningDomain("web-2"), runningDomain("scratch")]
        })
        var parts = Set(CollectorPart.allCases)
        parts.subtract([.kvm, .jobs])
        let scope = CollectionScope(parts: parts, includePattern: "web-.*", excludePattern: "web-2")
        let (source, _) = try Self.source(ScriptedLibvirt(connection), scope: scope)
        let batch = try await source.fetchStats()
        #expect(batch.domains.map(\.name) == ["web-1"], "whole-name patterns: included and not excluded")
        #expect(connection.groupsAsked == [0b011_1111_1111 & ~(1 << 10)], "the vm group is not asked for")
        #expect(connection.count("virDomainGetJobStats") == 0, "no job calls with jobs off")
        #expect(connection.count("virDomainGetCPUStats scratch") == 0, "an excluded domain costs no calls")
        #expect(connection.count("virDomainGetCPUStats web-1") == 1)

        let (everything, _) = try Self.source(ScriptedLibvirt(connection))
        _ = try await everything.fetchStats()
        #expect(connection.groupsAsked.last == 0, "every group: libvirt's own 0, which also takes new groups")
        #expect(throws: (any Error).self) {
            try LibvirtStatsSource(
                uri: "x",
                runner: LibvirtCallRunner(
                    pool: BlockingCallPool(name: "x", maximumThreads: 1), deadline: .seconds(1),
                    logger: .init(label: "x")),
                scope: CollectionScope(parts: [], includePattern: "(unclosed"), logger: .init(label: "x"))
        }
    }

    /// The last completed job is read once, and again only while a job runs, after an event of
    /// the domain, or after a reconnect; each batch carries it.
    @Test func theCompletedJobIsReadAgainOnlyWhenItMayHaveChanged() async throws {
        let jobRuns = Flag()
        let completedType = Atomic<Int32>(3)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web"), runningDomain("db")] },
            onJobStats: { _, completed in
                if completed {
                    return JobStats(
                        type: completedType.load(ordering: .relaxed),
                        parameters: [.init(field: "time_elapsed", value: .ullong(900))])
                }
                return JobStats(type: jobRuns.isSet ? 2 : 0, parameters: [])
            })
        let api = ScriptedLibvirt(connection)
        let (source, _) = try Self.source(api)
        func completedJobType(in batch: StatsBatch, _ domain: String) -> TypedValue? {
            batch.domains.first { $0.name == domain }?.parameters.first { $0.field == "completedjob.type" }?.value
        }

        let jobCalls = { connection.count("virDomainGetJobStats web") }
        _ = try await source.fetchStats()
        #expect(jobCalls() == 2, "active and completed, the first time")
        let steady = try await source.fetchStats()
        #expect(jobCalls() == 3, "a steady host: the active job only")
        #expect(completedJobType(in: steady, "web") == .int(3), "the batch still carries the completed job")

        completedType.store(4, ordering: .relaxed)
        await source.jobMayHaveEnded("web")
        let afterEvent = try await source.fetchStats()
        #expect(jobCalls() == 5, "read again after a job-completed or lifecycle event")
        #expect(completedJobType(in: afterEvent, "web") == .int(4))
        #expect(completedJobType(in: afterEvent, "db") == .int(3), "another domain's is not read again")
        #expect(connection.count("virDomainGetJobStats db") == 4)

        jobRuns.set(true)
        _ = try await source.fetchStats()
        _ = try await source.fetchStats()
        #expect(jobCalls() == 9, "both, while a job runs")
        jobRuns.set(false)
        _ = try await source.fetchStats()
        #expect(jobCalls() == 11, "once more after the job: the first fetch that sees none reads it")
        _ = try await source.fetchStats()
        #expect(jobCalls() == 12)
    }

    /// A read of the completed job that fails after an event marked it keeps the mark: the next
    /// collection reads it again rather than serving the entry from before the event.
    @Test func aFailedCompletedJobReadIsTriedAgainNextTime() async throws {
        let fails = Flag()
        let completedType = Atomic<Int32>(3)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web")] },
            onJobStats: { _, completed throws(LibvirtError) in
                guard completed else { return JobStats(type: 0, parameters: []) }
                if fails.isSet {
                    throw LibvirtError(function: "virDomainGetJobStats", code: .rpc, origin: 7, message: "rpc failed")
                }
                return JobStats(type: completedType.load(ordering: .relaxed), parameters: [])
            })
        let (source, _) = try Self.source(ScriptedLibvirt(connection))
        func completedJobType(_ batch: StatsBatch) -> TypedValue? {
            batch.domains[0].parameters.first { $0.field == "completedjob.type" }?.value
        }
        #expect(completedJobType(try await source.fetchStats()) == .int(3))

        completedType.store(4, ordering: .relaxed)
        await source.jobMayHaveEnded("web")
        fails.set(true)
        let failed = try await source.fetchStats()
        #expect(failed.errors.map(\.call) == ["virDomainGetJobStats"], "the failed read is counted")
        fails.set(false)
        let after = try await source.fetchStats()
        #expect(completedJobType(after) == .int(4), "read again, not the entry from before the event")
    }

    /// A metadata or device event that arrives while the domain's XML is being read may not be in
    /// what that read returns: the next collection reads the XML again.
    @Test func anEventDuringTheXMLReadIsKeptForTheNextCollection() async throws {
        let reading = Latch()
        let proceed = Latch()
        defer { proceed.open() }
        let reads = Atomic<Int>(0)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web")] },
            onXML: { _ in
                if reads.add(1, ordering: .relaxed).newValue == 2 {
                    reading.open()
                    proceed.wait()
                }
                return "<domain/>"
            })
        let (source, _) = try Self.source(ScriptedLibvirt(connection))
        _ = try await source.fetchStats()
        await source.domainMayHaveChanged("web")
        async let second = source.fetchStats()
        while !reading.isOpened { try await Task.sleep(for: .milliseconds(5)) }
        await source.domainMayHaveChanged("web")
        proceed.open()
        _ = try await second
        _ = try await source.fetchStats()
        #expect(reads.load(ordering: .relaxed) == 3, "the event during the second read makes a third")
    }

    /// libvirt holds `caf\u{E9}` and `cafe\u{301}` as two domains: each gets its own per-domain
    /// calls and its own job fields, and the domain patterns tell them apart by code point.
    @Test func domainsWhoseNamesDifferOnlyInNormalizationAreCollectedApart() async throws {
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        let bothInFlight = Latch()
        let inFlight = Atomic<Int>(0)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain(precomposed), runningDomain(decomposed)] },
            onJobStats: { name, completed in
                // The two domains' calls overlap, as a collection's per-domain calls do.
                if !completed, inFlight.add(1, ordering: .relaxed).newValue == 2 { bothInFlight.open() }
                if !completed { bothInFlight.wait() }
                let elapsed: UInt64 = Array(name.utf8) == Array(precomposed.utf8) ? 1000 : 2000
                return JobStats(
                    type: completed ? 0 : 2, parameters: [.init(field: "time_elapsed", value: .ullong(elapsed))])
            })
        let (source, _) = try Self.source(ScriptedLibvirt(connection))
        let batch = try await source.fetchStats()
        #expect(batch.errors.isEmpty, "\(batch.errors)")
        let elapsed = batch.domains.map { domain in
            (Array(domain.name.utf8), domain.parameters.first { $0.field == "job.time_elapsed" }?.value)
        }
        #expect(elapsed.count == 2)
        for (name, value) in elapsed {
            #expect(
                value == .ullong(name == Array(precomposed.utf8) ? 1000 : 2000), "\(name): \(String(describing: value))"
            )
        }

        let (filtered, _) = try Self.source(
            ScriptedLibvirt(connection), scope: CollectionScope(parts: [], includePattern: precomposed))
        let admitted = try await filtered.fetchStats().domains.map { Array($0.name.utf8) }
        #expect(admitted == [Array(precomposed.utf8)], "the pattern matches code points, not canonical equivalents")
    }

    @Test func aReconnectReadsTheCompletedJobAgain() async throws {
        let dropped = Mutex(false)
        let completedCalls = Atomic<Int>(0)
        func connection() -> ScriptedConnection {
            ScriptedConnection(
                onBulkStats: { _, _ in [runningDomain("web")] },
                onJobStats: { _, completed in
                    if completed { completedCalls.add(1, ordering: .relaxed) }
                    return JobStats(type: completed ? 3 : 0, parameters: [])
                })
        }
        let first = connection()
        let second = connection()
        let (source, _) = try Self.source(ScriptedLibvirt(onOpen: { dropped.withLock { $0 } ? second : first }))
        _ = try await source.fetchStats()
        _ = try await source.fetchStats()
        #expect(completedCalls.load(ordering: .relaxed) == 1)
        first.close()
        dropped.withLock { $0 = true }
        _ = try await source.fetchStats()
        _ = try await source.fetchStats()
        #expect(completedCalls.load(ordering: .relaxed) == 2, "read once more on the new connection, then kept")
    }
}
