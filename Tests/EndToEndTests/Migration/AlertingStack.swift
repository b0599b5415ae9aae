import Foundation
import TestSupport

/// Debian's Prometheus and Alertmanager, run for a test: Prometheus scrapes `targets` every second
/// and evaluates the shipped rules file every second, with its durations divided by
/// `durationFactor` (``RuleDurations``); Alertmanager sends every alert, firing and resolved, to
/// `webhook`, with Debian's (and upstream's) default `group_wait` of 30 s and a 5 s
/// `group_interval`, so that a resolution is told within seconds. Both stop when it is released.
final class AlertingStack {
    static let prometheusBinary = "/usr/bin/prometheus"
    static let alertmanagerBinary = "/usr/bin/prometheus-alertmanager"
    /// Alertmanager's group_wait here: how long it holds a new group's first alert.
    static let groupWait = 30.0

    /// Whether both programs are installed.
    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: prometheusBinary)
            && FileManager.default.isExecutableFile(atPath: alertmanagerBinary)
    }

    let prometheusPort: UInt16
    let alertmanagerPort: UInt16
    private let directory: URL
    private let prometheus = Process()
    private let alertmanager = Process()

    init(targets: [String], webhook: UInt16, durationFactor: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-alerting-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        prometheusPort = try freeLoopbackPort()
        alertmanagerPort = try freeLoopbackPort()

        let shipped = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("deploy/prometheus/virt-exporter.rules.yml"),
            encoding: .utf8)
        try RuleDurations.shorten(shipped, by: durationFactor).write(
            to: directory.appendingPathComponent("rules.yml"), atomically: true, encoding: .utf8)
        try """
        route:
          receiver: test
          group_by: [alertname, instance, domain]
          group_wait: \(Int(Self.groupWait))s
          group_interval: 5s
          repeat_interval: 1h
        receivers:
          - name: test
            webhook_configs:
              - url: http://127.0.0.1:\(webhook)/
                send_resolved: true
        """.write(to: directory.appendingPathComponent("alertmanager.yml"), atomically: true, encoding: .utf8)
        try """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        rule_files: [rules.yml]
        alerting:
          alertmanagers:
            - static_configs:
                - targets: ["127.0.0.1:\(alertmanagerPort)"]
        scrape_configs:
          - job_name: libvirt
            static_configs:
              - targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]
        """.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)

        alertmanager.executableURL = URL(fileURLWithPath: Self.alertmanagerBinary)
        alertmanager.arguments = [
            "--config.file=\(directory.appendingPathComponent("alertmanager.yml").path)",
            "--storage.path=\(directory.appendingPathComponent("am").path)",
            "--web.listen-address=127.0.0.1:\(alertmanagerPort)", "--cluster.listen-address=", "--log.level=warn",
        ]
        prometheus.executableURL = URL(fileURLWithPath: Self.prometheusBinary)
        prometheus.arguments = [
            "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(prometheusPort)", "--log.level=warn",
        ]
        for process in [alertmanager, prometheus] {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(
                forWritingTo: createLog(directory.appendingPathComponent("\(process === prometheus ? "p" : "a").log")))
        }
        try alertmanager.run()
        try prometheus.run()
        try waitReady(port: alertmanagerPort, path: "/-/ready", what: "Alertmanager")
        try waitReady(port: prometheusPort, path: "/-/ready", what: "Prometheus")
    }

    deinit {
        for process in [prometheus, alertmanager] where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func createLog(_ url: URL) throws -> URL {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw HTTPTestError("cannot create \(url.path)")
        }
        return url
    }

    private func waitReady(port: UInt16, path: String, what: String) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let reply = try? HTTPReply.fetch(port: port, path: path), reply.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw HTTPTestError("\(what) did not become ready on port \(port)")
    }

    /// The number of series a range query over the last `seconds` returns (1 s steps), as a
    /// Grafana panel over that window would show them.
    func seriesCount(_ promQL: String, overLast seconds: Int) throws -> Int {
        let end = Int(Date().timeIntervalSince1970)
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        let form = "query=\(encoded(promQL))&start=\(end - seconds)&end=\(end)&step=1"
        let reply = try HTTPReply.fetch(
            port: prometheusPort, path: "/api/v1/query_range", method: "POST",
            headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: form)
        let body = reply.headers["transfer-encoding"] == "chunked" ? Self.dechunk(reply.body) : reply.body
        guard reply.status == 200,
            let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw HTTPTestError("query_range \(promQL): \(reply.status) \(reply.text)") }
        return result.count
    }

    /// The payload of a body in HTTP/1.1 chunked transfer encoding (as Prometheus sends a large
    /// answer): each chunk is its size in hex, CRLF, the bytes, CRLF; a size of 0 ends it.
    static func dechunk(_ body: [UInt8]) -> [UInt8] {
        var payload: [UInt8] = []
        var index = 0
        while let lineEnd = body[index...].firstIndex(of: UInt8(ascii: "\r")),
            let size = Int(String(decoding: body[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16),
            size > 0, lineEnd + 2 + size <= body.count
        {
            payload += body[(lineEnd + 2)..<(lineEnd + 2 + size)]
            index = lineEnd + 2 + size + 2
            guard index < body.count else { break }
        }
        return payload
    }

    /// The result vector of an instant query: each series' labels and value.
    func query(_ promQL: String) throws -> [(labels: [String: String], value: Double)] {
        try PrometheusQuery.instant(promQL, port: prometheusPort)
    }
}
