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
        /// next one resends what is dirtied during this one, d × (the memory left at this pass's
        /// start, R₀, as ``Passes`` reads it) / b, with b the pass's bandwidth (else the pace),
        /// and each later one d / b of the one before, so d × R₀ / (b × (b − d)) in all; none
        /// while d ≥ b, as no pass ever shrinks. Once the migration switched to post-copy, no pass
        /// is to come: the time left is `remaining` / pace.
        case timeLeft([(remaining: String, rate: String)], redirtied: (rate: String, passes: Passes)?)
        /// 1 while the memory left at a pass's start (``Passes``) is below the pass before's, else 0.
        case shrinking(Passes)
        /// The number of passes since the memory left at the start of one (``Passes``) last fell
        /// by at least ``DerivedMetricsEngine/newLowMargin`` below the lowest such value so far.
        case passesWithoutNewLow(Passes)
    }

    /// Where a migration's memory passes are read. A pass's start is QEMU's: its
    /// `expectedDowntime` is the memory dirty at the pass's start over its `bandwidth`, while the
    /// guest dirties memory (`dirtyRate` above 0); else `remaining` as first read in the pass.
    struct Passes: Sendable {
        let remaining: String
        let iteration: String
        let expectedDowntime: String
        let bandwidth: String
        let dirtyRate: String

        var names: [String] { [remaining, iteration, expectedDowntime, bandwidth, dirtyRate] }
        var start: String {
            "the memory left at a pass's start (\(expectedDowntime) × \(bandwidth) while \(dirtyRate) > 0, else \(remaining))"
        }
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
    /// Whether it describes the passes of a pre-copy migration, and is absent once the migration
    /// switched to post-copy (``DerivedMetricsEngine/postcopyPhase`` is 1): the guest then runs on
    /// the destination, nothing is sent twice, and QEMU's dirty rate and expected downtime are
    /// those of the last pass.
    let precopyOnly: Bool

    /// Whether it reads the migration's phase (``DerivedMetricsEngine/postcopyPhase``): a pre-copy
    /// gauge, or a time left that counts the passes to come.
    var readsPostcopyPhase: Bool {
        if case .timeLeft(_, .some) = formula { return true }
        return precopyOnly
    }

    init(
        _ metric: String, _ formula: Formula, clock: Clock = .collector, precopyOnly: Bool = false,
        labels: [String], help: String
    ) {
        self.formula = formula
        self.clock = clock
        self.precopyOnly = precopyOnly
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
        case .shrinking(let passes): source = "\(passes.start) across \(passes.iteration)"
        case .passesWithoutNewLow(let passes):
            source = "\(passes.iteration) since \(passes.start) last fell 10% below its low"
        }
        descriptor = MetricDescriptor(metric: metric, type: .gauge, help: help, source: source, labels: labels)
        switch formula {
        case .rate(let counter): inputs = [counter]
        case .ratioOfIncreases(let counter, let per): inputs = [counter, per]
        case .ratio(let numerator, let denominator): inputs = [numerator, denominator]
        case .product(let first, let second): inputs = [first, second]
        case .difference(let minuend, let subtrahend): inputs = [minuend, subtrahend]
        case .timeLeft(let pairs, let redirtied):
            inputs = pairs.flatMap { [$0.remaining, $0.rate] } + (redirtied.map { [$0.rate] + $0.passes.names } ?? [])
        case .shrinking(let passes), .passesWithoutNewLow(let passes):
            inputs = passes.names
        }
        if case .timeLeft(let pairs, _) = formula {
            primaryInputs = pairs.map(\.remaining)
        } else {
            primaryInputs = [inputs[0]]
        }
    }
}
