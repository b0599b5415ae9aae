import ArgumentParser

/// Prints the collector parts: whether each is on by default, what it costs libvirtd, and the
/// families it brings.
struct PartsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parts",
        abstract: "Print each collector part: on or off by default, what it costs libvirtd, the families it brings.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, markdown
    }

    @Option(help: "Output format: text, json or markdown.")
    var format: Format = .text

    func run() throws {
        let output =
            switch format {
            case .text: PartsDocument.text()
            case .json: try PartsDocument.json()
            case .markdown: PartsDocument.markdown()
            }
        StandardStream.output.write(output)
    }
}
