import ArgumentParser
import Dispatch
import FoundationEssentials
import Logging
import PromFormat
import StatsCollector
import Synchronization

/// Collects from libvirt (or a fixture) and writes the rendered `/metrics` body to stdout: a
/// one-shot process to profile a collection with, and to see what one collection exports.
///
/// It collects what `serve` collects with the same `--collector.<part>` flags and family and device
/// patterns (by default, the default parts). From libvirt it runs the collector the server runs,
/// self-metrics included. From a fixture it
/// runs the pipeline alone on the main thread, without Swift's thread pool: valgrind 3.19 crashes
/// as soon as libdispatch starts its worker threads, so this is the form callgrind can follow.
struct CollectOnceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect-once",
        abstract:
            "Collect once (or --collections times) and write the rendered /metrics body to stdout, for profiling.",
        discussion: CollectorFlags.partsHelp)

    @Option(
        name: .customLong("libvirt.uri"), help: "libvirt connection URI, opened read-only. (default: qemu:///system)")
    var libvirtURI = "qemu:///system"

    @Option(
        name: .customLong("fixture"),
        help:
            "Read the domains from this JSON file (the output of dump-stats) instead of libvirt, and render them without the self-metrics."
    )
    var fixturePath: String?

    @Option(
        name: .customLong("collections"),
        help: "Collections to run, one after the other; derived rates appear from the second. (default: 1)")
    var collections = 1

    @Flag(name: .customLong("gzip"), help: "Write the gzip form of the body instead of its text.")
    var writesGzip = false

    @OptionGroup var collectors: CollectorFlags

    func validate() throws {
        guard collections >= 1 else { throw ValidationError("--collections must be at least 1, not \(collections)") }
        _ = try scope()
    }

    /// What the flags collect, as `serve` would.
    private func scope() throws -> CollectionScope {
        var choices = CollectorChoices()
        do {
            try collectors.apply(to: &choices)
            try choices.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return choices.scope
    }

    func run() throws {
        let snapshot: MetricsSnapshot
        if let fixturePath {
            snapshot = try collectFixture(at: fixturePath)
        } else {
            guard let collected = try collectFromLibvirt() else {
                StandardStream.error.write("virt-exporter: collect-once: libvirt at \(libvirtURI) is unreachable\n")
                throw ExitCode.failure
            }
            snapshot = collected
        }
        guard let bytes = writesGzip ? snapshot.gzip : snapshot.text else { throw ExitCode.failure }
        bytes.withUnsafeBytes { StandardStream.output.write($0) }
    }

    /// The fixture's domains through the pipeline, `collections` times, 15 s apart.
    private func collectFixture(at path: String) throws -> MetricsSnapshot {
        let data: Data
        do {
            data = Data(try FileBytes.read(path))
        } catch {
            throw ValidationError("--fixture: cannot read \(path): \(error)")
        }
        let domains: [DomainStats]
        do {
            domains = try FixtureStatsSource(json: data).domains
        } catch {
            throw ValidationError("--fixture: \(path) is not dump-stats JSON (an array of domain records)")
        }
        var pipeline = StatsPipeline(selection: MetricSelection(scope: try scope()))
        var body = RenderedBody.empty
        for collection in 0..<collections {
            body = pipeline.run(domains, at: Double(collection) * 15).body
        }
        return MetricsSnapshot(body: body, trailer: [])
    }

    /// The collector's snapshot after `collections` collections; `nil` if libvirt was unreachable.
    /// The main thread waits while the collector runs on Swift's thread pool.
    private func collectFromLibvirt() throws -> MetricsSnapshot? {
        let store = SnapshotStore()
        let logger = Logger(label: "virt-exporter.libvirt")
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "libvirt-calls", maximumThreads: 7), deadline: .seconds(60), logger: logger)
        let scope = try scope()
        let collector = Collector(
            source: try LibvirtStatsSource(uri: libvirtURI, runner: runner, scope: scope, logger: logger), store: store,
            exporterVersion: ExporterVersion.number, revision: ExporterVersion.revision,
            libvirtVersion: LibvirtLibrary().libraryVersion, selection: MetricSelection(scope: scope),
            logger: Logger(label: "virt-exporter.collector"))
        let done = DispatchSemaphore(value: 0)
        let collections = collections
        let reached = Mutex(true)
        Task {
            for _ in 0..<collections where await collector.collectOnce() == false {
                reached.withLock { $0 = false }
                break
            }
            done.signal()
        }
        done.wait()
        return reached.withLock { $0 } ? store.latest : nil
    }
}
