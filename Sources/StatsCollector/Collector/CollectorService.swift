public import ServiceLifecycle

/// Runs the ``Collector`` every interval, and the ``JobPoller`` and the ``DomainEventHub`` beside
/// it, until graceful shutdown; the hub's events are counted by the collector.
///
/// Collections start on a fixed cadence (start to start). When the source cannot be reached, the
/// next attempt comes sooner: after 1 s, then doubling up to the interval, so a restarted libvirtd
/// is seen again quickly without hammering one that stays down. After each collection, the domains
/// with an active job are handed to the job poller, whose updates go straight to the collector.
public struct CollectorService: Service {
    private let collector: Collector
    private let jobPoller: JobPoller?
    private let eventHub: DomainEventHub?
    private let countsEvents: Bool
    private let interval: Duration
    private let afterCollection: @Sendable () -> Void

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - interval: time between the starts of two collections.
    ///   - jobPoller: polls active jobs between collections; `nil` to poll jobs only with each collection.
    ///   - eventHub: libvirt's domain events, which tell the source when a domain's XML may have
    ///     changed and, with `countsEvents`, are counted by the collector.
    ///   - afterCollection: runs after each collection has published its snapshot (the binary
    ///     gives malloc's free pages back to the kernel there).
    public init(
        collector: Collector, jobPoller: JobPoller?, eventHub: DomainEventHub? = nil, countsEvents: Bool = true,
        interval: Duration, afterCollection: @escaping @Sendable () -> Void = {}
    ) {
        self.afterCollection = afterCollection
        self.countsEvents = countsEvents
        self.collector = collector
        self.jobPoller = jobPoller
        self.eventHub = eventHub
        self.interval = interval
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            if let eventHub {
                let events = eventHub.subscribe()
                group.addTask { [collector] in await eventHub.run { await collector.count(failure: $0) } }
                group.addTask { [collector, countsEvents] in
                    await collector.handleEvents(from: events, counting: countsEvents)
                }
            }
            if let jobPoller {
                group.addTask { [collector] in
                    await jobPoller.run { update, polls in await collector.apply(update, polls: polls) }
                }
            }
            await collectUntilShutdown()
            group.cancelAll()
        }
    }

    private func collectUntilShutdown() async {
        var retryDelay = RetryDelay(first: .seconds(1), cap: interval)
        let clock = ContinuousClock()
        while !Task.isShuttingDownGracefully {
            let started = clock.now
            let reached = await collector.collectOnce()
            afterCollection()
            if let jobPoller { await Self.updateJobPolling(jobPoller, from: collector) }
            let delay = reached ? interval : retryDelay.next()
            if reached { retryDelay.reset() }
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(until: started + delay, clock: clock)
                }
            } catch {
                return
            }
        }
    }
}

extension CollectorService {
    /// Hands the job poller the domains whose last collected stats show an active job, and lets it
    /// forget those the collection no longer lists.
    static func updateJobPolling(_ poller: JobPoller, from collector: Collector) async {
        await poller.track(await collector.domainsWithActiveJobs, keepingOnly: await collector.collectedDomains)
    }
}

/// Capped exponential delays between retries: `first`, twice that, and so on up to `cap`.
struct RetryDelay {
    private let first: Duration
    private let cap: Duration
    private var upcoming: Duration

    init(first: Duration, cap: Duration) {
        self.first = min(first, cap)
        self.cap = cap
        self.upcoming = min(first, cap)
    }

    /// The delay before the next retry; each call doubles the following one, up to the cap.
    mutating func next() -> Duration {
        defer { upcoming = min(upcoming * 2, cap) }
        return upcoming
    }

    /// Starts again from the first delay, after a success.
    mutating func reset() {
        upcoming = first
    }
}
