import Synchronization

/// `web.max-requests`: how many requests are answered at once; more get 503, as node_exporter does.
/// Zero means no limit.
final class RequestsInFlight: Sendable {
    let limit: Int
    private let count = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place; `false` if all are taken.
    func enter() -> Bool {
        count.withLock { count in
            guard limit == 0 || count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Gives back a place taken by ``enter()``.
    func leave() {
        count.withLock { $0 -= 1 }
    }
}

/// The web config's `rate_limit`: a token bucket, one token per interval, at most `burst` saved.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let bucket = Mutex<Bucket?>(nil)

    /// Whether a request may go ahead under `limit` at `now` (always, when `limit` is `nil`).
    func allows(_ limit: WebConfig.RateLimit?, at now: ContinuousClock.Instant) -> Bool {
        guard let limit else { return true }
        return bucket.withLock { bucket in
            var current = bucket ?? Bucket(tokens: Double(limit.burst), updated: now)
            let elapsed = now - current.updated
            current.tokens = min(Double(limit.burst), current.tokens + elapsed / limit.interval)
            current.updated = now
            let allowed = current.tokens >= 1
            if allowed { current.tokens -= 1 }
            bucket = current
            return allowed
        }
    }
}
