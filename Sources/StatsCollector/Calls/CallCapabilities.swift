/// What the connected hypervisor supports among the per-domain calls, learned from its answers,
/// and how a failed per-domain call counts.
///
/// A call the hypervisor does not support (per-CPU stats on cgroup v2, job stats on the test
/// driver) is counted once, as an expected failure, and not made again on this connection. A
/// domain that vanished mid-collection and job stats asked of a migration's destination are
/// expected states, not failures. Anything else is a collection error for that domain. Failures
/// are told apart by libvirt's error code, never by its message, which libvirt translates.
struct CallCapabilities {
    /// Whether `virDomainGetCPUStats` works here; `nil` until a running domain showed it.
    private(set) var perCPUStats: Bool?
    /// Whether `virDomainGetJobStats` works here; `nil` until a running domain showed it.
    private(set) var jobStats: Bool?
    /// The per-domain fallback's calls this driver refused as unsupported (bhyve has no
    /// `virDomainMemoryStats`): not made again on this connection; the fallback's other calls are.
    private(set) var unsupportedFallbackCalls: Set<String> = []

    /// The domains whose `virDomainGetCPUStats` libvirt refused as an invalid operation in the
    /// collection before this one, and in this one so far (see ``classify(_:domain:)``).
    private var cpuStatsInvalid: (before: Set<String>, now: Set<String>) = ([], [])

    /// The calls of the per-domain fallback (``PerDomainCalls/perDomainFallback``).
    static let fallbackCalls: Set<String> = [
        "virDomainGetInfo", "virDomainMemoryStats", "virDomainBlockStats", "virDomainInterfaceStats",
    ]

    /// Codes that mean the driver does not implement a call, or not with these flags.
    private static let driverUnsupportedCodes: Set<LibvirtError.Code> = [.noSupport, .argumentUnsupported]

    /// The per-domain calls still worth making.
    var calls: PerDomainCalls {
        var calls: PerDomainCalls = [.perDomainFallback, .domainXML]
        if perCPUStats != false { calls.insert(.cpuStats) }
        if jobStats != false { calls.formUnion([.jobStats, .completedJobStats]) }
        return calls
    }

    /// Records that a collection with running domains made `calls` and these were not refused.
    mutating func confirm(_ calls: PerDomainCalls) {
        if calls.contains(.cpuStats), perCPUStats == nil { perCPUStats = true }
        if calls.contains(.jobStats), jobStats == nil { jobStats = true }
    }

    /// Marks the end of a collection's per-domain calls: the refusals it saw become the ones of
    /// the collection before.
    mutating func collectionEnded() {
        cpuStatsInvalid = (cpuStatsInvalid.now, [])
    }

    /// Whether `failure` of a job stats call is libvirt saying that the domain is a migration's
    /// destination, which has no stats for it: "operation unsupported" in current libvirt,
    /// "operation invalid" in older releases. It concerns that domain only.
    static func isMigrationDestination(_ failure: LibvirtError) -> Bool {
        failure.function.hasPrefix("virDomainGetJobStats")
            && (failure.code == .operationUnsupported || failure.code == .operationInvalid)
    }

    /// The error to count for `failure` of a call about `domain`, or `nil` for an expected state.
    /// A refusal as unsupported turns the call off and comes back marked ``CollectionError/isExpected``.
    mutating func classify(_ failure: LibvirtError, domain: String) -> CollectionError? {
        if failure.code == .noDomain { return nil }
        if failure.function.hasPrefix("virDomainGetJobStats") {
            if Self.isMigrationDestination(failure) { return nil }
            guard Self.driverUnsupportedCodes.contains(failure.code) else {
                return failure.collectionError(domain: domain)
            }
            guard jobStats != false else { return nil }
            jobStats = false
        } else if failure.function == "virDomainGetCPUStats" {
            // cgroup v2 without cpuacct answers "operation unsupported" for every domain. A libvirtd
            // without a CPU accounting controller at all (in a container or a namespace) answers
            // "operation invalid", as it does for a domain that stopped since it was listed: the
            // same refusal for the same domain in two collections in a row is the host's.
            let invalidTwice =
                failure.code == .operationInvalid && cpuStatsInvalid.before.contains(domain)
            if failure.code == .operationInvalid { cpuStatsInvalid.now.insert(domain) }
            guard
                Self.driverUnsupportedCodes.contains(failure.code) || failure.code == .operationUnsupported
                    || invalidTwice
            else {
                return failure.collectionError(domain: domain)
            }
            guard perCPUStats != false else { return nil }
            perCPUStats = false
        } else if Self.fallbackCalls.contains(failure.function), Self.driverUnsupportedCodes.contains(failure.code) {
            guard unsupportedFallbackCalls.insert(failure.function).inserted else { return nil }
        } else {
            return failure.collectionError(domain: domain)
        }
        var error = failure.collectionError(domain: domain)
        error.isExpected = true
        return error
    }
}
