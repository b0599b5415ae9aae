import StatsCollector
import Testing

@testable import virt_exporter

@Suite struct RequestRouterTests {
    private let store = SnapshotStore()
    private var router: RequestRouter { RequestRouter(telemetryPath: "/metrics", store: store) }

    @Test func metricsAreUnavailableUntilTheFirstCollection() {
        #expect(router.respond(method: "GET", path: "/metrics", acceptEncoding: nil).status == 503)
        #expect(router.respond(method: "GET", path: "/-/ready", acceptEncoding: nil).status == 503)
        #expect(router.respond(method: "GET", path: "/-/healthy", acceptEncoding: nil).status == 200)
    }

    @Test func servesTheSnapshotPlainOrGzipped() throws {
        store.publish(MetricsSnapshot(text: Array("libvirt_up 1\n".utf8)))
        let plain = router.respond(method: "GET", path: "/metrics", acceptEncoding: "identity")
        #expect(plain.status == 200)
        #expect(plain.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(plain.header("Content-Encoding") == nil)
        #expect(plain.bodyBytes == Array("libvirt_up 1\n".utf8))

        let gzip = router.respond(method: "HEAD", path: "/metrics", acceptEncoding: "deflate, gzip;q=0.5")
        #expect(gzip.header("Content-Encoding") == "gzip")
        #expect(gzip.bodyBytes == store.latest?.gzip?.array)
        #expect(router.respond(method: "GET", path: "/-/ready", acceptEncoding: nil).status == 200)
    }

    /// The landing page links the telemetry path with HTML's characters escaped.
    @Test func theLandingPageEscapesTheTelemetryPath() {
        let router = RequestRouter(telemetryPath: "/m&x=\"<b>\"", store: store)
        let page = String(
            decoding: router.respond(method: "GET", path: "/", acceptEncoding: nil).bodyBytes, as: UTF8.self)
        #expect(page.contains(#"<a href="/m&amp;x=&quot;&lt;b&gt;&quot;">"#), "\(page)")
    }

    @Test func unknownPathsAre404AndOtherMethods405() {
        #expect(router.respond(method: "GET", path: "/metricsx", acceptEncoding: nil).status == 404)
        let post = router.respond(method: "POST", path: "/metrics", acceptEncoding: nil)
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
        #expect(
            router.respond(method: "GET", path: "/", acceptEncoding: nil).header("Content-Type")?.hasPrefix("text/html")
                == true)
    }

    @Test(arguments: [
        ("gzip", true), ("GZIP", true), ("deflate, gzip", true), ("br;q=1.0, gzip ; q=0.8", true), ("*", true),
        ("x-gzip", true), (nil, false), ("", false), ("identity", false), ("gzip;q=0", false),
        ("*;q=0", false), ("gzip;q=0, *", false), ("*, gzip;q=0", false), ("br", false),
    ])
    func negotiatesGzip(header: String?, allowed: Bool) {
        #expect(AcceptEncoding.allowsGzip(header) == allowed)
    }
}
