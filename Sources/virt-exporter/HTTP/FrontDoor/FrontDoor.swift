import FoundationEssentials
import Synchronization

/// What every request goes through before the router: the web config's rate limit, basic auth and
/// extra headers, the refusal of request bodies, and `web.max-requests`. It holds no libmicrohttpd
/// type, so tests drive it directly.
///
/// A request whose credentials need bcrypt is answered in two steps: ``answer(_:at:)`` says so
/// (``Outcome/awaitingPassword(_:)``), the server puts the check on ``passwordChecks`` and
/// suspends the connection, and ``answer(_:after:)`` answers once the check is done.
final class FrontDoor: Sendable {
    /// The router behind the door.
    let router: RequestRouter
    /// Request and rejection counters.
    let metrics: HTTPSelfMetrics
    /// Open connections and their limits.
    let connections: ConnectionTable
    /// `web.max-requests`.
    let inFlight: RequestsInFlight
    /// Where password checks that need bcrypt wait for their thread.
    let passwordChecks: PasswordCheckQueue
    /// The basic auth checks.
    let authenticator: BasicAuthenticator
    private let rateLimiter = RateLimiter()
    private let web: Mutex<WebState>

    /// The web config in force and its TLS material.
    struct WebState: Sendable {
        var config: WebConfig
        var tls: TLSMaterial?
    }

    init(
        router: RequestRouter, web: WebState, limits: ConnectionTable.Limits, maxRequests: Int,
        authenticator: BasicAuthenticator = BasicAuthenticator(),
        passwordChecks: PasswordCheckQueue = PasswordCheckQueue()
    ) {
        self.router = router
        self.authenticator = authenticator
        self.passwordChecks = passwordChecks
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

    /// What the door decided for a request.
    enum Outcome {
        /// The answer.
        case answered(Answer)
        /// The credentials need a bcrypt check: run it (on ``passwordChecks``), then
        /// ``answer(_:after:)``.
        case awaitingPassword(BasicAuthenticator.PasswordCheck)
    }

    /// How a password check that a request waited for ended.
    enum CheckedPassword: Equatable, Sendable {
        /// bcrypt ran.
        case checked(BasicAuthenticator.Verdict)
        /// The queue had no room for it: the client may try again shortly.
        case noRoom
        /// The server is stopping.
        case stopping
    }

    /// Decides `request`: its answer, or that its password must be checked first.
    func answer(_ request: Request, at now: ContinuousClock.Instant) -> Outcome {
        let config = webState.config
        guard rateLimiter.allows(config.rateLimit, at: now) else {
            return .answered(finish(request, config: config, Decision(response: .plain(429, "Too many requests.\n"))))
        }
        guard !config.users.isEmpty else { return .answered(finish(request, config: config, authorized(request))) }
        switch authenticator.lookUp(request.header("Authorization"), users: config.users) {
        case .decided(let verdict): return .answered(answer(request, after: .checked(verdict)))
        case .needsCheck(let check):
            // A request with a body is refused whatever its credentials: it is not worth a bcrypt
            // run, nor worth holding while its body waits to be read.
            guard !request.hasBody else {
                return .answered(
                    finish(
                        request, config: config, Decision(response: .plain(413, "Request bodies are not accepted.\n"))))
            }
            return .awaitingPassword(check)
        }
    }

    /// The answer to `request` once its password check ended with `password`.
    func answer(_ request: Request, after password: CheckedPassword) -> Answer {
        let config = webState.config
        let decision: Decision
        switch password {
        case .checked(.allowed): decision = authorized(request)
        case .checked(.denied):
            decision = Decision(
                response: HTTPResponse(
                    status: 401,
                    headers: [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("WWW-Authenticate", "Basic realm=\"virt-exporter\""),
                    ],
                    body: .text("Unauthorized.\n")))
        case .noRoom:
            decision = Decision(
                response: HTTPResponse(
                    status: 429, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "1")],
                    body: .text("Too many password checks from this address are waiting; try again.\n")))
        case .stopping: decision = Decision(response: .plain(503, "The server is stopping.\n"))
        }
        return finish(request, config: config, decision)
    }

    /// Queues `check` for a client at `address` on ``passwordChecks``; `done` gets how it ended, on
    /// another thread. `false` (and `done` is never called) when the queue has no room for it.
    func checkPassword(
        _ check: BasicAuthenticator.PasswordCheck, from address: String,
        then done: @escaping @Sendable (CheckedPassword) -> Void
    ) -> Bool {
        passwordChecks.submit(
            from: address, run: { [authenticator] in done(.checked(authenticator.check(check))) },
            cancel: { done(.stopping) })
    }

    /// Adds the configured headers (and `Connection: close` after a refused body) and counts the request.
    private func finish(_ request: Request, config: WebConfig, _ decision: Decision) -> Answer {
        let hasBody = request.hasBody
        let extra = config.headers.map { (name: $0.name, value: $0.value) }
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

    /// The answer to an authorized request: a refused body, 503 past `web.max-requests`, or the route's.
    private func authorized(_ request: Request) -> Decision {
        let hasBody = request.hasBody
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
