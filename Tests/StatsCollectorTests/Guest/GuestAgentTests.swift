import FoundationEssentials
import Glibc
import Logging
import PromFormat
import Testing

@testable import StatsCollector

/// The guest part: the agent process's passes on scripted libvirt calls, its report file, and the
/// exporter's reading of it, hostile reports included.
@Suite struct GuestAgentTests {
    private static let logger = Logger(label: "guest-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A guest whose agent reports a host name, an OS and two file systems.
    private static let webFields: [TypedParameter] = [
        .init(field: "hostname", value: .string("web.example")), .init(field: "os.id", value: .string("debian")),
        .init(field: "os.version-id", value: .string("12")), .init(field: "os.kernel-release", value: .string("6.1.0")),
        .init(field: "fs.count", value: .uint(2)), .init(field: "fs.0.mountpoint", value: .string("/")),
        .init(field: "fs.0.fstype", value: .string("ext4")), .init(field: "fs.0.total-bytes", value: .ullong(10_000)),
        .init(field: "fs.0.used-bytes", value: .ullong(4_000)),
        .init(field: "fs.1.mountpoint", value: .string("/boot")),
        .init(field: "fs.1.fstype", value: .string("vfat")), .init(field: "fs.1.total-bytes", value: .ullong(500)),
        .init(field: "fs.1.used-bytes", value: .ullong(100)),
    ]

    @Test func aPassAsksEveryRunningDomainAndAHungAgentOnlyOnce() async throws {
        let hung = Latch()
        defer { hung.open() }
        let connection = ScriptedConnection(
            onBulkStats: { _, _ in
                [
                    runningDomain("web"), runningDomain("db"), runningDomain("plain"),
                    DomainStats(name: "off", uuid: "u", parameters: [.init(field: "state.state", value: .int(5))]),
                ]
            },
            onGuestInfo: { name throws(LibvirtError) in
                switch name {
                case "web": return Self.webFields
                case "db":
                    hung.wait()
                    return []
                default:
                    throw LibvirtError(
                        function: "virDomainGetGuestInfo", code: .argumentUnsupported, origin: 10,
                        message: "QEMU guest agent is not configured")
                }
            })
        let reader = GuestAgentReader(
            uri: "scripted:///", api: ScriptedLibvirt(connection), deadline: .seconds(2), interval: .seconds(60),
            logger: Self.logger)
        let first = try await reader.read()
        #expect(first.interval == 60 && first.version == GuestInfoReport.formatVersion)
        #expect(first.domains.map(\.name) == ["db", "plain", "web"], "every running domain, not the shut-off one")
        #expect(first.domains.first { $0.name == "web" }?.fields == Self.webFields)
        #expect(first.domains.first { $0.name == "plain" }?.error == "argument_unsupported")
        #expect(first.domains.first { $0.name == "db" }?.error == "deadline_exceeded")
        let second = try await reader.read()
        #expect(second.domains.first { $0.name == "db" }?.error == "in_flight", "no second call while the first waits")
        #expect(connection.count("virDomainGetGuestInfo db") == 1)
    }

    @Test func theReportRoundTripsAndABadOneIsRefused() throws {
        let report = GuestInfoReport(
            written: 1000, interval: 60,
            domains: [.init(name: "web", fields: Self.webFields), .init(name: "db", error: "agent_unresponsive")])
        #expect(try GuestInfoReport.decode(report.encoded()) == report)
        var future = report
        future.version = 2
        #expect(throws: GuestInfoError.self) { try GuestInfoReport.decode(future.encoded()) }
        var noInterval = report
        noInterval.interval = 0
        #expect(throws: GuestInfoError.self) { try GuestInfoReport.decode(noInterval.encoded()) }
        #expect(throws: GuestInfoError.self) { try GuestInfoReport.decode(Array("{\"domains\": 3}".utf8)) }
    }

    private static func file(_ report: GuestInfoReport) throws -> String {
        let path = "/tmp/vx-guest-test-\(UInt64.random(in: 0...UInt64.max)).json"
        try FileBytes.replace(path, with: report.encoded())
        return path
    }

    @Test func theExporterTakesOnlyAFreshReportAndOnlyTheDomainsThatRun() throws {
        let report = GuestInfoReport(
            written: 10_000, interval: 60,
            domains: [
                .init(name: "web", fields: Self.webFields), .init(name: "web", error: "agent_unresponsive"),
                .init(name: "gone", fields: Self.webFields), .init(name: "db", error: "agent_unresponsive"),
            ])
        let path = try Self.file(report)
        defer { unlink(path) }
        let running: Set<ExactText> = [ExactText("web"), ExactText("db")]
        let (fresh, noError) = GuestReportView.read(path, running: running, now: 10_100)
        #expect(noError == nil)
        #expect(
            fresh.domains.map(\.name) == ["web", "db"], "a domain that does not run, and a second entry, are left out")
        #expect(fresh.age == 100)
        let (stale, staleError) = GuestReportView.read(path, running: running, now: 10_000 + 181)
        #expect(stale.domains.isEmpty && stale.age == 181)
        #expect(staleError?.reason == "stale")
        let (_, missing) = GuestReportView.read("/nonexistent/report.json", running: running)
        #expect(missing?.reason == "unreadable")
        let huge = "/tmp/vx-guest-huge-\(UInt64.random(in: 0...UInt64.max)).json"
        try FileBytes.replace(huge, with: [UInt8](repeating: 0x20, count: GuestInfoReport.maximumBytes + 1))
        defer { unlink(huge) }
        let (_, tooLong) = GuestReportView.read(huge, running: running)
        #expect(tooLong?.reason == "unreadable", "a report past the limit is not read into memory")
    }

    @Test func familiesShowIdentityOnTheInfoSeriesAndBoundWhatAGuestSends() throws {
        var fields = Self.webFields.filter { !$0.field.hasPrefix("fs.") && $0.field != "hostname" }
        fields.append(.init(field: "hostname", value: .string(String(repeating: "h", count: 500))))
        fields.append(.init(field: "fs.count", value: .uint(100)))
        for index in 0..<100 {
            fields += [
                .init(field: "fs.\(index).mountpoint", value: .string(index == 1 ? "/m0" : "/m\(index)")),
                .init(field: "fs.\(index).used-bytes", value: .ullong(UInt64(index))),
            ]
        }
        let view = GuestReportView(
            domains: [.init(name: "web", fields: fields), .init(name: "db", error: "agent_unresponsive")], age: 5)
        let families = Dictionary(uniqueKeysWithValues: GuestFamilies.families(of: view).map { ($0.name, $0) })
        #expect(families["libvirt_domain_guest_agent_answered"]?.samples.map(\.value) == [.unsigned(1), .unsigned(0)])
        let info = try #require(families["libvirt_domain_guest_info"]?.samples.first)
        #expect(info.labels.first { $0.name == "hostname" }?.value.utf8.count == GuestFamilies.maximumLabelBytes)
        let used = try #require(families["libvirt_domain_guest_filesystem_used_bytes"])
        #expect(used.samples.count == GuestFamilies.maximumFilesystems - 1, "32 at most, a repeated mount point once")
        #expect(families["libvirt_domain_guest_filesystem_size_bytes"] == nil, "no size reported, none shown")
        #expect(families["libvirt_exporter_guest_report_age_seconds"]?.samples.map(\.value) == [.double(5)])
        for family in families.values where family.name != "libvirt_domain_guest_info" {
            #expect(!family.samples.contains { $0.labels.contains { $0.name == "hostname" } }, "identity on info only")
        }
    }
}
