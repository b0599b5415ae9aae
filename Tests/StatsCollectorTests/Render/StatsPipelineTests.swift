import PromFormat
import TestSupport
import Testing

@testable import StatsCollector

/// The pipeline renders in pieces exactly the text the encoder gives for all families at once.
@Suite struct StatsPipelineTests {
    /// The domains of the KVM fixtures, each name once (the job fixtures share some).
    private static func fixtureDomains() throws -> [DomainStats] {
        var seen: Set<String> = []
        return try ["kvm-domains", "kvm-job-active", "kvm-job-completed"].flatMap { fixture in
            try FixtureStatsSource(json: Fixtures.data("StatsCollectorTests/Fixtures/\(fixture).json")).domains
        }.filter { seen.insert($0.name).inserted }
    }

    /// The same collection through one mapper, one engine and the encoder, as before pieces.
    private static func encodedAtOnce(_ collections: [[DomainStats]]) -> [UInt8] {
        var engine = DerivedMetricsEngine()
        var text: [UInt8] = []
        for (step, domains) in collections.enumerated() {
            var mapper = DomainStatsMapper()
            domains.sorted { $0.name < $1.name }.forEach { mapper.add($0) }
            text = TextEncoder.encode(
                Array(mapper.families.values) + engine.derive(from: mapper.families, at: Double(step) * 15))
        }
        return text
    }

    /// `domains` with every unsigned counter grown by `step` times a tenth.
    private static func grown(_ domains: [DomainStats], step: Int) -> [DomainStats] {
        domains.map { domain in
            var domain = domain
            for index in domain.parameters.indices {
                if case .ullong(let value) = domain.parameters[index].value {
                    domain.parameters[index].value = .ullong(value + value / 10 * UInt64(step))
                }
            }
            return domain
        }
    }

    @Test func piecesJoinIntoTheTextOfAllFamiliesEncodedAtOnce() throws {
        let domains = try Self.fixtureDomains()
        let collections = (0..<2).map { Self.grown(domains, step: $0) }
        var pipeline = StatsPipeline()
        var body = RenderedBody.empty
        for (step, collection) in collections.enumerated() {
            body = pipeline.run(collection, at: Double(step) * 15).body
        }
        let expected = Self.encodedAtOnce(collections)
        #expect(
            String(decoding: body.text, as: UTF8.self).split(separator: "\n")
                == String(decoding: expected, as: UTF8.self).split(separator: "\n"))
        #expect(body.pieces.count > 3, "job families are pieces of their own")
    }

    @Test func aJobUpdateGivesTheTextOfACollectionWithTheNewJobFields() throws {
        let domains = try Self.fixtureDomains()
        let jobDomain = try #require(domains.first { JobUpdate.hasActiveJob(in: $0.parameters) })
        var pipeline = StatsPipeline(derivesMetrics: false)
        _ = pipeline.run(domains, at: 0)
        let newJob = jobDomain.parameters.filter { JobUpdate.isJobField($0.field) }.map { parameter in
            var parameter = parameter
            if parameter.field == "job.time_elapsed" { parameter.value = .ullong(9_999) }
            return parameter
        }
        let update = pipeline.applyJobUpdate(domain: jobDomain.name, parameters: newJob)
        let updated = try #require(update)
        #expect(pipeline.applyJobUpdate(domain: "no-such-domain", parameters: newJob) == nil)

        let expected = domains.map { domain in
            guard domain.name == jobDomain.name else { return domain }
            var domain = domain
            domain.parameters.removeAll { JobUpdate.isJobField($0.field) }
            domain.parameters += newJob
            return domain
        }
        var mapper = DomainStatsMapper()
        expected.forEach { mapper.add($0) }
        let text = String(decoding: updated.body.text, as: UTF8.self)
        #expect(text == String(decoding: TextEncoder.encode(Array(mapper.families.values)), as: UTF8.self))
        #expect(text.contains("libvirt_domain_job_elapsed_seconds{domain=\"\(jobDomain.name)\"} 9.999\n"))
    }

    @Test func jobFamiliesAreExactlyTheSeriesOfJobFields() {
        #expect(JobSeries.familyPrefixes == JobSeries.familyPrefixes.sorted())
        for row in MetricCatalog.valueRows {
            #expect(
                JobSeries.isJobFamily(row.metric) == JobUpdate.isJobField(row.source),
                "\(row.metric) from \(row.source)")
        }
        for info in MetricCatalog.infoSeries {
            let fromJob = info.fields.allSatisfy { JobUpdate.isJobField($0) }
            #expect(JobSeries.isJobFamily(info.descriptor.metric) == fromJob, "\(info.descriptor.metric)")
        }
        #expect(!JobSeries.isJobFamily(MetricCatalog.domainInfo.metric))
        for rule in KVMStatRule.all {
            for template in rule.templates { #expect(!JobSeries.isJobFamily(template.metric)) }
        }
        // A job gauge reads job series only, and no other gauge reads one: a job update can
        // re-derive one domain's job gauges alone, and the others never change with it.
        for derived in JobSeries.derivedMetrics {
            #expect(derived.inputs.allSatisfy(JobSeries.isJobFamily), "\(derived.descriptor.metric)")
            if case .metric(let clock) = derived.clock { #expect(JobSeries.isJobFamily(clock)) }
        }
        for derived in JobSeries.otherDerivedMetrics {
            #expect(!derived.inputs.contains(where: JobSeries.isJobFamily), "\(derived.descriptor.metric)")
        }
        let jobGauges = Set(JobSeries.derivedMetrics.map(\.descriptor.metric))
        #expect(
            jobGauges.contains("libvirt_domain_job_eta_seconds") && jobGauges.contains("libvirt_domain_job_converging"))
        #expect(!jobGauges.contains("libvirt_domain_cpu_usage_cores"), "a gauge of other series is no job gauge")
    }

    @Test func aJobFamilySpreadOverManyPiecesStaysOneFamily() throws {
        let domains = (0..<100).map { index in
            DomainStats(
                name: "vm-\(index)", uuid: "u-\(index)",
                parameters: [.init(field: "state.state", value: .int(1)), .init(field: "job.type", value: .int(0))])
        }
        var pipeline = StatsPipeline()
        let collected = pipeline.run(domains, at: 0).body
        let update = pipeline.applyJobUpdate(
            domain: "vm-70",
            parameters: [.init(field: "job.type", value: .int(2)), .init(field: "job.operation", value: .int(8))])
        let updated = try #require(update)
        let before = String(decoding: collected.text, as: UTF8.self)
        let after = String(decoding: updated.body.text, as: UTF8.self)
        #expect(after.components(separatedBy: "# TYPE libvirt_domain_job_type gauge").count == 2)
        #expect(after.contains("libvirt_domain_job_type{domain=\"vm-70\"} 2\n"))
        #expect(after.replacingOccurrences(of: "domain=\"vm-70\"} 2", with: "domain=\"vm-70\"} 0").count > before.count)
        var mapper = DomainStatsMapper()
        for domain in domains {
            var domain = domain
            if domain.name == "vm-70" {
                domain.parameters = [
                    .init(field: "state.state", value: .int(1)), .init(field: "job.type", value: .int(2)),
                    .init(field: "job.operation", value: .int(8)),
                ]
            }
            mapper.add(domain)
        }
        #expect(after == String(decoding: TextEncoder.encode(Array(mapper.families.values)), as: UTF8.self))
    }

    @Test func aStoppedDomainKeepsOnlyItsCompletedJobThroughUpdates() throws {
        let stopped = DomainStats(
            name: "saved", uuid: "u-s", parameters: [.init(field: "state.state", value: .int(5))])
        var pipeline = StatsPipeline()
        _ = pipeline.run([stopped], at: 0)
        let update = pipeline.applyJobUpdate(
            domain: "saved",
            parameters: [
                .init(field: "job.type", value: .int(2)), .init(field: "completedjob.type", value: .int(3)),
                .init(field: "completedjob.operation", value: .int(6)),
            ])
        let text = String(decoding: try #require(update).body.text, as: UTF8.self)
        #expect(text.contains("libvirt_domain_completed_job_type{domain=\"saved\"} 3\n"))
        #expect(!text.contains("libvirt_domain_job_type"), "a stopped domain has no active job")
        #expect(text.contains("libvirt_domain_info_state{domain=\"saved\"} 5\n"))
    }
}

/// Domains whose names differ only in Unicode normalization are two domains to libvirt and two
/// label values to Prometheus: the pipeline keeps them apart, rates included.
@Suite struct ExactDomainNameTests {
    static let precomposed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    private static func record(_ name: String, cpuSeconds: UInt64) -> DomainStats {
        DomainStats(
            name: name, uuid: "uuid-\(Array(name.utf8))",
            parameters: [
                .init(field: "state.state", value: .int(1)),
                .init(field: "cpu.time", value: .ullong(cpuSeconds * 1_000_000_000)),
            ])
    }

    /// The sample lines of `metric` in `body`, as bytes.
    private static func lines(_ metric: String, in output: StatsPipeline.Output) -> [[UInt8]] {
        let text = String(decoding: output.body.text, as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix(metric + "{") }.map { Array($0.utf8) }
    }

    @Test func theyAreMappedRenderedAndRatedApart() {
        var pipeline = StatsPipeline()
        _ = pipeline.run(
            [Self.record(Self.precomposed, cpuSeconds: 10), Self.record(Self.decomposed, cpuSeconds: 100)], at: 0)
        let output = pipeline.run(
            [Self.record(Self.precomposed, cpuSeconds: 11), Self.record(Self.decomposed, cpuSeconds: 104)], at: 1)
        #expect(
            Self.lines("libvirt_domain_info_cpu_time_seconds_total", in: output) == [
                Array("libvirt_domain_info_cpu_time_seconds_total{domain=\"\(Self.decomposed)\"} 104".utf8),
                Array("libvirt_domain_info_cpu_time_seconds_total{domain=\"\(Self.precomposed)\"} 11".utf8),
            ])
        #expect(
            Self.lines("libvirt_domain_cpu_usage_cores", in: output) == [
                Array("libvirt_domain_cpu_usage_cores{domain=\"\(Self.decomposed)\"} 4".utf8),
                Array("libvirt_domain_cpu_usage_cores{domain=\"\(Self.precomposed)\"} 1".utf8),
            ], "each domain's own rate")
    }
}
