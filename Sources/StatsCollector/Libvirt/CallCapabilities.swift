/// What the connected hypervisor supports among the per-domain calls, learned from its answers,
/// and how a failed per-domain call counts.
///
/// A call the hypervisor does not support (per-CPU stats on cgroup v2, job stats on the test
/// driver) is counted once, as an expected failure, and not made again on this connection. A
/// domain that vanished mid-collection and job stats asked of a migration's destination are
/// expected states, not failures. Anything else is a collection error for that domain.
struct CallCapabilities {
    /// Whether `virDomainGetCPUStats` works here; `nil` until a running domain showed it.
    private(set) var perCPUStats: Bool?
    /// Whether `virDomainGetJobStats` works here; `nil` until a running domain showed it.
    private(set) var jobStats: Bool?

    private static let unsupportedCodes: Set<LibvirtError.Code> = [
        .noSupport, .operationUnsupported, .argumentUnsupported,
    ]

    /// The per-domain calls still worth making.
    var calls: LibvirtConnection.DomainCalls {
        var calls: LibvirtConnection.DomainCalls = [.perDomainFallback]
        if perCPUStats != false { calls.insert(.cpuStats) }
        if jobStats != false { calls.formUnion([.jobStats, .completedJobStats]) }
        return calls
    }

    /// Records that a collection with running domains made `calls` and these were not refused.
    mutating func confirm(_ calls: LibvirtConnection.DomainCalls) {
        if calls.contains(.cpuStats), perCPUStats == nil { perCPUStats = true }
        if calls.contains(.jobStats), jobStats == nil { jobStats = true }
    }

    /// The error to count for `failure` of a call about `domain`, or `nil` for an expected state.
    /// A refusal as unsupported turns the call off and comes back marked ``CollectionError/isExpected``.
    mutating func classify(_ failure: LibvirtError, domain: String) -> CollectionError? {
        if failure.code == .noDomain { return nil }
        let isJobCall = failure.function.hasPrefix("virDomainGetJobStats")
        if isJobCall, failure.message.contains("only on the source host") { return nil }
        guard Self.unsupportedCodes.contains(failure.code) else { return failure.collectionError(domain: domain) }
        if failure.function == "virDomainGetCPUStats" {
            guard perCPUStats != false else { return nil }
            perCPUStats = false
        } else if isJobCall {
            guard jobStats != false else { return nil }
            jobStats = false
        } else {
            return failure.collectionError(domain: domain)
        }
        var error = failure.collectionError(domain: domain)
        error.isExpected = true
        return error
    }
}
