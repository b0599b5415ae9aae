import Benchmark
import PromFormat
import StatsCollector

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Each stage of one collection, measured on synthetic KVM domains (see SyntheticDomains.swift) at
// 10, 100, 1,000 and 10,000 domains. Inputs are built in each benchmark's setup closure, outside
// the measurement; package-benchmark runs every benchmark in a process of its own, so peak
// resident memory is that benchmark's input (and what its setup held for a while) plus what the
// stage itself allocates.
//
// Every measured region ends before the stage's result is released, so a stage's figures hold
// its own work and allocations, not the deallocation of its output.

let benchmarks: @Sendable () -> Void = {
    for domains in SyntheticDomains.scales {
        registerTypedParameterCopy(domains: domains)
        registerMappingAndRendering(domains: domains)
        registerCollection(domains: domains)
        registerSplicing(domains: domains)
        registerJobUpdate(domains: domains)
        registerGzip(domains: domains, level: 1)
        registerGzip(domains: domains, level: 6)
        registerMemcpy(domains: domains)
    }
}

// MARK: - Configuration

/// Throughput, measured with a clock around the stage's call only and reported per iteration.
enum Throughput {
    static let parameters = BenchmarkMetric.custom(
        "Throughput (parameters/s)", polarity: .prefersLarger, useScalingFactor: false)
    static let bytes = BenchmarkMetric.custom("Throughput (bytes/s)", polarity: .prefersLarger, useScalingFactor: false)
}

/// Iterations per scale, so that a full run takes a few minutes on two cores: many short
/// iterations at small scales, a handful at 10,000 domains.
func configuration(domains: Int, throughput: BenchmarkMetric) -> Benchmark.Configuration {
    let (maxIterations, seconds): (Int, Int64) =
        switch domains {
        case ..<100: (1_000, 1)
        case ..<1_000: (200, 1)
        case ..<10_000: (25, 2)
        default: (5, 4)
        }
    return .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, throughput],
        timeUnits: .automatic,
        warmupIterations: 1,
        maxDuration: .seconds(seconds),
        maxIterations: maxIterations,
        thresholds: thresholds(throughput: throughput)
    )
}

func name(_ stage: String, domains: Int) -> String {
    "\(stage) \(domains) domains"
}

/// Runs `body` as the rest of the measured region and ends the measurement. Then, outside it,
/// records `amount(result) / seconds of body` as `metric` and releases the result.
func measure<Result>(
    _ benchmark: Benchmark, _ metric: BenchmarkMetric, amount: (Result) -> Int, _ body: () throws -> Result
) rethrows {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = start.duration(to: clock.now)
    benchmark.stopMeasurement()
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    benchmark.measurement(metric, Int(Double(amount(result)) / max(seconds, 1e-9)))
    blackHole(result)
}

/// What `thresholds check` (Benchmarks/check) tolerates against the committed p90 figures in
/// Benchmarks/Thresholds: allocation counts repeat from run to run, so 5 % more of them is a
/// regression; wall-clock time and throughput on a shared 2-core machine vary by tens of percent
/// between runs, so only three times the time (a third of the throughput) is one; peak memory is
/// the input's and the harness's as much as the stage's, so a quarter more.
func thresholds(throughput: BenchmarkMetric) -> [BenchmarkMetric: BenchmarkThresholds] {
    let noisy = BenchmarkThresholds(relative: [.p90: 200.0])
    return [
        .mallocCountTotal: .init(relative: [.p90: 5.0]),
        .wallClock: noisy,
        throughput: noisy,
        .peakMemoryResident: .init(relative: [.p90: 25.0]),
    ]
}

/// A small trailer of self-metrics, as the collector renders after the domain series.
let trailer: [MetricFamily] = {
    var up = MetricCatalog.up.makeFamily()
    try! up.append(Sample(labels: [], value: .double(1)))
    var collections = MetricCatalog.collections.makeFamily()
    try! collections.append(Sample(labels: [], value: .unsigned(42)))
    return [up, collections]
}()

/// The body of a second collection with derivation, as the collector renders it.
func collectedBody(domains: Int) -> RenderedBody {
    var pipeline = StatsPipeline()
    _ = pipeline.run(SyntheticDomains.make(count: domains, step: 0), at: 1_000)
    return pipeline.run(SyntheticDomains.make(count: domains, step: 1), at: 1_000 + SyntheticDomains.interval).body
}

// MARK: - Stages

/// The copy of every domain's typed parameters from libvirt's C structs into Swift values, on
/// arrays laid out as libvirt hands them out (`TypedParameterCopyBench`).
func registerTypedParameterCopy(domains: Int) {
    let input = SetupState<[TypedParameterCopyBench]>()
    Benchmark(
        name("1 TypedParameterCopy", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.parameters)
    ) { benchmark in
        let records = input.value!
        benchmark.startMeasurement()
        measure(benchmark, Throughput.parameters, amount: { _ in records.reduce(0) { $0 + $1.count } }) {
            var copies: [[TypedParameter]] = []
            copies.reserveCapacity(records.count)
            for record in records {
                copies.append(record.copy())
            }
            return copies
        }
    } setup: {
        input.value = SyntheticDomains.make(count: domains).map { TypedParameterCopyBench($0.parameters) }
    } teardown: {
        input.value = nil  // frees the C arrays and their strdup'ed strings
    }
}

/// `StatsPipeline(derivesMetrics: false).run`: records through the metric catalog into families,
/// rendered and compressed in pieces.
func registerMappingAndRendering(domains: Int) {
    Benchmark(
        name("2 Mapping and rendering", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.parameters)
    ) { benchmark, records in
        measure(
            benchmark, Throughput.parameters, amount: { _ in records.count * SyntheticDomains.parametersPerDomain }
        ) {
            var pipeline = StatsPipeline(derivesMetrics: false)
            return pipeline.run(records, at: 1_000)
        }
    } setup: {
        SyntheticDomains.make(count: domains)
    }
}

/// A whole collection after the libvirt copy: `StatsPipeline().run` for the second of two
/// collections 15 s apart (mapping, every derived gauge, rendering and compressing the pieces),
/// then `MetricsSnapshot(body:trailer:)`, which joins the text and splices the gzip member.
/// Derivation's share is this minus `2 Mapping and rendering` (and minus `4 Splicing`).
func registerCollection(domains: Int) {
    Benchmark(
        name("3 Collection", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.parameters)
    ) { (benchmark, state: (primed: StatsPipeline, records: [DomainStats])) in
        let (primed, records) = state
        measure(
            benchmark, Throughput.parameters, amount: { _ in records.count * SyntheticDomains.parametersPerDomain }
        ) {
            // A copy of the primed pipeline shares its state until it replaces it: every
            // iteration is a second collection.
            var pipeline = primed
            return MetricsSnapshot(
                body: pipeline.run(records, at: 1_000 + SyntheticDomains.interval).body, trailer: trailer)
        }
    } setup: {
        var pipeline = StatsPipeline()
        _ = pipeline.run(SyntheticDomains.make(count: domains, step: 0), at: 1_000)
        return (pipeline, SyntheticDomains.make(count: domains, step: 1))
    }
}

/// `MetricsSnapshot(body:trailer:)` of a collected body: the trailer rendered and compressed, the
/// text joined, the gzip member spliced from the pieces.
func registerSplicing(domains: Int) {
    Benchmark(
        name("4 Splicing", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.bytes)
    ) { benchmark, body in
        measure(benchmark, Throughput.bytes, amount: { $0.text.count }) {
            MetricsSnapshot(body: body, trailer: trailer)
        }
    } setup: {
        collectedBody(domains: domains)
    }
}

/// One job update as the job poller delivers it every second while a domain migrates:
/// `StatsPipeline.applyJobUpdate` for that domain, which re-renders its job series and
/// recompresses their pieces. The collector then publishes it, which costs `4 Splicing`. The
/// pipeline has collected twice with the migration running; each iteration is the next second.
func registerJobUpdate(domains: Int) {
    final class Migration {
        var pipeline: StatsPipeline
        var second = 10

        init(domains: Int) {
            pipeline = StatsPipeline()
            for step in 0..<2 {
                var records = SyntheticDomains.make(count: domains, step: step)
                records[0].parameters.removeAll { $0.field.hasPrefix("job.") }
                records[0].parameters += SyntheticDomains.migrationJob(second: 5 + step * 5)
                _ = pipeline.run(records, at: 1_000 + Double(step) * SyntheticDomains.interval)
            }
        }
    }
    let input = SetupState<Migration>()
    Benchmark(
        name("5 Job update", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.bytes)
    ) { benchmark in
        let migration = input.value!
        let parameters = SyntheticDomains.migrationJob(second: migration.second)
        migration.second += 1
        benchmark.startMeasurement()
        measure(benchmark, Throughput.bytes, amount: { $0.body.textCount }) {
            migration.pipeline.applyJobUpdate(domain: SyntheticDomains.name(index: 0), parameters: parameters)!
        }
    } setup: {
        input.value = Migration(domains: domains)
    } teardown: {
        input.value = nil
    }
}

/// `Gzip.compress` of the whole text at once at zlib `level`: what compressing each snapshot in
/// one piece costs, against the pieces compressed by the collection.
func registerGzip(domains: Int, level: Int32) {
    Benchmark(
        name("6 Gzip level \(level)", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.bytes)
    ) { benchmark, text in
        measure(benchmark, Throughput.bytes, amount: { _ in text.count }) {
            try! Gzip.compress(text, level: level)
        }
    } setup: {
        collectedBody(domains: domains).text
    }
}

/// `memcpy` of as many bytes as the rendered text, into memory touched before: the speed limit
/// that rendering's bytes/s compares with.
func registerMemcpy(domains: Int) {
    let input = SetupState<CopyBuffers>()
    Benchmark(
        name("7 memcpy of text size", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.bytes)
    ) { benchmark in
        let buffers = input.value!
        benchmark.startMeasurement()
        measure(benchmark, Throughput.bytes, amount: { _ in buffers.count }) {
            memcpy(buffers.destination, buffers.source, buffers.count)
        }
    } setup: {
        input.value = CopyBuffers(collectedBody(domains: domains).text)
    } teardown: {
        input.value = nil
    }
}

/// A benchmark's input, built by its setup closure and released by its teardown closure.
final class SetupState<Value> {
    var value: Value?
}

/// Source and destination of the memcpy benchmark, both resident before it starts.
final class CopyBuffers {
    let source: UnsafeMutableRawPointer
    let destination: UnsafeMutableRawPointer
    let count: Int

    init(_ text: [UInt8]) {
        count = text.count
        source = .allocate(byteCount: count, alignment: 64)
        destination = .allocate(byteCount: count, alignment: 64)
        text.withUnsafeBytes { _ = memcpy(source, $0.baseAddress!, count) }
        memset(destination, 0, count)
    }

    deinit {
        source.deallocate()
        destination.deallocate()
    }
}
