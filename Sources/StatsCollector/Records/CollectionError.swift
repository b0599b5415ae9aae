/// A failure during collection, with the context an operator needs: which call, which domain, why.
public struct CollectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation that failed, such as `virConnectGetAllDomainStats`; a bounded label value.
    public var call: String
    /// A short, bounded reason, such as libvirt's `operation_timeout` or ``deadlineExceeded``; a label value.
    public var reason: String
    /// The domain concerned, if the failure concerns one.
    public var domain: String?
    /// The full message, for the log only (unbounded, never a label).
    public var message: String
    /// Whether the failure is an expected property of this host (a call the hypervisor does not
    /// support), already logged by the source: it is counted, but does not fail the collection.
    public var isExpected = false
    /// Whether the call was not made at all (``reason`` says why: ``inFlight``, ``backingOff``,
    /// ``noThread``, ``domainIncomplete``): counted in `libvirt_exporter_skipped_calls_total`
    /// rather than as a failure of libvirt. The domain's series that the call gives are absent.
    public var isSkipped = false
    /// For a failure of a whole collection: whether libvirtd answered a call that touches no
    /// domain (it listed the domains) although the stats did not come in time, so `libvirt_up`
    /// stays 1.
    public var libvirtAnswered = false

    /// Creates a collection error.
    public init(call: String, reason: String, domain: String? = nil, message: String) {
        self.call = call
        self.reason = reason
        self.domain = domain
        self.message = message
    }

    /// The reason of a call that did not answer within its deadline.
    public static let deadlineExceeded = "deadline_exceeded"

    /// The reason of a call that was not made: every call thread was held, until its deadline, by
    /// calls that had not returned.
    public static let noThread = "no_thread"
    /// The reason of a call not made because an earlier call about its domain has not returned.
    public static let inFlight = DomainCallGate.Refusal.inFlight.rawValue
    /// The reason of a call not made because libvirt timed out on its domain lately.
    public static let backingOff = DomainCallGate.Refusal.backingOff.rawValue
    /// The reason of a per-domain call not made because the domain's stats show that it does not
    /// answer: the call would wait for it too.
    public static let domainIncomplete = "domain_incomplete"

    /// A call about `domain` that was not made, for `reason`.
    static func skipped(_ call: String, domain: String, reason: String, message: String) -> CollectionError {
        var error = CollectionError(call: call, reason: reason, domain: domain, message: message)
        error.isSkipped = true
        return error
    }

    /// Whether the failure is a call that did not answer within its deadline: libvirt, or the
    /// domain it waits for, hangs.
    public var isDeadlineExceeded: Bool { reason == Self.deadlineExceeded }

    public var description: String {
        let subject = domain.map { " for domain \"\($0)\"" } ?? ""
        return "\(call) \(isSkipped ? "not made" : "failed")\(subject): \(message) (\(reason))"
    }
}
