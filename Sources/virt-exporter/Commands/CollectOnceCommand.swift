import ArgumentParser
import Foundation
import Logging
import PromFormat
import StatsCollector

/// Collects from libvirt (or a fixture) through the same collector the server runs, and writes the
/// rendered snapshot to stdout: a one-shot process to profile a collection with (callgrind cannot
/// follow the serving process), and to see what one collection exports.
struct CollectOnceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect-once",
        abstract:
            "Collect once (or --collections times) and write the rendered /metrics body to stdout, for profiling.")

    @Option(
        name: .customLong("libvirt.uri"), help: "libvirt connection URI, opened read-only. (default: qemu:///system)")
    var libvirtURI = "qemu:///system"

    @Option(
        name: .customLong("fixture"),
        help: "Read the domains from this JSON file (the output of dump-stats) instead of libvirt.")
    var fixturePath: String?

    @Option(
        name: .customLong("collections"),
        help: "Collections to run, one after the other; derived rates appear from the second. (default: 1)")
    var collections = 1

    @Flag(name: .customLong("gzip"), help: "Write the gzip form of the body instead of its text.")
    var writesGzip = false

    func validate() throws {
        guard collections >= 1 else { throw ValidationError("--collections must be at least 1, not \(collections)") }
    }

    func run() async throws {
        let source: any StatsSource
        if let fixturePath {
            guard let data = FileManager.default.contents(atPath: fixturePath) else {
                throw ValidationError("--fixture: cannot read \(fixturePath)")
            }
            do {
                source = try FixtureStatsSource(json: data)
            } catch {
                throw ValidationError("--fixture: \(fixturePath) is not dump-stats JSON (an array of domain records)")
            }
        } else {
            source = LibvirtStatsSource(uri: libvirtURI, logger: Logger(label: "virt-exporter.libvirt"))
        }
        let store = SnapshotStore()
        let collector = Collector(
            source: source, store: store, exporterVersion: ExporterVersion.number,
            libvirtVersion: LibvirtStatsSource.libraryVersion, logger: Logger(label: "virt-exporter.collector"))
        for _ in 0..<collections {
            guard await collector.collectOnce() else {
                FileHandle.standardError.write(
                    Data("virt-exporter: collect-once: libvirt at \(libvirtURI) is unreachable\n".utf8))
                throw ExitCode.failure
            }
        }
        guard let snapshot = store.latest, let bytes = writesGzip ? snapshot.gzip : snapshot.text else {
            throw ExitCode.failure
        }
        bytes.withUnsafeBytes { FileHandle.standardOutput.write(Data($0)) }
    }
}
