import ArgumentParser
import StatsCollector

/// Prints the metric catalog: every metric the exporter can emit, where it comes from, and its scale.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Print every metric virt-exporter can emit, as JSON or Markdown.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, markdown
    }

    @Option(help: "Output format: json or markdown.")
    var format: Format = .json

    func run() throws {
        let output =
            switch format {
            case .json: try CatalogDocument.json()
            case .markdown: CatalogDocument.markdown()
            }
        StandardStream.output.write(output)
    }
}
