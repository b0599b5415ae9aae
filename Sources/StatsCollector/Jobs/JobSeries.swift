/// The series a job update re-renders: the families of the job fields (`job.*`, `completedjob.*`,
/// `migration.*`) and the gauges derived from nothing but them (progress, ETA, transfer rates,
/// convergence, downtime). Every other series is left as the last collection rendered it.
enum JobSeries {
    /// Name prefixes of the job families, in name order. In the exposition's name order the job
    /// families therefore form one run per prefix, and the other families the runs between them.
    static let familyPrefixes = ["libvirt_domain_completed_job_", "libvirt_domain_job_", "libvirt_domain_migration_"]

    /// Whether the family `name` holds job series.
    static func isJobFamily(_ name: String) -> Bool {
        familyPrefixes.contains { name.hasPrefix($0) }
    }

    /// Which run of other families `name` falls in: the number of job prefixes before it.
    static func section(of name: String) -> Int {
        familyPrefixes.count { $0 < name }
    }

    /// The derived gauges of job series.
    static let derivedMetrics = MetricCatalog.derivedMetrics.filter { isJobFamily($0.descriptor.metric) }

    /// Every other derived gauge.
    static let otherDerivedMetrics = MetricCatalog.derivedMetrics.filter { !isJobFamily($0.descriptor.metric) }

    /// The job fields of `parameters` that the mapper maps for a domain: all of them while it runs
    /// (or its state is unknown), only the last completed job's once it stopped (see
    /// ``DomainStatsMapper/add(_:)``).
    static func fields(of parameters: [TypedParameter], mapsActiveJob: Bool) -> [TypedParameter] {
        parameters.filter {
            JobUpdate.isJobField($0.field) && (mapsActiveJob || $0.field.hasPrefix(MetricCatalog.completedJobPrefix))
        }
    }
}
