import PromFormat

/// Computes derived metrics (by default every one of ``MetricCatalog/derivedMetrics``) from each
/// collection's families.
///
/// It remembers, for every counter series a rate reads, the previous value and the time it was
/// read: the collector's monotonic time, or libvirt's own sample time where the catalog names one.
/// A rate is Δvalue / Δtime. A counter that went down (a domain restarted, a domain migrated in, a
/// new job began) or a clock that did not move forward gives no rate for that interval, and a
/// series' first sample gives none either: such values are absent, never zero. State for a series
/// that disappears is dropped with it, so memory is bounded by the live series.
struct DerivedMetricsEngine {
    private struct SeriesKey: Hashable {
        let metric: String
        let labels: [Label]
    }

    private struct Reading {
        let value: Double
        let time: Double
    }

    /// The memory left at the start of the current pass, as best known so far, and the lowest such
    /// start of the passes before it with the passes since that one.
    private struct PassState {
        let number: Double
        let start: Double
        /// Whether `start` is QEMU's own (from its expected downtime), not a read of the memory left.
        let exact: Bool
        let before: (number: Double, start: Double, low: Double, passes: Double)?

        /// Whether this pass's start is a new low: 10 % below the lowest before (the first pass seen is).
        var isNewLow: Bool { before.map { start < $0.low * (1 - DerivedMetricsEngine.newLowMargin) } ?? true }
        var low: Double { isNewLow ? start : before?.low ?? start }
        var passes: Double { isNewLow ? 0 : (before.map { $0.passes + number - $0.number } ?? 0) }
        /// 1 when this pass started with less memory left than the last pass seen before it.
        var shrank: Double? { before.map { start < $0.start ? 1 : 0 } }
    }

    /// Shorter intervals than this give no rate: the quotient would be mostly noise.
    static let minimumInterval = 0.001

    /// How far below the lowest so far the memory left at a pass's start must fall to count as a
    /// new low: 10 %. A migration stuck on a plateau has a noisy start from pass to pass (the
    /// guest's working set varies; where QEMU gives no expected downtime, the poll lands up to a
    /// second into the pass), seen here and in the field within ±10 %; so noise makes at most one
    /// such new low, while a migration whose memory left shrinks by 3.5 % or more a pass makes one
    /// at least every third pass. The memory left as read is no pass's start once passes last
    /// about a poll interval or less (a converging migration's last ones): read late in one pass
    /// and early in the next, it made a slow but sure migration look stalled. QEMU's expected
    /// downtime is the memory dirty at the pass's start over the bandwidth, whenever it is read.
    static let newLowMargin = 0.1

    /// The metric that says a migration switched to post-copy (1), where the pre-copy gauges
    /// (``DerivedMetric/precopyOnly``) are absent and the time left counts no passes to come.
    static let postcopyPhase = "libvirt_domain_migration_postcopy"

    /// The derived metrics this engine computes, in catalog order.
    private let metrics: [DerivedMetric]
    /// Every metric those read, as inputs or clocks.
    private let inputNames: Set<String>

    /// Creates an engine for `metrics`, by default every derived metric of the catalog.
    init(metrics: [DerivedMetric] = MetricCatalog.derivedMetrics) {
        self.metrics = metrics
        inputNames = Set(
            metrics.flatMap { derived -> [String] in
                var names = derived.inputs
                if case .metric(let clock) = derived.clock { names.append(clock) }
                if derived.readsPostcopyPhase { names.append(Self.postcopyPhase) }
                return names
            })
    }

    private var previous: [SeriesKey: Reading] = [:]
    private var lastDerived: [SeriesKey: Double] = [:]
    private var passStates: [SeriesKey: PassState] = [:]

    /// The number of series whose state is kept, for tests of boundedness.
    var retainedSeriesCount: Int { previous.count + lastDerived.count + passStates.count }

    /// The derived families for one collection's `families`, read at monotonic time `now` (seconds).
    mutating func derive(from families: [String: MetricFamily], at now: Double) -> [MetricFamily] {
        var current: [String: [[Label]: Double]] = [:]
        for name in inputNames {
            guard let family = families[name] else { continue }
            var values: [[Label]: Double] = [:]
            for sample in family.samples { values[sample.labels] = sample.value.doubleValue }
            current[name] = values
        }

        var nextPrevious: [SeriesKey: Reading] = [:]
        var nextLastDerived: [SeriesKey: Double] = [:]
        var nextPassStates: [SeriesKey: PassState] = [:]
        var output: [MetricFamily] = []
        for derived in metrics {
            var family = derived.descriptor.makeFamily()
            var seriesLabels: [[Label]] = []
            if derived.primaryInputs.count == 1 {
                seriesLabels = Array(current[derived.primaryInputs[0]]?.keys ?? [:].keys)
            } else {
                var seen: Set<[Label]> = []
                for name in derived.primaryInputs {
                    for labels in current[name]?.keys ?? [:].keys where seen.insert(labels).inserted {
                        seriesLabels.append(labels)
                    }
                }
            }
            let firstInput = current[derived.inputs[0]]
            let phases = derived.readsPostcopyPhase ? current[Self.postcopyPhase] : nil
            for labels in seriesLabels {
                let postcopy = phases?[labels] == 1
                if derived.precopyOnly && postcopy { continue }
                let value = firstInput?[labels] ?? .nan
                let derivedKey = SeriesKey(metric: derived.descriptor.metric, labels: labels)
                let result: Double?
                switch derived.formula {
                case .rate(let counter):
                    guard let time = Self.time(of: labels, clock: derived.clock, now: now, current: current) else {
                        continue
                    }
                    let key = SeriesKey(metric: counter, labels: labels)
                    let reading = Reading(value: value, time: time)
                    switch Self.change(from: previous[key], to: reading) {
                    case .stale(let kept):
                        nextPrevious[key] = kept
                        result = lastDerived[derivedKey]
                    case .first, .reset:
                        nextPrevious[key] = reading
                        result = nil
                    case .increase(let valueDelta, let timeDelta):
                        nextPrevious[key] = reading
                        result = valueDelta / timeDelta
                    }
                case .ratioOfIncreases(let counter, let per):
                    guard let perValue = current[per]?[labels] else { continue }
                    let counterKey = SeriesKey(metric: counter, labels: labels)
                    let perKey = SeriesKey(metric: per, labels: labels)
                    let counterBefore = previous[counterKey]
                    let perBefore = previous[perKey]
                    nextPrevious[counterKey] = Reading(value: value, time: now)
                    nextPrevious[perKey] = Reading(value: perValue, time: now)
                    guard let counterBefore, let perBefore, value >= counterBefore.value, perValue > perBefore.value
                    else {
                        result = nil
                        break
                    }
                    result = (value - counterBefore.value) / (perValue - perBefore.value)
                case .ratio(_, let denominator):
                    guard let divisor = current[denominator]?[labels], divisor > 0 else { continue }
                    result = value / divisor
                case .product(_, let second):
                    guard let factor = current[second]?[labels] else { continue }
                    result = value * factor
                case .difference(_, let subtrahend):
                    guard let taken = current[subtrahend]?[labels] else { continue }
                    result = value - taken
                case .timeLeft(let pairs, let redirtied):
                    // The migration's passes are followed even while there is no pace yet.
                    let passStart = redirtied.flatMap { redirtied in
                        postcopy
                            ? nil : Self.pass(redirtied.passes, of: labels, current, passStates, &nextPassStates)?.start
                    }
                    let pair = pairs.lazy.compactMap { pair -> (Double, Double)? in
                        guard let left = current[pair.remaining]?[labels], let pace = current[pair.rate]?[labels],
                            pace > 0
                        else { return nil }
                        return (left, pace)
                    }.first
                    guard let (left, pace) = pair else { continue }
                    guard let redirtied, !postcopy, let dirty = current[redirtied.rate]?[labels], dirty > 0 else {
                        result = left / pace
                        break
                    }
                    // QEMU's own bandwidth, steadier than a pace over the second between two reads.
                    let bandwidth = current[redirtied.passes.bandwidth]?[labels].flatMap { $0 > 0 ? $0 : nil } ?? pace
                    // The guest dirties memory as fast as it is sent: no pass ever shrinks, no end in sight.
                    guard dirty < bandwidth else { continue }
                    result = left / pace + dirty * (passStart ?? left) / (bandwidth * (bandwidth - dirty))
                case .shrinking(let passes), .passesWithoutNewLow(let passes):
                    guard let state = Self.pass(passes, of: labels, current, passStates, &nextPassStates) else {
                        continue
                    }
                    if case .shrinking = derived.formula { result = state.shrank } else { result = state.passes }
                }
                guard let result, result.isFinite, result >= 0 else { continue }
                nextLastDerived[derivedKey] = result
                if inputNames.contains(derived.descriptor.metric) {
                    current[derived.descriptor.metric, default: [:]][labels] = result
                }
                // The labels are those of the input series, checked when those were built.
                family.append(trusted: Sample(labels: labels, value: .double(result)))
            }
            if !family.samples.isEmpty { output.append(family) }
        }
        previous = nextPrevious
        lastDerived = nextLastDerived
        passStates = nextPassStates
        return output
    }

    private enum Change {
        case first
        case reset
        /// libvirt's clock has not moved and neither has the value: keep the earlier reading.
        case stale(Reading)
        case increase(Double, Double)
    }

    private static func change(from before: Reading?, to now: Reading) -> Change {
        guard let before else { return .first }
        let timeDelta = now.time - before.time
        let valueDelta = now.value - before.value
        if timeDelta == 0 && valueDelta == 0 { return .stale(before) }
        guard valueDelta >= 0, timeDelta >= minimumInterval else { return .reset }
        return .increase(valueDelta, timeDelta)
    }

    /// The pass state of the migration of `labels` in this collection: advanced once, by the first
    /// gauge that reads it (the ETA and the per-pass gauges read the same passes); `nil` before
    /// the first pass (pass 0 is the setup: nothing sent, nothing left yet).
    private static func pass(
        _ passes: DerivedMetric.Passes, of labels: [Label], _ current: [String: [[Label]: Double]],
        _ before: [SeriesKey: PassState], _ next: inout [SeriesKey: PassState]
    ) -> PassState? {
        guard let number = current[passes.iteration]?[labels], number >= 1,
            let memoryLeft = current[passes.remaining]?[labels], !memoryLeft.isNaN
        else { return nil }
        let key = SeriesKey(metric: passes.iteration, labels: labels)
        if let state = next[key] { return state }
        // QEMU updates its expected downtime only while the guest dirties memory (not in the first
        // pass); the memory left now is a floor of the pass's start.
        var fromQEMU: Double?
        if let expected = current[passes.expectedDowntime]?[labels], let pace = current[passes.bandwidth]?[labels],
            let dirty = current[passes.dirtyRate]?[labels], expected > 0, pace > 0, dirty > 0
        {
            fromQEMU = max(memoryLeft, expected * pace)
        }
        let state = advance(before[key], number: number, start: fromQEMU ?? memoryLeft, exact: fromQEMU != nil)
        next[key] = state
        return state
    }

    /// Counts the passes since the memory left at a pass's start last fell ``newLowMargin`` below
    /// the last such low. A lower pass number is a new job: it starts over. Within a pass, QEMU's
    /// latest start replaces an earlier one (QEMU updates it up to 0.1 s after the pass began, so
    /// a read at its very start may still have the pass before's); a start read as the memory left
    /// keeps its first, highest read.
    private static func advance(_ state: PassState?, number: Double, start: Double, exact: Bool) -> PassState {
        guard let state, number >= state.number else {
            return PassState(number: number, start: start, exact: exact, before: nil)
        }
        guard number > state.number else {
            let refined = exact ? start : (state.exact ? state.start : max(state.start, start))
            return PassState(number: number, start: refined, exact: exact || state.exact, before: state.before)
        }
        return PassState(
            number: number, start: start, exact: exact,
            before: (number: state.number, start: state.start, low: state.low, passes: state.passes))
    }

    /// The time of a sample: now, or libvirt's own time from the same domain's clock metric.
    private static func time(
        of labels: [Label], clock: DerivedMetric.Clock, now: Double, current: [String: [[Label]: Double]]
    ) -> Double? {
        switch clock {
        case .collector:
            return now
        case .metric(let name):
            guard let domain = labels.first(where: { $0.name == "domain" }) else { return nil }
            return current[name]?[[domain]]
        }
    }
}
