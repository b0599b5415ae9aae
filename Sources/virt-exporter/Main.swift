import ArgumentParser
import Foundation

/// Entry point. Parses the command line and runs the chosen command; a user mistake in flags or the
/// config file prints one clear message and exits with status 2, never a stack trace.
@main
enum Main {
    static func main() async {
        do {
            var command = try VirtExporterCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("virt-exporter: \(error)\n".utf8))
            exit(2)
        } catch {
            let code = VirtExporterCommand.exitCode(for: error)
            guard code == .validationFailure else { VirtExporterCommand.exit(withError: error) }
            FileHandle.standardError.write(Data((VirtExporterCommand.fullMessage(for: error) + "\n").utf8))
            exit(2)
        }
    }
}

/// The `virt-exporter` command and its subcommands; `serve` is the default.
struct VirtExporterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "virt-exporter",
        abstract: "Prometheus exporter for libvirt hosts.",
        version: "virt-exporter \(ExporterVersion.number)",
        subcommands: [ServeCommand.self, DumpStatsCommand.self, CatalogCommand.self, CollectOnceCommand.self],
        defaultSubcommand: ServeCommand.self)
}
