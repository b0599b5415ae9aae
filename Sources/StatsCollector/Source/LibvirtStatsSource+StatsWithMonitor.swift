import PromFormat

extension LibvirtStatsSource {
    /// What the calls for the stats groups that enter the QEMU monitor left undone.
    struct StatsWithMonitorOutcome {
        /// Running domains whose stats of those groups did not come.
        var unanswered: Set<ExactText> = []
        /// The failures of those calls, and the calls not made.
        var errors: [CollectionError] = []
    }

    /// The libvirt function of those calls.
    static let statsWithMonitorCall = "virDomainListGetStats"

    /// What one call for a batch of domains gave.
    private struct BatchResult: Sendable {
        let domains: [String]
        let outcome: CallOutcome<Result<[DomainStats], LibvirtError>>
        let noWait: Bool
    }

    /// Adds to the running domains of `records` their stats of the groups that enter the QEMU
    /// monitor, as ``MonitorCallPlan`` batches them. A domain that another call still waits for is
    /// left out, and asked alone once more after the others if that call returned meanwhile. The
    /// members of a batch that overran are asked again at once, each alone, but for the one the
    /// call still waits for: a healthy domain that shared a batch with a QEMU that hung misses no
    /// collection. So is a domain whose answer lacks fields its last complete record had, or
    /// that is answered for the first time.
    func addStatsWithMonitor(to records: inout [DomainStats]) async -> StatsWithMonitorOutcome {
        guard let groups = scope.statsGroupsWithMonitor else { return StatsWithMonitorOutcome() }
        let running = records.filter(\.isActive).map(\.name)
        var answers: [ExactText: DomainStats] = [:]
        var errors: [CollectionError] = []
        var refusals: [ExactText: DomainCallGate.Refusal] = [:]
        var calls = plan.calls(for: running)
        for wave in 0..<2 {
            var again: [[String]] = []
            let (results, refused) = await run(calls, groups: groups)
            for (domain, reason) in refused {
                refusals[ExactText(domain)] = reason
                if wave == 0, reason == .inFlight { again.append([domain]) }
            }
            for result in results {
                let retries = record(result, into: &answers, errors: &errors)
                if wave == 0 { again += retries }
            }
            if wave == 0 { again += partlyAnswered(records, answers: answers).map { [$0] } }
            calls = again
        }
        for index in records.indices {
            guard let answer = answers[records[index].nameKey] else { continue }
            records[index] = Self.merging(answer, into: records[index])
        }
        var outcome = StatsWithMonitorOutcome(errors: errors)
        for domain in running where answers[ExactText(domain)] == nil {
            outcome.unanswered.insert(ExactText(domain))
            if let refusal = refusals[ExactText(domain)],
                !errors.contains(where: { $0.domain.map { ExactText($0) } == ExactText(domain) })
            {
                outcome.errors.append(
                    .skipped(
                        Self.statsWithMonitorCall, domain: domain, reason: refusal.rawValue,
                        message: refusal == .inFlight
                            ? "an earlier call about the domain has not returned"
                            : "libvirt timed out on the domain lately"
                    ))
            }
        }
        return outcome
    }

    /// `record` with its fields of the groups that enter the monitor replaced by `answer`'s.
    private static func merging(_ answer: DomainStats, into record: DomainStats) -> DomainStats {
        var merged = record
        merged.parameters.removeAll { !CollectionScope.isFieldWithoutMonitor($0.field) }
        merged.parameters += answer.parameters.filter { !CollectionScope.isFieldWithoutMonitor($0.field) }
        return merged
    }

    /// The domains whose answer lacks fields their last complete record had, and those answered
    /// for the first time: with `NOWAIT`, libvirt leaves out what needs a domain's job while
    /// another client (another exporter, a `virsh domstats`, a cloud agent) holds it, which takes
    /// milliseconds, and a first record has nothing to be compared with. Asked again at once,
    /// alone, they answer whole; a domain that stays short is judged by its control interface.
    private func partlyAnswered(_ records: [DomainStats], answers: [ExactText: DomainStats]) -> [String] {
        records.compactMap { record in
            guard let answer = answers[record.nameKey],
                completeness.mayBePartial(Self.merging(answer, into: record))
            else { return nil }
            return record.name
        }
    }

    /// Takes one call's result: its domains' records into `answers`, its failure into `errors`,
    /// what it says of its domains into the plan. Returns the calls to make again at once: the same
    /// batch for a daemon that rejected `NOWAIT`, each member alone for a batch that overran (the
    /// gate refuses the one the call still waits for).
    private func record(
        _ result: BatchResult, into answers: inout [ExactText: DomainStats], errors: inout [CollectionError]
    ) -> [[String]] {
        let members = result.domains
        let subject =
            members.count == 1 ? "the domain" : "\(members.count) domains (\(members.joined(separator: ", ")))"
        switch result.outcome {
        case .finished(.success(let stats)):
            plan.answered(members)
            for record in stats { answers[record.nameKey] = record }
        case .finished(.failure(let error)) where error.code == .invalidArgument && result.noWait:
            logger.info(
                "libvirt rejected VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT; collecting without it",
                metadata: ["error": "\(error.message)"])
            noWait = false
            return [members]
        case .finished(.failure(let error)):
            plan.didNotAnswer(members)
            // A domain that vanished since the listing is not an error; the others are asked again
            // at once, each alone.
            if error.code != .noDomain {
                errors.append(error.collectionError(domain: members.count == 1 ? members[0] : nil))
            } else if members.count > 1 {
                return members.map { [$0] }
            }
        case .overran:
            plan.didNotAnswer(members)
            errors.append(
                CollectionError(
                    call: Self.statsWithMonitorCall, reason: CollectionError.deadlineExceeded,
                    domain: members.count == 1 ? members[0] : nil,
                    message: "the stats of \(subject) did not come within \(statsCalls.deadline)"))
            if members.count > 1 { return members.map { [$0] } }
        case .notStarted:
            for domain in members {
                errors.append(
                    .skipped(
                        Self.statsWithMonitorCall, domain: domain, reason: CollectionError.noThread,
                        message: "no call thread was free within \(statsCalls.deadline)"))
            }
        }
        return []
    }

    /// Runs `calls` side by side, each for the domains of it that the gate lets through; returns
    /// their results and the domains the gate refused.
    private func run(
        _ calls: [[String]], groups: UInt32
    ) async -> (results: [BatchResult], refused: [(domain: String, reason: DomainCallGate.Refusal)]) {
        let noWait = self.noWait
        var refused: [(domain: String, reason: DomainCallGate.Refusal)] = []
        var results: [BatchResult] = []
        await withTaskGroup(of: BatchResult.self) { group in
            for call in calls {
                let (claim, refusedHere) = gate.claim(call)
                refused += refusedHere
                guard !claim.domains.isEmpty else { continue }
                group.addTask { [gate, statsCalls, statsConnections, runner, connections] in
                    let outcome = await gate.run(claim, Self.statsWithMonitorCall, on: statsCalls) {
                        names throws(LibvirtError) in
                        try statsConnections.withConnection { connection throws(LibvirtError) in
                            try connection.domainStats(of: names, groups: groups, noWait: noWait)
                        }
                    }
                    if case .overran = outcome, claim.domains.count > 1 {
                        await Self.releaseAllButTheAwaited(claim, gate: gate, runner: runner, connections: connections)
                    }
                    return BatchResult(domains: claim.domains, outcome: outcome, noWait: noWait)
                }
            }
            for await result in group { results.append(result) }
        }
        return (results, refused)
    }

    /// Of a call that overran, lets go every domain whose control interface is not busy with a
    /// monitor command (or in error): the call does not wait for those, so later calls may ask
    /// them. The one it waits for stays claimed until the call returns.
    private static func releaseAllButTheAwaited(
        _ claim: DomainCallGate.Claim, gate: DomainCallGate, runner: LibvirtCallRunner, connections: ConnectionPool
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for domain in claim.domains {
                group.addTask {
                    let probe = await runner.run("virDomainGetControlInfo", domain: domain) {
                        Result { () throws(LibvirtError) in
                            try connections.withConnection { connection throws(LibvirtError) in
                                try connection.controlInfo(ofDomain: domain)
                            }
                        }
                    }
                    guard case .finished(.success(let info)) = probe else { return }
                    switch info.state {
                    case .occupied, .error: break
                    case .ok, .job, .other: gate.release(domain, from: claim)
                    }
                }
            }
        }
    }
}
