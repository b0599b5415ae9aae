import FoundationEssentials
import Synchronization

/// What every request goes through before the router: the web config's rate limit, basic auth and
/// extra headers, the refusal of request bodies, and `web.max-requests`. It holds no libmicrohttpd
/// type, so tests drive it directly.
final class FrontDoor: Sendable {
    /// The router behind the door.
    let router: RequestRouter
    /// Request and rejection counters.
    let metrics: HTTPSelfMetrics
    /// Open connections and their limits.
    let connections: ConnectionTable
    /// `web.max-requests`.
    let inFlight: RequestsInFlight
    private let rateLimiter = RateLimiter()
    private let authenticator = BasicAuthenticator()
    private let web: Mutex<WebState>

    /// The web config in force and its TLS material.
    struct WebState: Sendable {
        var config: WebConfig
        var tls: TLSMaterial?
    }

    init(router: RequestRouter, web: WebState, limits: ConnectionTable.Limits, maxRequests: Int) {
        self.router = router
        self.metrics = HTTPSelfMetrics(telemetryPath: router.telemetryPath)
        self.connections = ConnectionTable(limits: limits)
        self.inFlight = RequestsInFlight(limit: maxRequests)
        self.web = Mutex(web)
        if let tls = web.tls { TLSMaterial.activate(tls) }
    }

    /// The web config in force.
    var webState: WebState { web.withLock { $0 } }

    /// Puts a new web config in force for the next requests and handshakes.
    func update(_ state: WebState) {
        if let tls = state.tls { TLSMaterial.activate(tls) }
        web.withLock { $0 = state }
    }

    /// A request as the door sees it.
    struct Request {
        let method: String
        let path: String
        /// Looks up a request header by name.
        let header: (String) -> String?

        /// Whether a body follows the header: a `Content-Length` other than 0, or any `Transfer-Encoding`.
        var hasBody: Bool {
            header("Transfer-Encoding") != nil
                || (header("Content-Length").map { $0.filter { !$0.isWhitespace } != "0" } ?? false)
        }
    }

    /// The answer to a request.
    struct Answer {
        let response: HTTPResponse
        /// Whether the connection must be closed after it (a request body was refused).
        let closesConnection: Bool
        /// Whether it holds a place in ``inFlight``, to give back when it is sent.
        let holdsPlace: Bool
    }

    /// Decides the answer to `request`.
    func answer(_ request: Request, at now: ContinuousClock.Instant) -> Answer {
        let state = webState
        let hasBody = request.hasBody
        let decision = decide(request, config: state.config, hasBody: hasBody, at: now)
        let extra = state.config.headers.map { (name: $0.name, value: $0.value) }
        let closing: [(name: String, value: String)] = hasBody ? [("Connection", "close")] : []
        let response = HTTPResponse(
            status: decision.response.status, headers: decision.response.headers + extra + closing,
            body: decision.response.body)
        metrics.countRequest(path: request.path, code: response.status)
        if hasBody { metrics.countRejection(.requestBody) }
        return Answer(response: response, closesConnection: hasBody, holdsPlace: decision.holdsPlace)
    }

    /// A response, and whether it holds a place in ``inFlight``.
    private struct Decision {
        let response: HTTPResponse
        var holdsPlace = false
    }

    private func decide(_ request: Request, config: WebConfig, hasBody: Bool, at now: ContinuousClock.Instant)
        -> Decision
    {
        guard rateLimiter.allows(config.rateLimit, at: now) else {
            return Decision(response: .plain(429, "Too many requests.\n"))
        }
        let verdict =
            config.users.isEmpty ? .allowed : authenticator.check(request.header("Authorization"), users: config.users)
        switch verdict {
        case .allowed: break
        case .busy:
            return Decision(
                response: HTTPResponse(
                    status: 429, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "1")],
                    body: .text("Another password check is running; try again.\n")))
        case .denied:
            return Decision(
                response: HTTPResponse(
                    status: 401,
                    headers: [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("WWW-Authenticate", "Basic realm=\"virt-exporter\""),
                    ],
                    body: .text("Unauthorized.\n")))
        }
        let route = router.route(method: request.method, path: request.path)
        if hasBody, route != .notFound, route != .methodNotAllowed {
            return Decision(response: .plain(413, "Request bodies are not accepted.\n"))
        }
        guard inFlight.enter() else {
            return Decision(response: .plain(503, "Too many requests in flight; try again.\n"))
        }
        let response = router.respond(
            to: route, acceptEncoding: request.header("Accept-Encoding"), trailer: metrics.render)
        return Decision(response: response, holdsPlace: true)
    }
}
