import PromFormat

extension LibvirtStatsSource {
    /// The batch: `records` with the per-domain stats of every running, complete domain added. A
    /// domain another call holds is asked again once after the others (the job poller's poll takes
    /// milliseconds); calls not made are reported as skipped, with the reason.
    func withPerDomainStats(_ records: [DomainStats], incomplete: Set<ExactText>) async -> StatsBatch {
        let calls = capabilities.calls.intersection(scope.perDomainCalls)
        let factsWanted = calls.contains(.domainXML) ? facts.domainsToRead(in: records, at: .now) : [:]
        var domains = records
        var errors: [CollectionError] = []
        var answered = false
        var wanted: [Int] = []
        for index in records.indices where records[index].isActive {
            if !incomplete.contains(records[index].nameKey) {
                wanted.append(index)
            } else if !calls.isEmpty {
                errors.append(
                    .skipped(
                        PerDomainCalls.callName, domain: records[index].name, reason: CollectionError.domainIncomplete,
                        message: "its stats show that it does not answer; the calls would wait for it too"))
            }
        }
        for round in 0..<2 {
            var busy: [Int] = []
            await withTaskGroup(
                of: (Int, Result<CallOutcome<Result<PerDomainCalls.Answers, LibvirtError>>, DomainCallGate.Refusal>)
                    .self
            ) {
                group in
                var next = wanted.makeIterator()
                func start() {
                    guard let index = next.next() else { return }
                    let name = records[index].name
                    let hasStateOnly = records[index].hasStateOnly
                    let domainCalls = factsWanted[records[index].nameKey] != nil ? calls : calls.subtracting(.domainXML)
                    group.addTask { [gate, runner, connections, completedJobs, capabilities] in
                        let unsupported = capabilities.unsupportedFallbackCalls
                        let outcome = await gate.call(name, PerDomainCalls.callName, on: runner) {
                            () throws(LibvirtError) in
                            try connections.withConnection { connection throws(LibvirtError) in
                                domainCalls.make(
                                    for: name, hasStateOnly: hasStateOnly, on: connection, completedJobs: completedJobs,
                                    skipping: unsupported)
                            }
                        }
                        return (index, outcome)
                    }
                }
                for _ in 0..<Self.concurrentDomains { start() }
                for await (index, outcome) in group {
                    start()
                    let name = records[index].name
                    switch outcome {
                    case .success(.finished(.success(let answers))):
                        answered = true
                        domains[index].parameters +=
                            records[index].hasStateOnly
                            ? answers.parameters.filter { scope.admitsFallbackField($0.field) } : answers.parameters
                        if let seen = factsWanted[records[index].nameKey], let xml = answers.xml {
                            let read = DomainFacts(xml: xml, uuid: records[index].uuid, labels: scope.metadataLabels)
                            facts.store(read, of: records[index], at: .now, clearing: seen)
                        }
                        for failure in answers.failures {
                            guard let error = capabilities.classify(failure, domain: name) else { continue }
                            if error.isExpected {
                                logger.info(
                                    "libvirt does not support this call here; not asking again on this connection",
                                    metadata: ["call": "\(failure.function)", "error": "\(failure.message)"])
                            }
                            errors.append(error)
                        }
                    case .success(.finished(.failure(let error))):
                        // No connection could be had: every one is busy, or opening one failed.
                        var failure = error.collectionError(domain: name)
                        failure.call = PerDomainCalls.callName
                        errors.append(failure)
                    case .success(.overran):
                        errors.append(
                            CollectionError(
                                call: PerDomainCalls.callName, reason: CollectionError.deadlineExceeded, domain: name,
                                message: "the domain's per-domain calls did not answer within \(runner.deadline)"))
                    case .success(.notStarted):
                        errors.append(
                            .skipped(
                                PerDomainCalls.callName, domain: name, reason: CollectionError.noThread,
                                message: "no call thread was free within \(runner.deadline)"))
                    case .failure(.inFlight) where round == 0:
                        busy.append(index)
                    case .failure(let refusal):
                        errors.append(
                            .skipped(
                                PerDomainCalls.callName, domain: name, reason: refusal.rawValue,
                                message: refusal == .inFlight
                                    ? "an earlier call about the domain has not returned"
                                    : "libvirt timed out on the domain lately"))
                    }
                }
            }
            wanted = busy
        }
        if answered { capabilities.confirm(calls) }
        capabilities.collectionEnded()
        for index in domains.indices {
            if let known = facts.facts(of: records[index]) {
                domains[index].parameters += known.parameters(for: domains[index])
            }
        }
        return StatsBatch(
            domains: domains, errors: errors, incompleteDomains: incomplete,
            perCPUStatsAvailable: capabilities.perCPUStats, jobStatsAvailable: capabilities.jobStats)
    }
}
