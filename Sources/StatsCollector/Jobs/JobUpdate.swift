/// Fresh job stats of one domain, from the job poller: the fields that replace the domain's
/// `job.*`, `completedjob.*` and `migration.*` fields of the last collection.
public struct JobUpdate: Sendable, Equatable {
    /// The domain's name.
    public let domain: String
    /// The job fields.
    public let parameters: [TypedParameter]
    /// When the poll that read them started: a collection that started earlier has older job fields.
    public let readAt: ContinuousClock.Instant

    /// Creates an update.
    public init(domain: String, parameters: [TypedParameter], readAt: ContinuousClock.Instant) {
        self.domain = domain
        self.parameters = parameters
        self.readAt = readAt
    }

    /// Whether a job is still running: its type is neither none nor absent.
    public var hasActiveJob: Bool { Self.hasActiveJob(in: parameters) }

    /// Whether `parameters` show a running job: a `job.type` that is neither none nor absent.
    static func hasActiveJob(in parameters: [TypedParameter]) -> Bool {
        let type = parameters.first { $0.field == MetricCatalog.jobPrefix + "type" }?.value.integerCode
        return (type ?? 0) != 0
    }

    /// Whether `field` is one a job update carries.
    static func isJobField(_ field: String) -> Bool {
        field.hasPrefix(MetricCatalog.jobPrefix) || field.hasPrefix(MetricCatalog.completedJobPrefix)
            || field.hasPrefix(MetricCatalog.migrationPrefix)
    }
}
