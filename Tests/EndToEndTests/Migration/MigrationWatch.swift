import TestSupport
import Testing

/// What a migration test watches with: an exporter on each host (collection every 5 s, job poll
/// every second) and Debian's Prometheus scraping both every second, evaluating the shipped rules
/// with their durations shortened by ``EndToEnd/MigrationTests/durationFactor`` and notifying,
/// through Debian's Alertmanager, a webhook of the test's own.
struct MigrationWatch {
    let source: ExporterProcess
    let destination: ExporterProcess
    let webhook: WebhookReceiver
    let stack: AlertingStack

    init(_ hosts: MigrationHosts) throws {
        source = try EndToEnd.MigrationTests.exporter(try hosts.uri(MigrationHosts.source))
        destination = try EndToEnd.MigrationTests.exporter(try hosts.uri(MigrationHosts.destination))
        webhook = try WebhookReceiver()
        stack = try AlertingStack(
            targets: ["127.0.0.1:\(source.port)", "127.0.0.1:\(destination.port)"], webhook: webhook.port,
            durationFactor: EndToEnd.MigrationTests.durationFactor)
    }
}

extension MigrationHosts {
    /// The hosts for a test that watches with the alerting stack, which must be installed.
    static func forAlertingTest() throws -> MigrationHosts {
        try #require(AlertingStack.isInstalled, "scripts/lib/packages.sh's test packages include both")
        return try MigrationHosts()
    }
}
