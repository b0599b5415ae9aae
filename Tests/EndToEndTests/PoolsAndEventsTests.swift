import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// Storage pools and domain events on the testbed: a directory pool defined for the test, and
    /// a testbed domain suspended, resumed, destroyed and started again.
    @Suite struct PoolsAndEventsTests {
        static let pool = "vxp-dir"
        /// How long a change may take to show: a few 2 s collections on a busy machine.
        static let patience = 30.0

        private func exporter(_ uri: String) throws -> ExporterProcess {
            let exporter = try ExporterProcess(["--libvirt.uri", uri, "--collector.interval", "2s"])
            try exporter.waitUntilReady()
            return exporter
        }

        /// Scrapes until `condition` holds of the exposition, for up to ``patience`` seconds.
        private func scrape(
            _ exporter: ExporterProcess, until condition: (ParsedExposition) -> Bool
        ) throws -> ParsedExposition {
            try exporter.scrape(every: 0.5, for: Self.patience, until: condition).exposition
        }

        /// Runs virsh, retrying for a while when it fails: another test may hold libvirtd stopped.
        @discardableResult
        private func virsh(_ arguments: [String]) throws -> String {
            var attempt = 0
            while true {
                do {
                    return try Testbed.virsh(arguments)
                } catch {
                    attempt += 1
                    if attempt >= 6 { throw error }
                    Thread.sleep(forTimeInterval: 10)
                }
            }
        }

        /// Removes the test's pool if it exists (a run that was killed may have left it).
        private func removePool() {
            _ = try? Testbed.virsh(["pool-destroy", Self.pool])
            _ = try? Testbed.virsh(["pool-undefine", Self.pool])
        }

        @Test func aDirectoryPoolShowsItsCapacityAndState() throws {
            let uri = try #require(Testbed.uri)
            removePool()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vxp-dir-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer {
                removePool()
                try? FileManager.default.removeItem(at: directory)
            }
            try virsh(["pool-define-as", Self.pool, "dir", "--target", directory.path])
            try virsh(["pool-start", Self.pool])
            let xml = try virsh(["pool-dumpxml", Self.pool])
            let capacity = try #require(
                xml.firstMatch(of: /<capacity unit='bytes'>(\d+)<\/capacity>/).flatMap { Double($0.1) })
            let uuid = try #require(xml.firstMatch(of: /<uuid>([0-9a-f-]+)<\/uuid>/).map { String($0.1) })

            let exporter = try exporter(uri)
            let labels = ["storage_pool": Self.pool]
            let running = try scrape(exporter) { $0.value("libvirt_storage_pool_state", labels) == 2 }
            #expect(running.value("libvirt_storage_pool_state", labels) == 2, "running")
            #expect(running.value("libvirt_storage_pool_capacity_bytes", labels) == capacity)
            let available = try #require(running.value("libvirt_storage_pool_available_bytes", labels))
            let allocation = try #require(running.value("libvirt_storage_pool_allocation_bytes", labels))
            #expect(available > 0 && available <= capacity && allocation <= capacity)
            #expect(
                running.value("libvirt_storage_pool_info", ["storage_pool": Self.pool, "uuid": uuid, "type": "dir"])
                    == 1)

            try virsh(["pool-destroy", Self.pool])
            let stopped = try scrape(exporter) { $0.value("libvirt_storage_pool_state", labels) == 0 }
            #expect(stopped.value("libvirt_storage_pool_state", labels) == 0, "inactive")
            #expect(stopped.value("libvirt_storage_pool_capacity_bytes", labels) == nil, "no sizes while inactive")

            try virsh(["pool-undefine", Self.pool])
            let gone = try scrape(exporter) { $0.samples("libvirt_storage_pool_state", labels).isEmpty }
            #expect(gone.samples("libvirt_storage_pool_info", labels).isEmpty, "an undefined pool's series go")
            #expect(gone.value("libvirt_up") == 1)
            print(
                "E2E pool \(Self.pool): capacity \(capacity) bytes, available \(available), allocation \(allocation)")
        }

        @Test func suspendResumeDestroyAndStartMoveTheEventCounters() throws {
            let uri = try #require(Testbed.uri)
            let running = try Testbed.runningDomains()
            let domain = try #require(
                ["vx-1", "vx-2", "vx-3"].first { running.contains($0) }, "a testbed domain vx-1..vx-3 runs")
            defer { ensureRunning(domain) }
            let exporter = try exporter(uri)
            // The event subscription is made beside the first collection; let it settle.
            _ = try scrape(exporter) { $0.value("libvirt_domain_info_state", ["domain": domain]) == 1 }
            Thread.sleep(forTimeInterval: 1)

            try virsh(["suspend", domain])
            try virsh(["resume", domain])
            try virsh(["destroy", domain])
            try virsh(["start", domain])
            let lastCommand = Date()
            func count(_ exposition: ParsedExposition, _ event: String, _ detail: String) -> Double {
                exposition.value(
                    "libvirt_domain_events_total", ["domain": domain, "event": event, "detail": detail]) ?? 0
            }
            let moves = [
                ("suspended", "paused"), ("resumed", "unpaused"), ("stopped", "destroyed"), ("started", "booted"),
            ]
            let seen = try scrape(exporter) { exposition in moves.allSatisfy { count(exposition, $0.0, $0.1) >= 1 } }
            let shownAfter = Date().timeIntervalSince(lastCommand)
            for (event, detail) in moves {
                #expect(count(seen, event, detail) >= 1, "\(event)/\(detail) counted")
            }
            #expect(seen.types["libvirt_domain_events_total"] == "counter")
            let reply = try HTTPReply.fetch(port: exporter.port, path: "/metrics")
            let promtool = try Command.run("/usr/bin/promtool", ["check", "metrics"], input: reply.body)
            #expect(promtool.status == 0, "promtool check metrics: \(promtool.output)")
            print(
                "E2E events of \(domain): \(moves.map { "\($0.0)/\($0.1) \(Int(count(seen, $0.0, $0.1)))" }.joined(separator: ", ")), all shown \(String(format: "%.1f", shownAfter)) s after virsh start returned (interval 2 s)"
            )
        }

        /// Leaves `domain` running, whatever the test did to it.
        private func ensureRunning(_ domain: String) {
            for _ in 0..<6 {
                let state = (try? Testbed.virsh(["domstate", domain]))?.trimmingCharacters(in: .whitespacesAndNewlines)
                switch state {
                case "running": return
                case "paused": _ = try? Testbed.virsh(["resume", domain])
                case "shut off": _ = try? Testbed.virsh(["start", domain])
                default: break
                }
                Thread.sleep(forTimeInterval: 2)
            }
        }
    }
}
