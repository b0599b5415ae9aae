import FoundationEssentials
import PromFormat

/// The guest agent's report as one collection uses it: read from its file, judged fresh or stale,
/// and cut down to the domains the collection lists as running, so that the file cannot bring
/// series of domains that are not there.
public struct GuestReportView: Sendable, Equatable {
    /// The report's domains that run now; empty when the report is stale.
    var domains: [GuestInfoReport.Domain]
    /// How old the report is, seconds; `nil` when it could not be read.
    var age: Double?

    /// A report older than this many of its intervals is stale.
    static let staleAfterIntervals = 3.0

    /// The report at `path`, for the running domains `running`, at `now` (seconds since the epoch);
    /// the error says why it cannot be used (unreadable, malformed, stale).
    static func read(
        _ path: String, running: Set<ExactText>, now: Double = Date().timeIntervalSince1970
    ) -> (view: GuestReportView, error: CollectionError?) {
        let report: GuestInfoReport
        do {
            report = try GuestInfoReport.decode(FileBytes.read(path, limit: GuestInfoReport.maximumBytes))
        } catch let error as GuestInfoError {
            return (GuestReportView(domains: []), failure("malformed", "\(path): \(error)"))
        } catch {
            return (GuestReportView(domains: []), failure("unreadable", "\(path): \(error)"))
        }
        let age = max(0, now - report.written)
        guard age <= Self.staleAfterIntervals * report.interval else {
            let message = "\(path) was written \(Int(age)) s ago, more than three of its \(report.interval) s intervals"
            return (GuestReportView(domains: [], age: age), failure("stale", message))
        }
        var seen: Set<ExactText> = []
        let domains = report.domains.filter {
            running.contains(ExactText($0.name)) && seen.insert(ExactText($0.name)).inserted
        }
        return (GuestReportView(domains: domains, age: age), nil)
    }

    /// The call name under which the report's failures are counted.
    static let callName = "guest agent report"

    private static func failure(_ reason: String, _ message: String) -> CollectionError {
        CollectionError(call: callName, reason: reason, message: message)
    }
}
