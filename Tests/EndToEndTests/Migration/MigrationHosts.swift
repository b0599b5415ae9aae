import Foundation
import TestSupport

/// The testbed's two namespaced libvirtd hosts (`scripts/testbed/hosts.sh`), vxm-1 and vxm-2,
/// brought up for a test and taken down, with every domain on them, when it is released: also
/// when the test fails.
final class MigrationHosts: Sendable {
    static let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/testbed/hosts.sh").path
    static let source = "vxm-1"
    static let destination = "vxm-2"

    init() throws {
        _ = try? Command.run(Self.script, ["down"])  // what a killed run may have left
        try Testbed.run(Self.script, ["up", "2"])
    }

    deinit { _ = try? Command.run(Self.script, ["down"]) }

    /// The client URI of `host`.
    func uri(_ host: String) throws -> String {
        try Testbed.run(Self.script, ["uri", host]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts a guest `name` of `memory` MiB with `cmdline` on `host` (replacing one of that name).
    func startGuest(_ name: String, on host: String, memory: Int = 128, cmdline: String) throws {
        try Testbed.run(Self.script, ["guest", host, name, "\(memory)", cmdline])
    }

    /// Runs `virsh -c URI arguments…` on `host`; throws when it fails.
    @discardableResult
    func virsh(_ host: String, _ arguments: [String]) throws -> String {
        let result = try Command.run("/usr/bin/virsh", ["-c", try uri(host)] + arguments, timeout: 60)
        guard result.status == 0 else {
            throw HTTPTestError("virsh \(arguments.joined(separator: " ")) on \(host) failed: \(result.output)")
        }
        return result.output
    }

    /// A live migration of `domain` from vxm-1 to vxm-2 at `bandwidth` MiB/s, running in the
    /// background (`virsh migrate --live --persistent`, and `--undefinesource` if asked, and
    /// `options` such as `--postcopy`).
    final class Migration {
        private let process = Process()
        let started = Date()

        init(
            _ domain: String, hosts: MigrationHosts, bandwidth: Int, undefineSource: Bool = false,
            options: [String] = []
        ) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/virsh")
            process.arguments =
                ["-c", try hosts.uri(MigrationHosts.source), "migrate", "--live", "--persistent"]
                + (undefineSource ? ["--undefinesource"] : []) + options
                + ["--bandwidth", "\(bandwidth)", domain, try hosts.uri(MigrationHosts.destination)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        deinit {
            if process.isRunning { process.terminate() }
        }

        var isRunning: Bool { process.isRunning }

        /// Waits up to `seconds` for virsh to exit; its exit status, or nil if it still runs.
        func wait(seconds: Double) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            return process.isRunning ? nil : process.terminationStatus
        }
    }
}

/// What an exporter showed of one domain's job at one moment.
struct JobSample {
    let time: Double
    let state: Double?
    let type: Double?
    let iteration: Double?
    let remaining: Double?
    let progress: Double?
    let eta: Double?
    let stalledPasses: Double?
    let downtimeRatio: Double?
    /// QEMU's expected downtime times its bandwidth: the memory left at the start of the pass.
    let passStart: Double?
    let completedType: Double?
    let completedOperation: Double?
    let completedDowntime: Double?

    init(_ exposition: ParsedExposition, domain: String, at time: Double) {
        let labels = ["domain": domain]
        self.time = time
        state = exposition.value("libvirt_domain_info_state", labels)
        type = exposition.value("libvirt_domain_job_type", labels)
        iteration = exposition.value("libvirt_domain_job_memory_iteration", labels)
        remaining = exposition.value("libvirt_domain_job_memory_remaining_bytes", labels)
        progress = exposition.value("libvirt_domain_job_data_progress_ratio", labels)
        eta = exposition.value("libvirt_domain_job_eta_seconds", labels)
        stalledPasses = exposition.value("libvirt_domain_job_memory_stalled_passes", labels)
        downtimeRatio = exposition.value("libvirt_domain_job_downtime_ratio", labels)
        passStart = exposition.value("libvirt_domain_job_downtime_seconds", labels).flatMap { downtime in
            exposition.value("libvirt_domain_job_memory_bytes_per_second", labels).map { downtime * $0 }
        }
        completedType = exposition.value("libvirt_domain_completed_job_type", labels)
        completedOperation = exposition.value("libvirt_domain_completed_job_operation", labels)
        completedDowntime = exposition.value("libvirt_domain_completed_job_downtime_seconds", labels)
    }

    /// Whether a job runs (bounded or unbounded).
    var isRunning: Bool { type == 1 || type == 2 }

    /// Scrapes `exporter` and samples `domain`.
    static func read(_ exporter: ExporterProcess, domain: String, since start: Date) throws -> JobSample {
        let text = try HTTPReply.fetch(port: exporter.port, path: "/metrics").text
        return JobSample(ParsedExposition(text), domain: domain, at: Date().timeIntervalSince(start))
    }
}
