import ArgumentParser
import Glibc

/// Entry point. Parses the command line and runs the chosen command; a user mistake in flags or the
/// config file prints one clear message and exits with status 2, never a stack trace.
@main
enum Main {
    static func main() async {
        MallocArenas.limitToOne()
        if let help = VirtExporterCommand.topLevelHelp(for: Array(CommandLine.arguments.dropFirst())) {
            print(help)
            return
        }
        do {
            var command = try VirtExporterCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigurationError {
            StandardStream.error.write("virt-exporter: \(error)\n")
            exit(2)
        } catch {
            let code = VirtExporterCommand.exitCode(for: error)
            guard code == .validationFailure else { VirtExporterCommand.exit(withError: error) }
            StandardStream.error.write(VirtExporterCommand.fullMessage(for: error) + "\n")
            exit(2)
        }
    }
}

/// The `virt-exporter` command and its subcommands; `serve` is the default.
struct VirtExporterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "virt-exporter",
        abstract: "Prometheus exporter for libvirt hosts.",
        version: ExporterVersion.description,
        subcommands: [
            ServeCommand.self, DumpStatsCommand.self, CatalogCommand.self, PartsCommand.self, CollectOnceCommand.self,
            GuestAgentCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)
}

extension VirtExporterCommand {
    /// For `virt-exporter --help` (or `-h`): the flags of the default command, `serve`, then the
    /// subcommands, as an exporter's `--help` shows its flags. `nil` for any other arguments.
    static func topLevelHelp(for arguments: [String]) -> String? {
        guard arguments == ["--help"] || arguments == ["-h"] else { return nil }
        let serve = helpMessage(for: ServeCommand.self)
            .replacing("USAGE: virt-exporter serve", with: "USAGE: virt-exporter [serve]")
        let root = helpMessage()
        let subcommands = root.firstRange(of: "SUBCOMMANDS:").map { String(root[$0.lowerBound...]) } ?? ""
        return "OVERVIEW: \(configuration.abstract)\n\n" + serve.drop { $0 != "U" } + "\n" + subcommands
    }
}
