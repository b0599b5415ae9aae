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

    /// Whether the failure is a call that did not answer within its deadline: libvirt, or the
    /// domain it waits for, hangs.
    public var isDeadlineExceeded: Bool { reason == Self.deadlineExceeded }

    public var description: String {
        let subject = domain.map { " for domain \"\($0)\"" } ?? ""
        return "\(call) failed\(subject): \(message) (\(reason))"
    }
}
