import Foundation
import TestSupport
import Testing

/// Every numeric field `virsh domstats --raw` prints for the testbed's running domains is exported,
/// with the value the catalog's `source` and `scale` say.
extension EndToEnd {
    @Suite struct CoverageTests {
        /// One catalog row as `virt-exporter catalog --format json` prints it.
        struct CatalogRow: Decodable {
            let metric: String
            let source: String
            let scale: Double
            let labels: [String]
        }

        /// CPU times that still move while a domain is paused (its QEMU process runs on, and the kernel
        /// accounts thread times in ticks), so `virsh`, reading a moment after the exporter, may see more.
        static let stillCounting = ["cpu.time", "cpu.user", "cpu.system", "vcpu.<n>.time", "vcpu.<n>.delay"]

        @Test func everyNumericDomstatsFieldIsExportedWithItsScale() throws {
            let uri = try #require(Testbed.uri)
            let catalogOutput = try Command.run(ExporterProcess.binary.path, ["catalog", "--format", "json"])
            let catalog = try JSONDecoder().decode([CatalogRow].self, from: Data(catalogOutput.output.utf8))
            let exporter = try ExporterProcess(
                ["--libvirt.uri", uri, "--collector.interval", "1s"] + Testbed.everyPartFlags())
            try exporter.waitUntilReady()

            let (exposition, domstats) = try Testbed.withDomainsPaused {
                Thread.sleep(forTimeInterval: 2.5)  // a collection that started after the pause
                let text = try HTTPReply.fetch(port: exporter.port, path: "/metrics").text
                return (ParsedExposition(text), DomstatsText(try Testbed.virsh(["domstats", "--raw"])))
            }

            var numeric = 0
            var matched = 0
            var missing: [String] = []
            // A domain that is not running has its state exported only (see DomainStatsMapper.add).
            for (domain, fields) in domstats.domains where domain.hasPrefix("vx-") && fields["state.state"] != "5" {
                for (field, text) in fields {
                    guard let raw = Double(text) else { continue }
                    numeric += 1
                    guard let (row, metric) = Self.row(for: field, in: catalog) else {
                        missing.append("\(domain) \(field): no catalog row")
                        continue
                    }
                    let isInfo = metric.hasSuffix("_info")
                    // An info series carries the field as one of its labels (the one at the field's
                    // place among the row's sources), and its value is 1; its other labels come from
                    // other fields.
                    let sources = row.source.components(separatedBy: ", ")
                    let infoLabel = sources.firstIndex(of: Self.pattern(field)).map {
                        row.labels[row.labels.count - sources.count + $0]
                    }
                    let deviceLabels = isInfo ? Array(row.labels.dropLast(sources.count)) : row.labels
                    var labels = Self.labels(deviceLabels, field: field, domain: domain, fields: fields)
                    if isInfo, let infoLabel { labels[infoLabel] = text }
                    guard let exported = exposition.value(metric, labels) else {
                        missing.append("\(domain) \(field): no sample of \(metric) \(labels)")
                        continue
                    }
                    let expected = isInfo ? 1 : raw * row.scale
                    let drifts = Self.stillCounting.contains(Self.pattern(field))
                    let tolerance = drifts ? max(0.05, abs(expected) * 0.01) : abs(expected) * 1e-12
                    #expect(
                        abs(exported - expected) <= tolerance,
                        "\(domain) \(field): exported \(exported), virsh \(expected)"
                    )
                    matched += 1
                }
            }
            let coverage = numeric == 0 ? 0 : Double(matched) / Double(numeric) * 100
            print(
                "E2E coverage: \(matched) of \(numeric) numeric domstats fields exported (\(String(format: "%.1f", coverage)) %)"
            )
            #expect(numeric > 100, "the testbed's domains report their stats")
            #expect(missing.isEmpty, "\(missing.prefix(20))")
        }

        /// The field with its indices replaced by `<n>`.
        static func pattern(_ field: String) -> String {
            field.split(separator: ".").map { $0.allSatisfy(\.isNumber) ? "<n>" : String($0) }.joined(separator: ".")
        }

        /// The catalog row whose source matches `field`, and the metric name it gives: an exact source
        /// (or one of an info series' label fields, listed with ", ") first, then a rule with `<name>`
        /// (the `_ns` form before the plain one).
        static func row(for field: String, in catalog: [CatalogRow]) -> (CatalogRow, String)? {
            let pattern = pattern(field)
            if let row = catalog.first(where: { $0.source.components(separatedBy: ", ").contains(pattern) }) {
                return (row, row.metric)
            }
            for row in catalog.filter({ $0.source.contains("<name>") }).sorted(by: { $0.source.count > $1.source.count }
            ) {
                let parts = row.source.components(separatedBy: "<name>")
                guard pattern.hasPrefix(parts[0]), pattern.hasSuffix(parts[1]) else { continue }
                let name = pattern.dropFirst(parts[0].count).dropLast(parts[1].count)
                guard !name.isEmpty, !name.contains(".") else { continue }
                return (row, row.metric.replacingOccurrences(of: "<name>", with: name))
            }
            return nil
        }

        /// The labels a field's sample must carry, computed from `virsh`'s own output.
        static func labels(_ names: [String], field: String, domain: String, fields: [String: String]) -> [String:
            String]
        {
            let segments = field.split(separator: ".").map(String.init)
            let index = segments.first { $0.allSatisfy(\.isNumber) } ?? ""
            let device = segments.prefix { !$0.allSatisfy(\.isNumber) }.joined(separator: ".") + ".\(index)"
            var labels = ["domain": domain]
            for name in names where name != "domain" {
                switch name {
                case "target_device": labels[name] = fields["\(device).name"] ?? ""
                case "source_file": labels[name] = fields["\(device).path"] ?? ""
                default: labels[name] = index
                }
            }
            return labels
        }
    }
}
