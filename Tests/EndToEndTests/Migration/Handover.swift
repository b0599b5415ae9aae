import Foundation
import TestSupport

/// What the source's and the destination's exporters showed of one migrating domain, scraped one
/// after the other every quarter second: its state on each (`libvirt_domain_info_state`, nil where
/// the exporter has no series of it), at the time of the source's scrape.
struct Handover {
    struct Sample {
        let time: Double
        let source: Double?
        let destination: Double?
    }

    let samples: [Sample]

    init(source: [JobSample], destination: [JobSample]) {
        samples = zip(source, destination).map { Sample(time: $0.time, source: $0.state, destination: $1.state) }
    }

    /// Whether the hand-over is over: the source no longer shows the domain and the destination
    /// shows it running.
    var isOver: Bool { samples.last.map { $0.source == nil && $0.destination == 1 } ?? false }

    /// The last time the source showed the domain running.
    var lastRunningOnSource: Double? { samples.last { $0.source == 1 }?.time }
    /// The first time the destination showed it running, after the source last did.
    var firstRunningOnDestination: Double? {
        let after = lastRunningOnSource ?? 0
        return samples.first { $0.destination == 1 && $0.time >= after }?.time
    }
    /// From the last sample on which the source showed it running to the first on which the
    /// destination did: the time no exporter showed it running (at most this, at least this less
    /// twice the sampling period).
    var runningGap: Double? {
        guard let last = lastRunningOnSource, let first = firstRunningOnDestination else { return nil }
        return first - last
    }
    /// The longest stretch during which neither exporter showed any series of the domain: from
    /// the last sample that showed it to the next that did, across samples that did not (0 when
    /// every sample showed it somewhere).
    var longestUnseen: Double {
        longestStretch(of: samples, time: \.time) { $0.source == nil && $0.destination == nil }
    }

    /// One line for the test's output.
    var summary: String {
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        let period = zip(samples, samples.dropFirst()).map { $1.time - $0.time }.max() ?? 0
        return "source last showed it running at \(seconds(lastRunningOnSource)) s, the destination first at "
            + "\(seconds(firstRunningOnDestination)) s: running on neither for \(seconds(runningGap)) s; "
            + "no series on either for \(seconds(longestUnseen)) s (scraped both every "
            + "\(String(format: "%.2f", period)) s at most)"
    }
}
