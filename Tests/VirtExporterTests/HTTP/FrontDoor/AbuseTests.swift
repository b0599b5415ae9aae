import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// The built binary under abuse on loopback: slowloris, request bodies, huge headers and URLs,
/// and a flood of random requests. Each test is bounded in time.
@Suite(.serialized) struct AbuseTests {
    private func exporter(_ extra: [String] = []) throws -> ExporterProcess {
        let exporter = try ExporterProcess(["--libvirt.uri", "test:///default", "--collector.interval", "1m"] + extra)
        try exporter.waitUntilReady()
        return exporter
    }

    /// 300 connections from 127.0.0.1 trickle a byte a second; a scraper on 127.0.0.2 scrapes five
    /// times a second for 8 s, past the 5 s header deadline. Every scrape must answer 200 in under 1 s.
    @Test func slowlorisDoesNotDelayANormalScraper() throws {
        let exporter = try exporter()
        let attack = Slowloris(port: exporter.port, count: 300)
        defer { attack.stop() }
        Thread.sleep(forTimeInterval: 0.5)
        var worst = 0.0
        var statuses: [Int] = []
        let end = Date().addingTimeInterval(8)
        while Date() < end {
            let start = Date()
            let status = (try? HTTPReply.fetch(port: exporter.port, path: "/metrics", source: "127.0.0.2"))?.status ?? 0
            worst = max(worst, Date().timeIntervalSince(start))
            statuses.append(status)
            Thread.sleep(forTimeInterval: 0.2)
        }
        attack.stop()
        print(
            "slowloris: \(statuses.count) scrapes, worst \(Int(worst * 1000)) ms, \(attack.reopenedConnections) attacker reconnects"
        )
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        #expect(worst < 1, "worst scrape took \(worst) s")
        let metrics = ParsedExposition(
            try HTTPReply.fetch(port: exporter.port, path: "/metrics", source: "127.0.0.2").text)
        #expect(
            (metrics.value("libvirt_exporter_http_rejected_connections_total", ["reason": "address_limit"]) ?? 0) > 0)
        #expect(
            (metrics.value("libvirt_exporter_http_rejected_connections_total", ["reason": "header_timeout"]) ?? 0) > 0)
    }

    /// A trickling client is closed at the header deadline, however often it sends.
    @Test func closesATricklingClientAtTheHeaderDeadline() throws {
        let exporter = try exporter(["--web.header-timeout", "1s"])
        let connection = try RawConnection(port: exporter.port)
        let start = Date()
        try connection.send("GET /metrics HTTP/1.1\r\n")
        while connection.send(bytes: [UInt8(ascii: "a")]), Date().timeIntervalSince(start) < 5 {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed > 0.9 && elapsed < 3, "closed after \(elapsed) s")
    }

    @Test(arguments: [
        "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc",
    ])
    func refusesARequestBodyAndClosesTheConnection(request: String) throws {
        let exporter = try exporter()
        let connection = try RawConnection(port: exporter.port)
        try connection.send(request)
        let reply = connection.readUntilClosed(seconds: 3)
        #expect(reply.closed, "the server closes the connection")
        #expect(reply.text.hasPrefix("HTTP/1.1 413"), "\(reply.text.prefix(80))")
    }

    @Test func refusesAHugeHeaderAndURL() throws {
        let exporter = try exporter()
        let connection = try RawConnection(port: exporter.port)
        try connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ")
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)
        for _ in 0..<16 where connection.send(bytes: chunk) {}
        _ = connection.send(bytes: Array("\r\n\r\n".utf8))
        let reply = connection.readUntilClosed(seconds: 3)
        #expect(reply.text.hasPrefix("HTTP/1.1 431"), "\(reply.text.prefix(80))")
        let long = try RawConnection(port: exporter.port)
        _ = long.send(bytes: Array("GET /\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let url = long.readUntilClosed(seconds: 3)
        #expect(url.text.hasPrefix("HTTP/1.1 414"), "\(url.text.prefix(80))")
        #expect(try HTTPReply.fetch(port: exporter.port, path: "/-/healthy").status == 200)
    }

    /// 20,000 requests with random methods and paths, from four threads: the server answers each,
    /// stays up, and its resident memory grows by less than 10 MiB.
    @Test func survivesTwentyThousandRandomRequests() throws {
        let exporter = try exporter()
        let port = exporter.port
        let flood: @Sendable (Int, Int) -> Int = { seed, count in
            var generator = SeededGenerator(seed: UInt64(seed))
            let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "BREW", "G\u{7f}T", ""]
            let pieces = ["metrics", "-", "ready", "healthy", "..", "%00", "%zz", "?a=b", "#", "//", "é", "\u{1}", "x"]
            var answered = 0
            for _ in 0..<count {
                let method = methods.randomElement(using: &generator)!
                var path = "/"
                for _ in 0..<Int.random(in: 0...6, using: &generator) {
                    path += pieces.randomElement(using: &generator)!
                }
                if let reply = try? HTTPReply.fetch(port: port, path: path, method: method), reply.status > 0 {
                    answered += 1
                }
            }
            return answered
        }
        _ = flood(0, 500)
        let before = try #require(exporter.residentBytes)
        let answered = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            let count = flood(index + 1, 5000)
            answered.withLock { $0 += count }
        }
        let after = try #require(exporter.residentBytes)
        print(
            "random requests: \(answered.withLock { $0 }) of 20000 answered, RSS \(before / 1024) KiB -> \(after / 1024) KiB"
        )
        // Requests libmicrohttpd cannot parse (an empty method) are closed without an answer.
        #expect(answered.withLock { $0 } > 15_000)
        #expect(exporter.isRunning)
        #expect(try HTTPReply.fetch(port: port, path: "/metrics").status == 200)
        #expect(after - before < 10 << 20, "RSS grew from \(before) to \(after) bytes")
    }
}

/// A deterministic random number generator (SplitMix64), so that a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
