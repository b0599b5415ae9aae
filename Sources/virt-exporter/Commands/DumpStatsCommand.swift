import ArgumentParser
import FoundationEssentials
import Logging
import StatsCollector

/// Prints every domain's raw typed stats as JSON: the fixture format of the tests, and what a bug
/// report should carry.
struct DumpStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-stats",
        abstract:
            "Print every domain's typed stats from one collection as JSON: the bulk call's fields, and the per-CPU, job and fallback fields of the per-domain calls."
    )

    @Option(
        name: .customLong("libvirt.uri"), help: "libvirt connection URI, opened read-only. (default: qemu:///system)")
    var libvirtURI = "qemu:///system"

    func run() async throws {
        let logger = Logger(label: "virt-exporter.libvirt")
        let runner = LibvirtCallRunner(
            pool: BlockingCallPool(name: "libvirt-calls", maximumThreads: 4), deadline: .seconds(60), logger: logger)
        let source = try LibvirtStatsSource(uri: libvirtURI, runner: runner, logger: logger)
        let batch: StatsBatch
        do {
            batch = try await source.fetchStats()
        } catch {
            StandardStream.error.write("virt-exporter: \(error)\n")
            throw ExitCode.failure
        }
        for error in batch.errors {
            StandardStream.error.write("virt-exporter: \(error)\n")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(batch.domains.sorted { $0.name < $1.name })
        (json + Data("\n".utf8)).withUnsafeBytes { StandardStream.output.write($0) }
    }
}
