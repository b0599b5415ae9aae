import Foundation
import Logging
import PromFormat
import Synchronization
import Testing

@testable import StatsCollector

/// The fault logic of ``LibvirtStatsSource`` on scripted libvirt calls: calls that never return,
/// return late or fail, connections that close, daemons that reject flags.
@Suite struct LibvirtStatsSourceTests {
    private static let deadline = Duration.milliseconds(200)

    /// Every part but the host's, the inventory's and the guests' report, whose calls have tests of
    /// their own (`HostTests`, `InventoryTests`, the guest tests) and would take connections and call
    /// time from the domains' calls these tests count.
    private static let domainParts = CollectionScope(
        parts: Set(CollectorPart.allCases).subtracting([.host, .inventory, .guest]))

    /// The deadline of the tests in which no call waits: long, so that a loaded machine (the
    /// suite runs its tests side by side on two cores) never overruns a call they count.
    private static let calm = Duration.seconds(10)

    private static func source(
        _ api: ScriptedLibvirt, gate: DomainCallGate = DomainCallGate(), scope: CollectionScope = domainParts,
        deadline: Duration = deadline
    ) throws -> (LibvirtStatsSource, LibvirtCallRunner) {
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "source-tests", maximumThreads: 6), deadline: deadline,
            logger: Logger(label: "source-tests"))
        let source = try LibvirtStatsSource(
            uri: "scripted:///", api: api, runner: runner, gate: gate, scope: scope,
            logger: Logger(label: "source-tests"))
        return (source, runner)
    }

    /// 6 and 8 hung QEMUs of 9: no healthy domain misses the stats that enter the monitor in any
    /// fetch (those of a batch that met a hung domain are asked again alone at once), each hung
    /// domain holds one call, never a second, and gets no per-domain call; all are whole again
    /// once QEMU answers.
    @Test(arguments: [["d1", "d2", "d3", "d4", "d6", "d8"], ["d1", "d2", "d3", "d4", "d5", "d6", "d8", "d9"]])
    func manyHungQEMUsLeaveTheOthersWhole(hung: [String]) async throws {
        let host = HungQEMUs(domains: (1...9).map { "d\($0)" }, hung: Set(hung))
        defer { host.resumed.open() }
        let connection = host.connection()
        let (source, runner) = try Self.source(ScriptedLibvirt(connection))
        let healthy = host.domains.filter { !hung.contains($0) }
        for fetch in 0..<4 {
            let batch = try await source.fetchStats()
            #expect(batch.domains.count == 9, "every domain, with its state")
            for name in healthy {
                #expect(!batch.incompleteDomains.contains(ExactText(name)), "fetch \(fetch): \(name) missed its stats")
            }
            if fetch >= 1 {
                let flagged = hung.allSatisfy { batch.incompleteDomains.contains(ExactText($0)) }
                #expect(flagged, "the hung ones are flagged")
            }
            if fetch >= 2 {
                for name in healthy {
                    let record = batch.domains.first { $0.name == name }!
                    #expect(record.parameters.contains { $0.field == "job.type" }, "\(name) has its per-domain stats")
                }
            }
            if fetch == 3 {
                let skipped = batch.errors.filter(\.isSkipped)
                let notAsked = Set(skipped.filter { $0.call == "virDomainListGetStats" }.compactMap(\.domain))
                #expect(notAsked == Set(hung), "a hung domain's stats are not asked while its call waits: \(skipped)")
                #expect(skipped.allSatisfy { hung.contains($0.domain ?? "") }, "\(skipped)")
            }
        }
        #expect(runner.pool.overdueCalls == 0, "no call of the calls without monitor waits")
        let statsCalls = source.statsCalls.pool
        #expect(statsCalls.overdueCalls == hung.count, "one call waits for each hung domain, never a second")
        for name in hung {
            #expect(host.isHeld(name))
            #expect(connection.count("virDomainGetJobStats \(name)") == 0, "no per-domain call waits for \(name)")
        }

        host.resumed.open()
        #expect(await eventually { statsCalls.overdueCalls == 0 }, "the threads come back when QEMU answers")
        let after = try await source.fetchStats()
        #expect(after.incompleteDomains.isEmpty, "whole again")
        #expect(after.errors.isEmpty, "\(after.errors)")
        for record in after.domains {
            #expect(record.parameters.contains { $0.field == "job.type" }, "\(record.name) has its per-domain stats")
        }
    }

    /// Another client (a second exporter, `virsh domstats`, a cloud agent) holds a domain's job for
    /// a moment: libvirt's `NOWAIT` answer for it lacks the fields that need the job. It is asked
    /// again alone at once and comes whole: not flagged, not thinned, and its baseline intact. A
    /// domain's first record, which has no baseline, is asked twice so.
    @Test func aDomainAnsweredPartlyIsAskedAgainAloneAtOnce() async throws {
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web"), runningDomain("db")] },
            onDomainStats: { names, _, earlier in
                // The first fetch makes calls 0 to 2 (a batch, then each new domain alone).
                names.map { earlier == 3 && $0 == "db" ? runningDomain($0, partial: true) : runningDomain($0) }
            })
        let (source, _) = try Self.source(ScriptedLibvirt(connection), deadline: Self.calm)
        _ = try await source.fetchStats()
        let batch = try await source.fetchStats()
        let db = try #require(batch.domains.first { $0.name == "db" })
        #expect(db.parameters.contains { $0.field == "balloon.rss" }, "whole, from the call that asked it alone")
        #expect(batch.incompleteDomains.isEmpty)
        let calls = connection.log.filter { $0.hasPrefix("virDomainListGetStats") }
        #expect(calls.count == 5, "\(calls)")
        #expect(calls.first == "virDomainListGetStats web,db")
        #expect(
            Set(calls.dropFirst().prefix(2)) == ["virDomainListGetStats web", "virDomainListGetStats db"],
            "first records are asked twice, having nothing to be compared with")
        #expect(calls.suffix(2) == ["virDomainListGetStats web,db", "virDomainListGetStats db"])
        #expect(connection.count("virDomainGetControlInfo") == 2, "only the first records, which have no baseline")
    }

    /// A libvirtd that answers the listing but not the stats call is up; one that answers neither
    /// is hung: the fetch fails as stale, and no third call is made while two wait.
    @Test func theListingTellsAHungLibvirtdFromBusyWorkers() async throws {
        let statsHang = Latch()
        let hang = Latch()
        defer {
            statsHang.open()
            hang.open()
        }
        let connection = ScriptedConnection(
            onBulkStats: { _, earlier in
                if earlier >= 1 { statsHang.wait() }
                return [runningDomain("web")]
            },
            onListDomains: { ["web"] })
        let (source, runner) = try Self.source(ScriptedLibvirt(connection))
        _ = try await source.fetchStats()
        do {
            _ = try await source.fetchStats()
            Issue.record("expected the fetch to fail")
        } catch {
            #expect(error.isDeadlineExceeded && error.libvirtAnswered, "\(error)")
        }
        statsHang.open()
        #expect(await eventually { runner.pool.overdueCalls == 0 })

        let listingHangs = Flag()
        let hungConnection = ScriptedConnection(
            onBulkStats: { _, earlier in
                if earlier >= 1 { hang.wait() }
                return [runningDomain("web")]
            },
            onListDomains: {
                if listingHangs.isSet { hang.wait() }
                return ["web"]
            })
        let (hungSource, hungRunner) = try Self.source(ScriptedLibvirt(hungConnection))
        _ = try await hungSource.fetchStats()
        listingHangs.set(true)
        for _ in 0..<2 {
            do {
                _ = try await hungSource.fetchStats()
                Issue.record("expected a stale fetch")
            } catch {
                #expect(error.isDeadlineExceeded && !error.libvirtAnswered, "\(error)")
            }
        }
        #expect(hungRunner.pool.overdueCalls == 2, "the stats call and the listing wait; no third call is made")
        #expect(hungConnection.count("virConnectGetAllDomainStats") == 2)
        hang.open()
        #expect(await eventually { hungRunner.pool.overdueCalls == 0 })
        #expect(try await hungSource.fetchStats().domains.map(\.name) == ["web"], "fresh data once libvirt answers")
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
        #expect(api.opens == 4, "one for the calls for every domain and one for the batches, each time")
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
        let (source, _) = try Self.source(api, deadline: Self.calm)
        await #expect(throws: CollectionError.self) { try await source.fetchStats() }
        _ = try await source.fetchStats()
        #expect(api.opens == 2, "the failed call's connection is used again, and one for the batches")
    }

    @Test func aDaemonThatRejectsNoWaitIsAskedWithoutItFromThenOn() async throws {
        let flags = Mutex<[Bool]>([])
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web")] },
            onDomainStats: { names, noWait, _ throws(LibvirtError) in
                flags.withLock { $0.append(noWait) }
                if noWait {
                    throw LibvirtError(
                        function: "virDomainListGetStats", code: .invalidArgument, origin: 10,
                        message: "unsupported flags (0x20000000)")
                }
                return names.map { runningDomain($0) }
            })
        let (source, _) = try Self.source(ScriptedLibvirt(connection), deadline: Self.calm)
        #expect(try await source.fetchStats().incompleteDomains.isEmpty, "asked again at once without the flag")
        #expect(try await source.fetchStats().incompleteDomains.isEmpty)
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
        #expect(api.opens == 2, "one open for the stats call and one for the listing, and none while they wait")
        hung.open()
        #expect(await eventually { connection.isAlive })
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await source.fetchStats().domains.map(\.name) == ["web"])
        #expect(api.opens == 3, "the late connections are the ones used, and one more for the batches")
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
        let (source, _) = try Self.source(ScriptedLibvirt(connection), deadline: Self.calm)
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
        let (source, _) = try Self.source(ScriptedLibvirt(connection), scope: scope, deadline: Self.calm)
        let batch = try await source.fetchStats()
        #expect(batch.domains.map(\.name) == ["web-1"], "whole-name patterns: included and not excluded")
        let withoutMonitor: UInt32 = 0b1_0101_0001  // state, interface, perf, memory
        #expect(connection.groupsAsked == [withoutMonitor], "the groups that never enter the monitor")
        let withMonitor: UInt32 = 0b10_1010_1110  // cpu-total, balloon, vcpu, block, iothread, dirtyrate
        // A batch, then the new domain alone once more (its first record has no baseline).
        #expect(connection.batchGroupsAsked == [withMonitor, withMonitor], "not the vm group")
        #expect(connection.count("virDomainGetJobStats") == 0, "no job calls with jobs off")
        #expect(connection.count("virDomainGetCPUStats scratch") == 0, "an excluded domain costs no calls")
        #expect(connection.count("virDomainGetCPUStats web-1") == 1)

        let (everything, _) = try Self.source(ScriptedLibvirt(connection), deadline: Self.calm)
        _ = try await everything.fetchStats()
        #expect(connection.groupsAsked.last == withoutMonitor)
        #expect(connection.batchGroupsAsked.last == 0, "every group: libvirt's own 0, which also takes new groups")
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
        let (source, _) = try Self.source(api, deadline: Self.calm)
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
        let (source, _) = try Self.source(ScriptedLibvirt(connection), deadline: Self.calm)
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

    /// A domain whose per-domain calls cannot be made (another call about it holds it for the whole
    /// collection) has no job fields in the batch, and the batch says so.
    @Test func aDomainHeldByAnotherCallIsCountedNotDroppedSilently() async throws {
        let gate = DomainCallGate()
        let connection = ScriptedConnection(onBulkStats: { _, _ in [runningDomain("web"), runningDomain("db")] })
        let (source, _) = try Self.source(ScriptedLibvirt(connection), gate: gate)
        _ = try await source.fetchStats()
        #expect(gate.acquire("web"), "the job poller, say, holds web for the whole collection")
        let batch = try await source.fetchStats()
        let web = try #require(batch.domains.first { $0.name == "web" })
        #expect(!web.parameters.contains { $0.field == "job.type" }, "absent, not a frozen copy")
        #expect(
            batch.errors.contains { $0.domain == "web" && $0.call == "per-domain calls" },
            "the skipped calls are counted: \(batch.errors)")
        #expect(!batch.errors.contains { $0.domain == "db" }, "\(batch.errors)")
    }

    /// A domain whose per-domain calls get no connection has no job fields, and the batch says so.
    @Test func aDomainWithoutAConnectionIsCountedNotDroppedSilently() async throws {
        let opens = Atomic<Int>(0)
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in [runningDomain("web"), runningDomain("db")] },
            onJobStats: { _, _ in
                // Long enough that the two domains' calls overlap, each wanting a connection.
                Thread.sleep(forTimeInterval: 0.05)
                return JobStats(type: 0, parameters: [])
            })
        let api = ScriptedLibvirt(onOpen: { () throws(LibvirtError) in
            // The calls for every domain and the batches get theirs; the per-domain calls of the
            // second domain, which needs one more, get none.
            guard opens.add(1, ordering: .relaxed).newValue <= 2 else {
                throw LibvirtError(
                    function: "virConnectOpenReadOnly", code: .systemError, origin: 38, message: "Connection refused")
            }
            return connection
        })
        let (source, _) = try Self.source(api)
        let batch = try await source.fetchStats()
        let withoutJob = batch.domains.filter { !$0.parameters.contains { $0.field == "job.type" } }.map(\.name)
        #expect(withoutJob.count == 1, "one domain got no connection: \(withoutJob)")
        #expect(
            batch.errors.contains { $0.domain == withoutJob.first && $0.reason == "system_error" },
            "its failure is counted: \(batch.errors)")
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
        let (source, _) = try Self.source(
            ScriptedLibvirt(onOpen: { dropped.withLock { $0 } ? second : first }), deadline: Self.calm)
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
