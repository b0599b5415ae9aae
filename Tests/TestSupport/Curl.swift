import Foundation

/// A reply read by `curl`, for HTTPS tests (TLS versions, client certificates, basic auth).
public struct CurlReply {
    /// The HTTP status; 0 when no reply came (the TLS handshake or the connection failed).
    public let status: Int
    /// Header fields with lower-cased names.
    public let headers: [String: String]
    public let body: [UInt8]
    /// curl's exit status (0, or why it failed, such as 35 for a TLS handshake failure).
    public let exitStatus: Int32
    /// What curl said on standard error.
    public let message: String

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Fetches `url` with curl's `options` added, for at most 10 s.
    public static func fetch(_ url: String, _ options: [String] = []) throws -> CurlReply {
        let directory = FileManager.default.temporaryDirectory
        let bodyFile = directory.appendingPathComponent("virt-exporter-curl-body-\(UUID())")
        let headerFile = directory.appendingPathComponent("virt-exporter-curl-head-\(UUID())")
        defer {
            try? FileManager.default.removeItem(at: bodyFile)
            try? FileManager.default.removeItem(at: headerFile)
        }
        let result = try Command.run(
            "/usr/bin/curl",
            ["-sS", "--max-time", "10", "-o", bodyFile.path, "-D", headerFile.path, "-w", "\n%{http_code}"] + options
                + [url])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        var headers: [String: String] = [:]
        let head = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
        for line in head.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let body = (try? Data(contentsOf: bodyFile)).map { Array($0) } ?? []
        return CurlReply(
            status: status, headers: headers, body: body, exitStatus: result.status,
            message: lines.dropLast().joined(separator: "\n"))
    }
}
