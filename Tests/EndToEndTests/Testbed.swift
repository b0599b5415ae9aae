import Foundation
import TestSupport
import Testing

/// Every end-to-end suite, run one after the other: they share the testbed's domains (one pauses
/// them, another starts jobs on them).
@Suite(.serialized, .enabled(if: Testbed.isUp, "no testbed: run scripts/test, which brings one up"))
enum EndToEnd {}

/// The real libvirtd the end-to-end tests run against. `scripts/test` brings up the testbed
/// (`scripts/testbed/up.sh`) and sets `VIRT_EXPORTER_E2E_URI`; without it these tests are skipped,
/// and `scripts/test` says so loudly.
enum Testbed {
    /// The libvirt URI of the testbed, if one is up.
    static var uri: String? { ProcessInfo.processInfo.environment["VIRT_EXPORTER_E2E_URI"] }

    /// Whether a testbed is up.
    static var isUp: Bool { uri != nil }

    /// The testbed's running domains with a disk and a NIC (`vx-1`, `vx-2`, …; not the job domain,
    /// nor the crowd of `scripts/testbed/crowd.sh`, nor the budget's shape of `scripts/testbed/shape.sh`).
    static func runningDomains() throws -> [String] {
        try virsh(["list", "--name"]).split(separator: "\n").map(String.init).filter {
            $0.hasPrefix("vx-") && $0 != "vx-job" && !$0.hasPrefix("vx-crowd-") && !$0.hasPrefix("vx-budget-")
        }
    }

    /// `--collector.<part>` for every collector part, as `virt-exporter parts --format json` lists
    /// them: everything the exporter can collect, the parts that are off by default included, but
    /// the guest part, which reads the report of a `virt-exporter guest-agent` process.
    static func everyPartFlags() throws -> [String] {
        let run = try Command.run(ExporterProcess.binary.path, ["parts", "--format", "json"])
        guard run.status == 0,
            let parts = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[String: Any]]
        else { throw HTTPTestError("virt-exporter parts --format json failed: \(run.output)") }
        let flags = parts.compactMap { $0["flag"] as? String }
        guard flags.count == parts.count, flags.contains("--collector.guest") else {
            throw HTTPTestError("virt-exporter parts --format json: no flags in \(run.output)")
        }
        return flags.filter { $0 != "--collector.guest" }
    }

    /// The testbed's shut-off domain.
    static let shutOffDomain = "vx-off"

    /// Runs `virsh -c URI arguments…` and returns its standard output; throws when it fails.
    @discardableResult
    static func virsh(_ arguments: [String]) throws -> String {
        let result = try Command.run("/usr/bin/virsh", ["-c", uri ?? "qemu:///system"] + arguments)
        guard result.status == 0 else {
            throw HTTPTestError("virsh \(arguments.joined(separator: " ")) failed: \(result.output)")
        }
        return result.output
    }

    /// Runs a testbed script and returns its output; throws when it fails.
    @discardableResult
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let result = try Command.run(script, arguments)
        guard result.status == 0 else {
            throw HTTPTestError("\(script) \(arguments.joined(separator: " ")) failed: \(result.output)")
        }
        return result.output
    }

    /// Runs `body` with every running testbed domain paused, so that their counters hold still,
    /// and resumes them afterwards whatever happens.
    static func withDomainsPaused<Result>(_ body: () throws -> Result) throws -> Result {
        let domains = try virsh(["list", "--name", "--state-running"]).split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("vx-") }
        for domain in domains { try virsh(["suspend", domain]) }
        defer { for domain in domains { _ = try? virsh(["resume", domain]) } }
        return try body()
    }
}
