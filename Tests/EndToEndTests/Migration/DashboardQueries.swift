import Foundation
import TestSupport

/// The queries of the shipped Grafana dashboard (`deploy/grafana/virt-exporter.json`), with its
/// template variables filled in as Grafana would for one instance and one domain (project and
/// flavor: All), for sending to a real Prometheus.
struct DashboardQueries {
    struct Query {
        let row: String
        let panel: String
        let expr: String
    }

    let queries: [Query]

    /// The dashboard's queries for `instance` and `domain`; `$__rate_interval` becomes `rateInterval`.
    init(instance: String, domain: String, rateInterval: String = "15s") throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("deploy/grafana/virt-exporter.json")
        guard let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
            let panels = dashboard["panels"] as? [[String: Any]]
        else { throw HTTPTestError("cannot read \(url.path)") }
        // As Grafana escapes a regex variable for Prometheus: a backslash before each special
        // character, itself escaped inside PromQL's double-quoted string.
        func escaped(_ text: String) -> String {
            NSRegularExpression.escapedPattern(for: text).replacingOccurrences(of: "\\", with: "\\\\")
        }
        let values = [
            "instance": escaped(instance), "domain": escaped(domain), "project": ".*", "flavor": ".*",
            "__rate_interval": rateInterval,
        ]
        var queries: [Query] = []
        var row = ""
        func add(_ panel: [String: Any]) {
            if panel["type"] as? String == "row" { row = panel["title"] as? String ?? "" }
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                guard var expr = target["expr"] as? String else { continue }
                for (name, value) in values {
                    expr = expr.replacingOccurrences(of: "${\(name)}", with: value)
                        .replacingOccurrences(of: "$\(name)", with: value)
                }
                queries.append(Query(row: row, panel: panel["title"] as? String ?? "", expr: expr))
            }
            for inner in panel["panels"] as? [[String: Any]] ?? [] { add(inner) }
        }
        for panel in panels { add(panel) }
        self.queries = queries
    }

    /// The first metric a query reads, to name it in a report.
    static func metric(_ query: Query) -> String {
        query.expr.firstMatch(of: /libvirt_\w+/).map { String($0.0) } ?? query.expr
    }

    /// The queries of the job and migration panels among `queries`, less those whose expression
    /// contains one of `exceptions`.
    static func jobPanels(_ queries: [Query], except exceptions: [String]) -> [Query] {
        queries.filter { query in query.row.contains("jobs") && !exceptions.contains { query.expr.contains($0) } }
    }

    /// Sends every query to `stack`'s Prometheus over the last `seconds`, as the dashboard's
    /// panels show that window; the queries that returned data and those that did not.
    /// A query Prometheus refused throws.
    func run(on stack: AlertingStack, overLast seconds: Int = 60) throws -> (withData: [Query], empty: [Query]) {
        var withData: [Query] = []
        var empty: [Query] = []
        for query in queries {
            if try stack.seriesCount(query.expr, overLast: seconds) > 0 {
                withData.append(query)
            } else {
                empty.append(query)
            }
        }
        return (withData, empty)
    }
}
