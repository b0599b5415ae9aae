import Benchmark
import CLibvirt
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
        registerCatalogMapping(domains: domains)
        registerRateDerivation(domains: domains)
        registerTextRendering(domains: domains)
        registerGzip(domains: domains)
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
///
/// `slow` marks a stage that takes minutes at 10,000 domains: one iteration without warmup, and
/// only with `VIRT_EXPORTER_BENCHMARK_SLOW=1`.
func configuration(domains: Int, throughput: BenchmarkMetric, slow: Bool = false) -> Benchmark.Configuration {
    let (maxIterations, seconds): (Int, Int64) =
        switch domains {
        case ..<100: (1_000, 1)
        case ..<1_000: (200, 1)
        case ..<10_000: (25, 2)
        default: slow ? (1, 1) : (5, 4)
        }
    return .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, throughput],
        timeUnits: .automatic,
        warmupIterations: slow && domains >= 10_000 ? 0 : 1,
        maxDuration: .seconds(seconds),
        maxIterations: maxIterations,
        skip: slow && domains >= 10_000 && !includesSlowBenchmarks
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

/// The families of a second collection with derivation, as the collector renders them.
///
/// Built in chunks of 100 domains, whose families are then merged by name: derivation works per
/// series, so the text is the same as one pipeline's over every domain (the encoder sorts the
/// samples; checked at 10, 250 and 1,000 domains), without the single pipeline's cost at 10,000 domains (see README.md).
func collectedFamilies(domains: Int) -> [MetricFamily] {
    var merged: [String: MetricFamily] = [:]
    var order: [String] = []
    for start in stride(from: 0, to: domains, by: 100) {
        let range = start..<min(start + 100, domains)
        var pipeline = StatsPipeline()
        _ = pipeline.run(range.map { SyntheticDomains.domain(index: $0, step: 0) }, at: 1_000)
        let second = range.map { SyntheticDomains.domain(index: $0, step: 1) }
        for family in pipeline.run(second, at: 1_000 + SyntheticDomains.interval).families {
            if merged[family.name] == nil {
                merged[family.name] = family
                order.append(family.name)
            } else {
                for sample in family.samples { try! merged[family.name]!.append(sample) }
            }
        }
    }
    return order.map { merged[$0]! }
}

/// Whether to run the benchmarks that take minutes (`VIRT_EXPORTER_BENCHMARK_SLOW=1`).
let includesSlowBenchmarks = getenv("VIRT_EXPORTER_BENCHMARK_SLOW").map { String(cString: $0) == "1" } ?? false

// MARK: - Stages

/// `TypedParameterCopy.copy` over every domain's C array: libvirt's structs into Swift values.
func registerTypedParameterCopy(domains: Int) {
    let input = SetupState<CTypedParameters>()
    Benchmark(
        name("1 TypedParameterCopy", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.parameters)
    ) { benchmark in
        let records = input.value!
        benchmark.startMeasurement()
        measure(benchmark, Throughput.parameters, amount: { _ in records.parameterCount }) {
            var copies: [[TypedParameter]] = []
            copies.reserveCapacity(records.records.count)
            for record in records.records {
                copies.append(TypedParameterCopy.copy(UnsafeBufferPointer(record)))
            }
            return copies
        }
    } setup: {
        input.value = CTypedParameters(SyntheticDomains.make(count: domains))
    } teardown: {
        input.value = nil  // frees the C arrays and their strdup'ed strings
    }
}

/// `StatsPipeline(derivesMetrics: false).run`: records through the metric catalog into families.
func registerCatalogMapping(domains: Int) {
    Benchmark(
        name("2 Catalog mapping", domains: domains),
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

/// `StatsPipeline().run` for the second of two collections 15 s apart, counters slightly higher:
/// catalog mapping plus every derived gauge, rates included. Derivation alone is the difference
/// to catalog mapping.
func registerRateDerivation(domains: Int) {
    Benchmark(
        name("3 Rate derivation", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.parameters, slow: true)
    ) { (benchmark, state: (primed: StatsPipeline, records: [DomainStats])) in
        let (primed, records) = state
        measure(
            benchmark, Throughput.parameters, amount: { _ in records.count * SyntheticDomains.parametersPerDomain }
        ) {
            // A copy of the primed pipeline shares its state until it replaces it: every
            // iteration is a second collection.
            var pipeline = primed
            return pipeline.run(records, at: 1_000 + SyntheticDomains.interval)
        }
    } setup: {
        var pipeline = StatsPipeline()
        _ = pipeline.run(SyntheticDomains.make(count: domains, step: 0), at: 1_000)
        return (pipeline, SyntheticDomains.make(count: domains, step: 1))
    }
}

/// `TextEncoder.encode`: families into the text exposition format.
func registerTextRendering(domains: Int) {
    Benchmark(
        name("4 Text rendering", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.bytes)
    ) { benchmark, families in
        measure(benchmark, Throughput.bytes, amount: \.count) {
            TextEncoder.encode(families)
        }
    } setup: {
        collectedFamilies(domains: domains)
    }
}

/// `Gzip.compress` of the rendered text at zlib level 6, as every snapshot does once.
func registerGzip(domains: Int) {
    Benchmark(
        name("5 Gzip", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.bytes)
    ) { benchmark, text in
        measure(benchmark, Throughput.bytes, amount: { _ in text.count }) {
            try! Gzip.compress(text)
        }
    } setup: {
        TextEncoder.encode(collectedFamilies(domains: domains))
    }
}

/// `memcpy` of as many bytes as the rendered text, into memory touched before: the speed limit
/// that rendering's bytes/s compares with.
func registerMemcpy(domains: Int) {
    let input = SetupState<CopyBuffers>()
    Benchmark(
        name("6 memcpy of text size", domains: domains),
        configuration: configuration(domains: domains, throughput: Throughput.bytes)
    ) { benchmark in
        let buffers = input.value!
        benchmark.startMeasurement()
        measure(benchmark, Throughput.bytes, amount: { _ in buffers.count }) {
            memcpy(buffers.destination, buffers.source, buffers.count)
        }
    } setup: {
        input.value = CopyBuffers(TextEncoder.encode(collectedFamilies(domains: domains)))
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
