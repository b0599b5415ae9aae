import Foundation
import PromFormat
import StatsCollector
import Testing

@testable import virt_exporter

/// The front door without a server: auth, limits, refused bodies, headers and self-metrics.
@Suite struct FrontDoorTests {
    /// A bcrypt hash (cost 4) of "scrape-secret".
    static let secretHash = "$2b$04$9aZ4aEZwdA58hft2y6cb.uqUNwJrfGQqXUNL/VqJufBzF5M2m2Eem"

    private let store = SnapshotStore()

    private func door(_ config: WebConfig = WebConfig(), maxRequests: Int = 40) -> FrontDoor {
        store.publish(MetricsSnapshot(text: Array("# TYPE libvirt_up gauge\nlibvirt_up 1\n".utf8)))
        return FrontDoor(
            router: RequestRouter(telemetryPath: "/metrics", store: store), web: .init(config: config, tls: nil),
            limits: .init(
                maxConnections: 4, maxConnectionsPerAddress: 2, headerTimeout: .seconds(5), idleTimeout: .seconds(30)),
            maxRequests: maxRequests)
    }

    private func request(_ path: String = "/metrics", method: String = "GET", headers: [String: String] = [:])
        -> FrontDoor.Request
    {
        FrontDoor.Request(method: method, path: path) { name in
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    @Test func appendsTheHTTPSelfMetricsToTheSnapshot() throws {
        let door = door()
        _ = door.answerNow(request("/nope"), at: .now)
        let answer = door.answerNow(request(), at: .now)
        let text = String(decoding: answer.response.bodyBytes, as: UTF8.self)
        #expect(text.hasPrefix("# TYPE libvirt_up gauge\nlibvirt_up 1\n# HELP libvirt_exporter_http_requests_total"))
        #expect(text.contains(#"libvirt_exporter_http_requests_total{code="404",path="other"} 1"#))
        #expect(text.contains(#"libvirt_exporter_http_rejected_connections_total{reason="header_timeout"} 0"#))
        #expect(answer.holdsPlace)
    }

    @Test func gzipsTheSelfMetricsAsASecondMember() throws {
        let door = door()
        let answer = door.answerNow(request(headers: ["Accept-Encoding": "gzip"]), at: .now)
        #expect(answer.response.header("Content-Encoding") == "gzip")
        guard case .frozen(let snapshot, let trailer) = answer.response.body else {
            Issue.record("not a snapshot body")
            return
        }
        #expect(snapshot === store.latest?.gzip, "the snapshot's gzip, not a copy")
        #expect(trailer.starts(with: [0x1f, 0x8b]), "a gzip member")
    }

    @Test func refusesRequestBodiesAndClosesTheConnection() {
        let door = door()
        for headers in [["Content-Length": "5"], ["Transfer-Encoding": "chunked"]] {
            let answer = door.answerNow(request(headers: headers), at: .now)
            #expect(answer.response.status == 413)
            #expect(answer.closesConnection)
            #expect(answer.response.header("Connection") == "close")
        }
        let post = door.answerNow(request(method: "POST", headers: ["Content-Length": "3"]), at: .now)
        #expect(post.response.status == 405)
        #expect(post.closesConnection)
        #expect(!door.answerNow(request(headers: ["Content-Length": "0"]), at: .now).closesConnection)
    }

    @Test func answers503PastMaxRequests() {
        let door = door(maxRequests: 1)
        let first = door.answerNow(request(), at: .now)
        #expect(first.response.status == 200)
        #expect(door.answerNow(request(), at: .now).response.status == 503)
        door.inFlight.leave()
        #expect(door.answerNow(request(), at: .now).response.status == 200)
    }

    @Test func asksForBasicAuthAndAddsTheConfiguredHeaders() {
        var config = WebConfig()
        config.users = ["prometheus": Self.secretHash]
        config.headers = [.init(name: "X-Frame-Options", value: "deny")]
        let door = door(config)
        let basic = { (credentials: String) in
            ["Authorization": "Basic " + Data(credentials.utf8).base64EncodedString()]
        }
        let right = door.answerNow(request(headers: basic("prometheus:scrape-secret")), at: .now)
        #expect(right.response.status == 200)
        #expect(right.response.header("X-Frame-Options") == "deny")
        for headers in [basic("prometheus:wrong"), basic("nobody:scrape-secret"), ["Authorization": "Bearer x"], [:]] {
            let refused = door.answerNow(request(headers: headers), at: .now)
            #expect(refused.response.status == 401)
            #expect(refused.response.header("WWW-Authenticate") == "Basic realm=\"virt-exporter\"")
            #expect(refused.response.header("X-Frame-Options") == "deny")
        }
    }

    /// Credentials bcrypt has not seen wait for a check off the server's thread; once checked,
    /// the same credentials are answered at once, right or wrong.
    @Test func aPasswordNotRememberedAwaitsACheck() {
        var config = WebConfig()
        config.users = ["prometheus": Self.secretHash]
        let door = door(config)
        for credentials in ["prometheus:scrape-secret", "prometheus:wrong"] {
            let request = request(headers: ["Authorization": "Basic " + Data(credentials.utf8).base64EncodedString()])
            guard case .awaitingPassword(let check) = door.answer(request, at: .now) else {
                Issue.record("\(credentials) was answered without a check")
                continue
            }
            let verdict = door.authenticator.check(check)
            let answer = door.answer(request, after: .checked(verdict))
            #expect(answer.response.status == (credentials.hasSuffix("secret") ? 200 : 401))
            guard case .answered(let again) = door.answer(request, at: .now) else {
                Issue.record("\(credentials) was checked again")
                continue
            }
            #expect(again.response.status == answer.response.status)
            if answer.holdsPlace { door.inFlight.leave() }
            if again.holdsPlace { door.inFlight.leave() }
        }
        let withBody = request(
            method: "POST",
            headers: ["Authorization": "Basic " + Data("x:z".utf8).base64EncodedString(), "Content-Length": "3"])
        guard case .answered(let refused) = door.answer(withBody, at: .now) else {
            Issue.record("a request with a body waited for a password check")
            return
        }
        #expect(refused.response.status == 413 && refused.closesConnection)
        let request = request(headers: ["Authorization": "Basic " + Data("x:y".utf8).base64EncodedString()])
        let full = door.answer(request, after: .noRoom)
        #expect(full.response.status == 429)
        #expect(full.response.header("Retry-After") == "1")
        #expect(door.answer(request, after: .stopping).response.status == 503)
    }

    @Test func appliesTheRateLimit() {
        var config = WebConfig()
        config.rateLimit = .init(interval: .seconds(1), burst: 2)
        let door = door(config)
        let start = ContinuousClock.now
        #expect(door.answerNow(request("/-/healthy"), at: start).response.status == 200)
        #expect(door.answerNow(request("/-/healthy"), at: start).response.status == 200)
        #expect(door.answerNow(request("/-/healthy"), at: start).response.status == 429)
        #expect(door.answerNow(request("/-/healthy"), at: start + .seconds(1)).response.status == 200)
    }
}

extension FrontDoor {
    /// The answer to `request`, with a password check it needs run at once on this thread.
    func answerNow(_ request: Request, at now: ContinuousClock.Instant) -> Answer {
        switch answer(request, at: now) {
        case .answered(let answer): return answer
        case .awaitingPassword(let check): return answer(request, after: .checked(authenticator.check(check)))
        }
    }
}
