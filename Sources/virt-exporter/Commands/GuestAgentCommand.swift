import ArgumentParser
import Logging
import StatsCollector

/// Reads the guests' own view through their QEMU guest agents, every interval, and writes it to a
/// report file that the exporter's `guest` part reads. It is a process of its own because
/// `virDomainGetGuestInfo` needs a read-write libvirt connection, which can change every domain:
/// this process alone holds one (its systemd unit alone gets the `libvirt` group); the exporter,
/// which faces the network, keeps its read-only one.
struct GuestAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guest-agent",
        abstract:
            "Read the guests' host name, OS and file systems through their QEMU guest agents (a read-write libvirt connection) into a report file for the exporter's guest part."
    )

    @Option(
        name: .customLong("libvirt.uri"), help: "libvirt connection URI, opened read-write. (default: qemu:///system)")
    var libvirtURI = "qemu:///system"

    @Option(
        name: .customLong("report-file"),
        help: "Where to write the report. (default: \(CollectionScope.defaultGuestReportPath))")
    var reportFile = CollectionScope.defaultGuestReportPath

    @Option(name: .customLong("interval"), help: "Time between two passes over the guests. (default: 60s)")
    var intervalText = "60s"

    @Option(name: .customLong("timeout"), help: "How long one guest's agent may take to answer. (default: 10s)")
    var timeoutText = "10s"

    @Flag(name: .customLong("once"), help: "Make one pass, write the report and exit.")
    var once = false

    func validate() throws {
        guard reportFile.hasPrefix("/") else {
            throw ValidationError("--report-file must be an absolute path, got \"\(reportFile)\"")
        }
        _ = try duration(intervalText, "--interval")
        _ = try duration(timeoutText, "--timeout")
    }

    func run() async throws {
        let interval = try duration(intervalText, "--interval")
        let logger = Logger(label: "virt-exporter.guest-agent")
        let reader = GuestAgentReader(
            uri: libvirtURI, deadline: try duration(timeoutText, "--timeout"), interval: interval, logger: logger)
        let clock = ContinuousClock()
        while true {
            let started = clock.now
            do {
                let report = try await reader.read()
                try FileBytes.replace(reportFile, with: try report.encoded())
                let answered = report.domains.filter { $0.fields != nil }.count
                logger.info(
                    "guest agent report written",
                    metadata: [
                        "file": "\(reportFile)", "domains": "\(report.domains.count)", "answered": "\(answered)",
                    ])
            } catch {
                logger.error("guest agent pass failed", metadata: ["error": "\(error)"])
                if once { throw ExitCode.failure }
            }
            if once { return }
            try await Task.sleep(until: started + interval, clock: clock)
        }
    }

    private func duration(_ text: String, _ flag: String) throws -> Duration {
        guard let duration = PrometheusDuration.parse(text), duration > .zero else {
            throw ValidationError("\(flag): not a positive duration such as 60s or 2m: \"\(text)\"")
        }
        return duration
    }
}
