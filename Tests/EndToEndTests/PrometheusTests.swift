import Foundation
import TestSupport
import Testing

/// A real Prometheus server (Debian's `prometheus`) scrapes the exporter on loopback every second;
/// the test asks Prometheus, through its HTTP API, what it ingested.
extension EndToEnd {
    @Suite struct PrometheusTests {
        /// Runs a Prometheus server scraping `target` every second, until deinitialised.
        final class PrometheusServer {
            let port: UInt16
            private let process = Process()
            private let directory: URL

            convenience init(scraping target: String) throws {
                try self.init(jobs: ["virt-exporter": ""], scraping: target)
            }

            /// Scrapes `target` with one job per entry of `jobs`: its name, and YAML lines added to its
            /// scrape config (such as `scheme`, `tls_config` and `basic_auth`), each indented by 4.
            init(jobs: [String: String], scraping target: String) throws {
                port = try freeLoopbackPort()
                directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "virt-exporter-prometheus-\(UUID())")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let config = """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                    scrape_configs:

                    """
                    + jobs.sorted { $0.key < $1.key }.map { name, extra in
                        """
                          - job_name: \(name)
                            static_configs:
                              - targets: ["\(target)"]

                        """ + extra
                    }.joined()
                let configFile = directory.appendingPathComponent("prometheus.yml")
                try config.write(to: configFile, atomically: true, encoding: .utf8)
                process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
                process.arguments = [
                    "--config.file=\(configFile.path)",
                    "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                    "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
                ]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
            }

            deinit {
                process.terminate()
                process.waitUntilExit()
                try? FileManager.default.removeItem(at: directory)
            }

            /// The result vector of an instant query: each series' labels and value.
            func query(_ promQL: String) throws -> [(labels: [String: String], value: Double)] {
                try PrometheusQuery.instant(promQL, port: port)
            }

            /// Polls `promQL` until `accept` holds for its result, for up to `seconds`.
            func wait(
                for promQL: String, seconds: Double, until accept: ([(labels: [String: String], value: Double)]) -> Bool
            )
                throws -> [(labels: [String: String], value: Double)]
            {
                let deadline = Date().addingTimeInterval(seconds)
                var last: [(labels: [String: String], value: Double)] = []
                while Date() < deadline {
                    if let result = try? query(promQL) {
                        last = result
                        if accept(result) { return result }
                    }
                    Thread.sleep(forTimeInterval: 0.5)
                }
                return last
            }
        }

        /// Prometheus scrapes over TLS (a CA made for the test) with basic auth, as its
        /// `scrape_config` does it with `scheme: https`, `tls_config.ca_file` and `basic_auth`.
        @Test func prometheusScrapesOverTLSWithBasicAuth() throws {
            let uri = try #require(Testbed.uri)
            let certificates = try TestCertificates()
            let webConfig = certificates.path("web.yml")
            try """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
            basic_auth_users:
              prometheus: $2b$04$9aZ4aEZwdA58hft2y6cb.uqUNwJrfGQqXUNL/VqJufBzF5M2m2Eem
            """.write(toFile: webConfig, atomically: true, encoding: .utf8)
            let exporter = try ExporterProcess([
                "--libvirt.uri", uri, "--collector.interval", "1s", "--web.config.file", webConfig,
            ])
            func job(password: String) -> String {
                """
                    scheme: https
                    tls_config:
                      ca_file: \(certificates.caCertificate)
                    basic_auth:
                      username: prometheus
                      password: \(password)

                """
            }
            let prometheus = try PrometheusServer(
                jobs: ["tls-auth": job(password: "scrape-secret"), "tls-wrong-password": job(password: "guess")],
                scraping: "127.0.0.1:\(exporter.port)")
            let up = try prometheus.wait(for: "up{job=\"tls-auth\"}", seconds: 30) { $0.first?.value == 1 }
            #expect(up.first?.value == 1, "Prometheus scrapes over TLS with basic auth; exporter log:\n\(exporter.log)")
            let domains = try prometheus.wait(for: "libvirt_exporter_domains{job=\"tls-auth\"}", seconds: 10) {
                !$0.isEmpty
            }
            #expect((domains.first?.value ?? 0) >= 1)
            // Prometheus asks for gzip; the HTTP self-metrics follow the snapshot as a second gzip member.
            let requests = try prometheus.wait(
                for: "libvirt_exporter_http_requests_total{job=\"tls-auth\",path=\"/metrics\",code=\"200\"}",
                seconds: 10
            ) { ($0.first?.value ?? 0) >= 1 }
            #expect((requests.first?.value ?? 0) >= 1, "Prometheus reads the second gzip member")
            let refused = try prometheus.wait(for: "up{job=\"tls-wrong-password\"}", seconds: 10) { !$0.isEmpty }
            #expect(refused.first?.value == 0, "a wrong password is refused")
        }

        @Test func prometheusIngestsEveryDomainAndItsRateMatchesTheExporters() throws {
            let uri = try #require(Testbed.uri)
            let exporter = try ExporterProcess(["--libvirt.uri", uri, "--collector.interval", "1s"])
            try exporter.waitUntilReady()
            let prometheus = try PrometheusServer(scraping: "127.0.0.1:\(exporter.port)")

            let up = try prometheus.wait(for: "up{job=\"virt-exporter\"}", seconds: 30) { $0.first?.value == 1 }
            #expect(up.first?.value == 1, "Prometheus scrapes the exporter")

            let domains = Set(try Testbed.virsh(["list", "--all", "--name"]).split(separator: "\n").map(String.init))
                .filter { $0.hasPrefix("vx-") }
            let info = try prometheus.wait(for: "libvirt_domain_info", seconds: 10) { result in
                domains.isSubset(of: Set(result.compactMap { $0.labels["domain"] }))
            }
            #expect(domains.isSubset(of: Set(info.compactMap { $0.labels["domain"] })), "samples for every domain")

            // Let 20 s of 1-second samples accumulate, then compare Prometheus's own rate() of the CPU
            // counter with the exporter's derived CPU usage, both averaged over the same window.
            Thread.sleep(forTimeInterval: 20)
            let window = "15s"
            let prometheusRate = try prometheus.query(
                "rate(libvirt_domain_info_cpu_time_seconds_total{domain=~\"vx-.*\"}[\(window)])")
            let exporterRate = try prometheus.query(
                "avg_over_time(libvirt_domain_cpu_usage_cores{domain=~\"vx-.*\"}[\(window)])")
            let derived = Dictionary(
                exporterRate.map { ($0.labels["domain"] ?? "", $0.value) }, uniquingKeysWith: { a, _ in a })
            #expect(!prometheusRate.isEmpty)
            for series in prometheusRate {
                let domain = series.labels["domain"] ?? ""
                let ours = try #require(derived[domain], "derived CPU usage of \(domain)")
                // Tolerance: 0.02 cores, or 25 % of the rate, whichever is larger (the two windows'
                // edges fall on different 1-second samples).
                let tolerance = max(0.02, series.value * 0.25)
                print("E2E rate: \(domain) Prometheus rate() \(series.value) cores, exporter \(ours) cores")
                #expect(abs(series.value - ours) <= tolerance, "\(domain): rate() \(series.value) vs exporter \(ours)")
            }
        }
    }
}
