import Foundation

@testable import virt_exporter

extension ExporterConfiguration {
    /// What `virt-exporter serve` resolves from `arguments`, with `json` as the config file when
    /// given (written to a temporary file, removed afterwards).
    static func resolved(_ arguments: [String], file json: String? = nil) throws -> ExporterConfiguration {
        var arguments = arguments
        var file: URL?
        if let json {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-\(UUID()).json")
            try Data(json.utf8).write(to: url)
            arguments += ["--config.file", url.path]
            file = url
        }
        defer { file.map { try? FileManager.default.removeItem(at: $0) } }
        return try ServeCommand.parse(arguments).resolvedConfiguration()
    }
}
