/// A gauge the exporter derives from other metrics, so that dashboards and alerts need no PromQL
/// `rate()` of their own and see utilisation at the collector's resolution.
struct DerivedMetric: Sendable {
    /// How the value is computed from the metrics of the same series (same labels).
    enum Formula: Sendable {
        /// Δ`counter` / Δtime since the previous collection.
        case rate(counter: String)
        /// Δ`counter` / Δ`per` since the previous collection, such as seconds per request.
        case ratioOfIncreases(counter: String, per: String)
        /// `numerator` / `denominator` of the current values, where the denominator is positive.
        case ratio(numerator: String, denominator: String)
        /// `first` × `second` of the current values.
        case product(String, String)
        /// `minuend` − `subtrahend` of the current values, where the difference is not negative.
        case difference(minuend: String, subtrahend: String)
        /// `remaining` / the value of the derived metric `rate`, for the first pair that has both:
        /// the time left at the current pace. Where the series has a positive `redirtied.rate`
        /// (memory the guest dirties again per second, d), the passes still to come are added: the
        /// next one resends what is dirtied during this one, d × (its `redirtied.remaining` at the
        /// start of this `redirtied.pass`, R₀) / b, with b the migration's `redirtied.bandwidth`
        /// (else the pace), and each later one d / b of the one before, so d × R₀ / (b × (b − d))
        /// in all; none while d ≥ b, as no pass ever shrinks.
        case timeLeft(
            [(remaining: String, rate: String)],
            redirtied: (rate: String, remaining: String, pass: String, bandwidth: String)?)
        /// 1 while `remaining` shrinks from one value of `iteration` to the next, 0 while it grows.
        case shrinking(remaining: String, iteration: String)
        /// The number of `iteration`s since the memory left at the start of one last fell by at
        /// least ``DerivedMetricsEngine/newLowMargin`` below the lowest such value so far. That
        /// start is QEMU's: its `expectedDowntime` is the memory dirty at the pass's start over its
        /// `bandwidth`, while the guest dirties memory (`dirtyRate` above 0); else `remaining` as
        /// first read in the pass.
        case passesWithoutNewLow(
            remaining: String, iteration: String, expectedDowntime: String, bandwidth: String, dirtyRate: String)
    }

    /// Where a rate's time comes from.
    enum Clock: Sendable {
        /// The collector's monotonic clock.
        case collector
        /// A metric of the same domain that holds libvirt's own time of the sample, in seconds.
        case metric(String)
    }

    /// How the derived metric appears in the catalog.
    let descriptor: MetricDescriptor
    /// The metrics this one reads.
    let inputs: [String]
    /// The metrics whose series this one has: one derived sample per series of any of them.
    let primaryInputs: [String]
    /// How it is computed.
    let formula: Formula
    /// The time base of a rate.
    let clock: Clock

    init(_ metric: String, _ formula: Formula, clock: Clock = .collector, labels: [String], help: String) {
        self.formula = formula
        self.clock = clock
        let source: String
        switch formula {
        case .rate(let counter): source = "rate(\(counter))"
        case .ratioOfIncreases(let counter, let per): source = "increase(\(counter)) / increase(\(per))"
        case .ratio(let numerator, let denominator): source = "\(numerator) / \(denominator)"
        case .product(let first, let second): source = "\(first) * \(second)"
        case .difference(let minuend, let subtrahend): source = "\(minuend) - \(subtrahend)"
        case .timeLeft(let pairs, let redirtied):
            let more = redirtied.map { " + passes to come at \($0.rate)" } ?? ""
            source = pairs.map { "\($0.remaining) / \($0.rate)" }.joined(separator: ", else ") + more
        case .shrinking(let remaining, let iteration): source = "\(remaining) across \(iteration)"
        case .passesWithoutNewLow(let remaining, let iteration, let downtime, let bandwidth, let dirtyRate):
            source =
                "\(iteration) since the memory left at a pass's start (\(downtime) × \(bandwidth) while \(dirtyRate) > 0, "
                + "else \(remaining)) last fell 10% below its low"
        }
        descriptor = MetricDescriptor(metric: metric, type: .gauge, help: help, source: source, labels: labels)
        switch formula {
        case .rate(let counter): inputs = [counter]
        case .ratioOfIncreases(let counter, let per): inputs = [counter, per]
        case .ratio(let numerator, let denominator): inputs = [numerator, denominator]
        case .product(let first, let second): inputs = [first, second]
        case .difference(let minuend, let subtrahend): inputs = [minuend, subtrahend]
        case .timeLeft(let pairs, let redirtied):
            inputs =
                pairs.flatMap { [$0.remaining, $0.rate] }
                + (redirtied.map { [$0.rate, $0.remaining, $0.pass, $0.bandwidth] } ?? [])
        case .shrinking(let remaining, let iteration):
            inputs = [remaining, iteration]
        case .passesWithoutNewLow(let remaining, let iteration, let downtime, let bandwidth, let dirtyRate):
            inputs = [remaining, iteration, downtime, bandwidth, dirtyRate]
        }
        if case .timeLeft(let pairs, _) = formula {
            primaryInputs = pairs.map(\.remaining)
        } else {
            primaryInputs = [inputs[0]]
        }
    }
}
