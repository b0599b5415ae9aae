import FoundationEssentials

/// What one pass of `virt-exporter guest-agent` read from the guests' agents, as it hands it to the
/// exporter: a JSON file that the agent's process writes and the exporter's `guest` part reads.
public struct GuestInfoReport: Codable, Sendable, Equatable {
    /// The format's version; a report of another is refused.
    public static let formatVersion = 1
    /// The longest report the exporter reads, bytes: a few KiB a domain, so thousands of domains.
    public static let maximumBytes = 8 << 20

    /// ``formatVersion`` when written.
    public var version: Int
    /// When the pass ended, in seconds since the epoch.
    public var written: Double
    /// The agent's interval, seconds: a report older than three of them is stale.
    public var interval: Double
    /// Every running domain the pass asked.
    public var domains: [Domain]

    /// One domain's answer.
    public struct Domain: Codable, Sendable, Equatable {
        /// The domain's name.
        public var name: String
        /// libvirt's fields (`hostname`, `os.id`, `fs.<n>.used-bytes`, …) when the agent answered.
        public var fields: [TypedParameter]?
        /// Why it did not: libvirt's error code name (`agent_unresponsive`, `argument_unsupported`
        /// when the domain has no agent channel) or `deadline_exceeded`.
        public var error: String?

        /// Creates a domain's answer.
        public init(name: String, fields: [TypedParameter]? = nil, error: String? = nil) {
            self.name = name
            self.fields = fields
            self.error = error
        }
    }

    /// Creates a report.
    public init(written: Double, interval: Double, domains: [Domain]) {
        self.version = Self.formatVersion
        self.written = written
        self.interval = interval
        self.domains = domains
    }

    /// The report as the file holds it.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    /// The report in `bytes`, checked: this format's version, a positive interval.
    public static func decode(_ bytes: [UInt8]) throws(GuestInfoError) -> GuestInfoReport {
        let report: GuestInfoReport
        do {
            report = try JSONDecoder().decode(GuestInfoReport.self, from: Data(bytes))
        } catch {
            throw GuestInfoError("not a guest agent report: \(error)")
        }
        guard report.version == formatVersion else {
            throw GuestInfoError("a report of format \(report.version); this exporter reads \(formatVersion)")
        }
        guard report.interval > 0, report.written.isFinite else {
            throw GuestInfoError("a report without a positive interval and a time it was written")
        }
        return report
    }
}

/// Why the guest agent's report could not be used.
public struct GuestInfoError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
