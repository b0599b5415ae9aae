import Foundation
import TestSupport
import Testing

/// The built binary, run for real on a loopback port against libvirt's embedded test driver.
@Suite(.serialized) struct LiveServerTests {
    static let promtool = "/usr/bin/promtool"

    static var hostileNodeURI: String {
        "test://"
            + Fixtures.repositoryRoot.appendingPathComponent("Tests/VirtExporterTests/Fixtures/hostile-names.xml").path
    }

    /// The exposition without the HTTP self-metrics, which count every request and so differ
    /// between two scrapes.
    static func withoutHTTPFamilies(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("libvirt_exporter_http_") }
            .joined(separator: "\n")
    }

    private func checkWithPromtool(_ body: [UInt8]) throws {
        let result = try Command.run(Self.promtool, ["check", "metrics"], input: body)
        #expect(result.status == 0, "promtool check metrics: \(result.output)")
    }

    @Test func servesMetricsFromTheTestDriver() throws {
        let exporter = try ExporterProcess(["--libvirt.uri", "test:///default", "--collector.interval", "1m"])
        try exporter.waitUntilReady()

        let reply = try HTTPReply.fetch(port: exporter.port, path: "/metrics")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let exposition = ParsedExposition(reply.text)
        #expect(exposition.value("libvirt_up") == 1)
        #expect(
            exposition.value("libvirt_domain_info", ["domain": "test", "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f"])
                == 1)
        #expect(exposition.value("libvirt_domain_info_state", ["domain": "test"]) == 1)
        #expect(exposition.value("libvirt_exporter_domains") == 1)
        try checkWithPromtool(reply.body)

        let head = try HTTPReply.fetch(port: exporter.port, path: "/metrics", method: "HEAD")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        // The same snapshot; only the HTTP request counters after it have grown.
        let headLength = head.headers["content-length"].flatMap { Int($0) } ?? 0
        #expect(headLength >= reply.body.count && headLength < reply.body.count + 200)

        let gzip = try HTTPReply.fetch(port: exporter.port, path: "/metrics", headers: ["Accept-Encoding": "gzip"])
        #expect(gzip.headers["content-encoding"] == "gzip")
        #expect(gzip.headers["vary"] == "Accept-Encoding")
        let gunzipped = try Command.run("/bin/gzip", ["-dc"], input: gzip.body)
        #expect(gunzipped.status == 0)
        #expect(Self.withoutHTTPFamilies(gunzipped.output) == Self.withoutHTTPFamilies(reply.text))
        #expect(gunzipped.output.contains("libvirt_exporter_http_requests_total{code=\"200\",path=\"/metrics\"} 2"))

        #expect(try HTTPReply.fetch(port: exporter.port, path: "/nope").status == 404)
        let post = try HTTPReply.fetch(port: exporter.port, path: "/metrics", method: "POST", body: "x=1")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET, HEAD")
        #expect(try HTTPReply.fetch(port: exporter.port, path: "/-/healthy").status == 200)
        #expect(try HTTPReply.fetch(port: exporter.port, path: "/").text.contains("/metrics"))

        #expect(exporter.terminate() == 0, "SIGTERM shuts down cleanly")
    }

    @Test func escapesHostileDomainNames() throws {
        let exporter = try ExporterProcess(["--libvirt.uri", Self.hostileNodeURI, "--collector.interval", "1m"])
        try exporter.waitUntilReady()
        let reply = try HTTPReply.fetch(port: exporter.port, path: "/metrics")
        let exposition = ParsedExposition(reply.text)
        for name in ["quo\"te", "back\\slash", "new\nline", "ünïcødé-😀", "stopped"] {
            #expect(exposition.value("libvirt_domain_info", ["domain": name]) == 1, "\(name)")
        }
        #expect(reply.text.contains(#"domain="quo\"te""#))
        #expect(reply.text.contains(#"domain="back\\slash""#))
        #expect(reply.text.contains(#"domain="new\nline""#))
        #expect(exposition.value("libvirt_domain_info_state", ["domain": "stopped"]) == 5)
        #expect(exposition.value("libvirt_exporter_domains") == 7)
        // Two domains whose names differ only in normalization: two series each, byte for byte.
        for (name, uuid, vcpus) in [("caf\u{E9}", "6666", 1), ("cafe\u{301}", "7777", 3)] {
            let line = "libvirt_domain_info_virtual_cpus{domain=\"\(name)\"} \(vcpus)"
            #expect(reply.body.split(separator: UInt8(ascii: "\n")).contains { $0.elementsEqual(line.utf8) }, "\(line)")
            #expect(
                reply.text.utf8.split(separator: UInt8(ascii: "\n")).contains { line in
                    line.starts(with: "libvirt_domain_info{domain=\"\(name)\",uuid=\"\(uuid)".utf8)
                })
        }
        try checkWithPromtool(reply.body)
    }

    @Test func reportsAnUnreachableLibvirtAsDown() throws {
        let exporter = try ExporterProcess([
            "--libvirt.uri", "qemu+unix:///system?socket=/nonexistent/libvirt-sock", "--collector.interval", "1m",
        ])
        try exporter.waitUntilReady()
        let exposition = ParsedExposition(try HTTPReply.fetch(port: exporter.port, path: "/metrics").text)
        #expect(exposition.value("libvirt_up") == 0)
        #expect(exposition.samples("libvirt_domain_info").isEmpty)
        #expect(
            exposition.samples("libvirt_exporter_collection_errors_total", ["call": "virConnectOpenReadOnly"]).count
                == 1)
    }

    @Test(arguments: [
        (["--collector.interval", "500ms"], "--collector.interval: must be from 1s to 1d"),
        (["--collector.interval", "fast"], "--collector.interval: must be a duration"),
        (["--web.listen-address", "nowhere"], "--web.listen-address: must be host:port"),
        (["--log.level", "chatty"], "--log.level: must be one of"),
        (["--no-such-flag"], "Unknown option '--no-such-flag'"),
        (["--web.max-connections", "many"], "--web.max-connections"),
        (["--config.file", "/nonexistent.json"], "config file /nonexistent.json: cannot be read"),
        (
            ["--web.connection-timeout", "137y"],
            "--web.connection-timeout: must be a whole number of seconds from 1s to 1d"
        ),
        (["--collector.interval", "9999999y"], "--collector.interval: must be"),
        (["--web.max-requests", "99999999999999999999"], "--web.max-requests"),
        (["--web.header-timeout", "0s"], "--web.header-timeout: must be from 100ms to 1h"),
        (["--web.config.file", "/nonexistent.yml"], "web config file /nonexistent.yml: cannot be read"),
        // Accepted before, and then every scrape got 404 (a client sends "?" and "#" as delimiters,
        // a space and "%" encoded), or a limit that cannot hold.
        (["--web.telemetry-path", "/metrics?format=text"], #"--web.telemetry-path: "?" cannot be"#),
        (["--web.telemetry-path", "/metrics#all"], ##"--web.telemetry-path: "#" cannot be"##),
        (["--web.telemetry-path", "/my metrics"], #"--web.telemetry-path: " " cannot be"#),
        (["--web.telemetry-path", "/metrics%2Fx"], #"--web.telemetry-path: "%" cannot be"#),
        (
            ["--web.max-connections", "10", "--web.max-connections-per-address", "20"],
            "--web.max-connections-per-address: 20 is above --web.max-connections 10"
        ),
    ])
    func rejectsBadFlagsWithStatus2(arguments: [String], message: String) throws {
        let result = try Command.run(
            ExporterProcess.binary.path,
            ["--libvirt.uri", "test:///default", "--web.listen-address", "127.0.0.1:0"] + arguments, timeout: 10)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains(message), "\(result.output)")
        #expect(!result.output.contains("Fatal error"))
    }

    @Test func rejectsAnUnknownConfigKeyWithStatus2() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"collector": {"intervall": "15s"}}"#.utf8).write(to: file)
        let result = try Command.run(ExporterProcess.binary.path, ["--config.file", file.path])
        #expect(result.status == 2)
        #expect(result.output.contains(#"unknown key "collector.intervall""#), "\(result.output)")
    }

    @Test func aPortInUseIsAClearErrorWithStatus1() throws {
        let first = try ExporterProcess(["--libvirt.uri", "test:///default"])
        let result = try Command.run(
            ExporterProcess.binary.path,
            ["--libvirt.uri", "test:///default", "--web.listen-address", "127.0.0.1:\(first.port)"])
        #expect(result.status == 1)
        #expect(
            result.output.contains("cannot listen on 127.0.0.1:\(first.port): Address already in use"),
            "\(result.output)")
    }

    @Test func keepsTheConnectionAliveBetweenScrapes() throws {
        let exporter = try ExporterProcess(["--libvirt.uri", "test:///default", "--collector.interval", "1m"])
        try exporter.waitUntilReady()
        let url = "http://127.0.0.1:\(exporter.port)/metrics"
        let result = try Command.run("/usr/bin/curl", ["-sv", "-o", "/dev/null", "-o", "/dev/null", url, url])
        #expect(result.output.contains("Re-using existing connection"), "\(result.output)")
        #expect(!result.output.contains("Connection: close"), "\(result.output)")
    }

    /// libmicrohttpd's threads are sized by what the limits need, not by the host's cores: a
    /// server that may hold one connection, or answer one request at a time, has one thread per
    /// listen address, and any other at most two. Before, each listen address had one per core
    /// (at least two), each with a share of the connections.
    @Test(arguments: [
        (["--web.max-connections", "1"], 1), (["--web.max-requests", "1"], 1), ([String](), 2),
        (["--web.max-connections", "65536"], 2),
    ])
    func sizesTheServerThreadsByTheLimits(arguments: [String], threads: Int) throws {
        let second = try freeLoopbackPort()
        let exporter = try ExporterProcess(
            [
                "--libvirt.uri", "test:///default", "--collector.interval", "1m", "--web.listen-address",
                "127.0.0.2:\(second)",
            ]
                + arguments)
        // Each thread names itself once it runs, which a slow build (AddressSanitizer's) may not
        // have done yet when the exporter says it listens: read until the count holds still.
        func threadNames() -> [String] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(exporter.pid)/task")) ?? []
            return tasks.compactMap {
                try? String(contentsOfFile: "/proc/\(exporter.pid)/task/\($0)/comm", encoding: .utf8)
            }
        }
        var names = threadNames()
        let deadline = Date().addingTimeInterval(5)
        while names.filter({ $0.hasPrefix("MHD-") }).count < 2 * threads, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            names = threadNames()
        }
        Thread.sleep(forTimeInterval: 0.2)
        names = threadNames()
        let serverThreads = names.filter { $0.hasPrefix("MHD-") }
        #expect(serverThreads.count == 2 * threads, "two listen addresses, \(threads) each: \(names.sorted())")
    }

    @Test func helpListsTheFlagsOfTheDefaultCommand() throws {
        let result = try Command.run(ExporterProcess.binary.path, ["--help"])
        #expect(result.status == 0)
        for flag in [
            "--web.listen-address", "--web.config.file", "--web.systemd-socket", "--web.max-requests",
            "--web.header-timeout", "--libvirt.uri", "--collector.interval", "SUBCOMMANDS:", "dump-stats",
        ] {
            #expect(result.output.contains(flag), "\(flag) in:\n\(result.output)")
        }
    }

    @Test func printsItsVersion() throws {
        let result = try Command.run(ExporterProcess.binary.path, ["--version"])
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("virt-exporter "))
    }
}
