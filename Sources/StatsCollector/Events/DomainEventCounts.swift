import PromFormat

/// `libvirt_domain_events_total`: the domain events seen since the exporter started, per domain,
/// event and detail. A series starts at 1 with its first event. A domain's series go when the
/// domain is gone: when a collection no longer lists it and no event of it came since that
/// collection started.
struct DomainEventCounts {
    private var counts: [ExactText: [DomainEventLabels.Key: UInt64]] = [:]
    private var lastEvent: [ExactText: ContinuousClock.Instant] = [:]

    /// Counts `event`, seen at `time`, if its kind is counted.
    mutating func count(_ event: DomainEvent, at time: ContinuousClock.Instant) {
        guard let key = DomainEventLabels.key(of: event.kind) else { return }
        counts[ExactText(event.domain), default: [:]][key, default: 0] += 1
        lastEvent[ExactText(event.domain)] = time
    }

    /// Forgets the domains that are not in `domains`, a collection's, unless an event of theirs
    /// came at or after `collectionStarted` (a domain created after the collection listed them).
    mutating func keep(only domains: Set<ExactText>, collectionStarted: ContinuousClock.Instant) {
        for (domain, time) in lastEvent where !domains.contains(domain) && time < collectionStarted {
            counts[domain] = nil
            lastEvent[domain] = nil
        }
    }

    /// Domains with counters, for tests that per-domain state stays bounded.
    var retainedDomainCount: Int { counts.count + lastEvent.count }

    /// The family, or `nil` before the first counted event.
    var family: MetricFamily? {
        guard !counts.isEmpty else { return nil }
        var family = MetricCatalog.domainEvents.makeFamily()
        for (domain, keys) in counts {
            for (key, value) in keys {
                family.append(
                    trusted: Sample(
                        labels: [Label("domain", domain.text), Label("event", key.event), Label("detail", key.detail)],
                        value: .unsigned(value)))
            }
        }
        return family
    }
}
