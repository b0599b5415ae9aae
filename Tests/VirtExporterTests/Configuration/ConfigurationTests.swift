import Foundation
import Logging
import StatsCollector
import TestSupport
import Testing

@testable import virt_exporter

@Suite struct ConfigurationTests {
    private func apply(_ json: String) throws(ConfigurationError) -> ExporterConfiguration {
        var configuration = ExporterConfiguration()
        try ConfigFile.apply(json: Data(json.utf8), named: "test.json", to: &configuration)
        return configuration
    }

    private func error(_ json: String) -> String? {
        do {
            _ = try apply(json)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let configuration = ExporterConfiguration()
        #expect(configuration.listenAddresses == [ListenAddress(":9177")])
        #expect(configuration.maxRequests == 40)
        #expect(configuration.maxConnectionsPerAddress == 64)
        #expect(configuration.headerTimeout == .seconds(5))
        #expect(configuration.webConfigFile == nil)
        #expect(configuration.telemetryPath == "/metrics")
        #expect(configuration.libvirtURI == "qemu:///system")
        #expect(configuration.collectorInterval == .seconds(15))
        #expect(configuration.logLevel == .info)
    }

    @Test func theExampleConfigSetsEveryKeyToItsDefault() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("config.example.json")
        var configuration = ExporterConfiguration()
        try ConfigFile.apply(fileAt: url.path, to: &configuration)
        #expect(configuration == ExporterConfiguration())
        let text = try String(contentsOf: url, encoding: .utf8)
        for key in ConfigFile.keyNames {
            let parts = key.split(separator: ".", maxSplits: 1)
            #expect(
                text.contains("\"\(parts[0])\"") && text.contains("\"\(parts[1])\""), "config.example.json lacks \(key)"
            )
        }
    }

    @Test func takesSeveralListenAddressesAndTheWebKeys() throws {
        let configuration = try apply(
            """
            {"web": {"listen-address": ["127.0.0.1:9999", "[::1]:9998"], "systemd-socket": true,
                     "config.file": "/etc/virt-exporter/web.yml", "max-connections-per-address": 8,
                     "max-requests": 0, "header-timeout": "500ms"}}
            """)
        #expect(configuration.listenAddresses == [ListenAddress("127.0.0.1:9999"), ListenAddress("[::1]:9998")])
        #expect(configuration.systemdSocket)
        #expect(configuration.webConfigFile == "/etc/virt-exporter/web.yml")
        #expect(configuration.maxConnectionsPerAddress == 8)
        #expect(configuration.maxRequests == 0)
        #expect(configuration.headerTimeout == .milliseconds(500))
    }

    @Test func appliesEveryKey() throws {
        let configuration = try apply(
            """
            {"web": {"listen-address": "127.0.0.1:9999", "telemetry-path": "/m", "max-connections": 10,
                     "connection-timeout": "5s"},
             "libvirt": {"uri": "test:///default"}, "collector": {"interval": "2m30s"}, "log": {"level": "warn"}}
            """)
        #expect(configuration.listenAddresses == [ListenAddress("127.0.0.1:9999")])
        #expect(configuration.telemetryPath == "/m")
        #expect(configuration.maxConnections == 10)
        #expect(configuration.connectionTimeout == .seconds(5))
        #expect(configuration.libvirtURI == "test:///default")
        #expect(configuration.collectorInterval == .seconds(150))
        #expect(configuration.logLevel == .warning)
    }

    @Test(arguments: [
        (#"{"collector": {"intervall": "15s"}}"#, #"unknown key "collector.intervall""#),
        (#"{"colector": {"interval": "15s"}}"#, #"unknown key "colector.interval""#),
        (#"{"colector": 1}"#, #"unknown key "colector""#),
        (#"{"collector": {"interval": 15}}"#, #""collector.interval" must be a string, got a number"#),
        (#"{"collector": {"interval": "500ms"}}"#, #""collector.interval": must be from 1s to 1d, got "500ms""#),
        (#"{"collector": {"interval": "137y"}}"#, #""collector.interval": must be from 1s to 1d, got "137y""#),
        (#"{"web": {"connection-timeout": "137y"}}"#, #""web.connection-timeout": must be a whole number"#),
        (#"{"web": {"header-timeout": "2h"}}"#, #""web.header-timeout": must be from 100ms to 1h"#),
        (#"{"web": {"max-requests": -1}}"#, #""web.max-requests": must be from 0 (no limit)"#),
        (#"{"web": {"listen-address": [1]}}"#, #""web.listen-address" must be a string or an array of strings"#),
        (#"{"web": {"listen-address": []}}"#, #""web.listen-address": must name at least one address"#),
        (
            #"{"web": {"listen-address": ["localhost:9177", ":9100", "localhost:9177"]}}"#,
            #""web.listen-address": "localhost:9177" is given twice"#
        ),
        (#"{"collector": {"interval": "soon"}}"#, #""collector.interval": must be a duration"#),
        (#"{"collector": "15s"}"#, #""collector" must be an object, got a string"#),
        (#"{"web": {"max-connections": 1.5}}"#, #""web.max-connections" must be an integer, got a fractional number"#),
        (#"{"web": {"max-connections": 0}}"#, #""web.max-connections": must be from 1 to 65536, got 0"#),
        (#"{"web": {"listen-address": "9177"}}"#, #""web.listen-address": must be host:port"#),
        (#"{"web": {"telemetry-path": "metrics"}}"#, #""web.telemetry-path": must be a path starting with "/""#),
        (#"{"web": {"telemetry-path": "/metrics?x=1"}}"#, #""web.telemetry-path": "?" cannot be"#),
        (##"{"web": {"telemetry-path": "/a#b"}}"##, ##""web.telemetry-path": "#" cannot be"##),
        (#"{"web": {"telemetry-path": "/a b"}}"#, #""web.telemetry-path": " " cannot be"#),
        (#"{"web": {"telemetry-path": "/a%20b"}}"#, #""web.telemetry-path": "%" cannot be"#),
        (#"{"web": {"telemetry-path": "/a\tb"}}"#, #""web.telemetry-path": "\t" cannot be"#),
        (
            #"{"web": {"connection-timeout": "1500ms"}}"#,
            #""web.connection-timeout": must be a whole number of seconds"#
        ),
        (#"{"libvirt": {"uri": ""}}"#, #""libvirt.uri": must not be empty"#),
        (#"{"log": {"level": "loud"}}"#, #""log.level": must be one of trace, debug"#),
        (#"{"collector": {"metadata-labels": {}}}"#, #""collector.metadata-labels" must be an array of"#),
        (#"{"collector": {"metadata-labels": [1]}}"#, #""collector.metadata-labels"[0] must be an object"#),
        (
            #"{"collector": {"metadata-labels": [{"label": "a", "namespace": "urn:x"}]}}"#,
            #""collector.metadata-labels"[0]: "path" is missing"#
        ),
        (
            #"{"collector": {"metadata-labels": [{"label": "a", "namespace": "urn:x", "path": "a", "xpath": "a"}]}}"#,
            #""collector.metadata-labels"[0]: unknown key "xpath""#
        ),
        (
            #"{"collector": {"metadata-labels": [{"label": "team-name", "namespace": "urn:x", "path": "a/b"}]}}"#,
            #""collector.metadata-labels"[0]: "team-name" is not a label name"#
        ),
        (
            #"{"collector": {"metadata-labels": [{"label": "a", "namespace": "urn:x", "path": "a/b"}, {"label": "a", "namespace": "urn:y", "path": "c"}]}}"#,
            #""collector.metadata-labels"[1]: the label "a" is defined twice"#
        ),
        (
            #"{"collector": {"metadata-labels": [{"label": "a", "namespace": "urn:x", "path": 3}]}}"#,
            #""collector.metadata-labels"[0].path must be a string"#
        ),
        (#"{"collector": {"block-source-file": "no"}}"#, #""collector.block-source-file" must be true or false"#),
        (#"[1]"#, "must hold a JSON object, got an array"),
        (#"{"web": "#, "not valid JSON at line 1, column 9: unexpected end; expected a value"),
        ("{\n  \"web\": {\n    \"max-connections\": 1,,\n", "not valid JSON at line 3, column 26: expected a key"),
        (#"{"web": {"telemetry-path": "/m" "x": 1}}"#, #"not valid JSON at line 1, column 33: expected "," or "}""#),
    ])
    func rejectsBadInputNamingTheKey(json: String, message: String) {
        let description = error(json)
        #expect(description?.contains(message) == true, "\(description ?? "no error")")
        #expect(description?.hasPrefix("config file test.json: ") == true)
    }

    @Test func takesMetadataLabelsUpToTheLimit() throws {
        func labels(_ count: Int) -> String {
            let entries = (0..<count).map { #"{"label": "l\#($0)", "namespace": "urn:x", "path": "m/v\#($0)"}"# }
            return #"{"collector": {"metadata-labels": [\#(entries.joined(separator: ", "))]}}"#
        }
        let configuration = try apply(labels(MetadataLabel.limit))
        let scope = configuration.collectors.scope
        #expect(scope.metadataLabels.map(\.label) == (0..<MetadataLabel.limit).map { "l\($0)" })
        #expect(scope.metadataLabels[3].elements == ["m", "v3"] && scope.metadataLabels[3].namespace == "urn:x")
        #expect(
            error(labels(MetadataLabel.limit + 1))?.contains("holds 17 labels; at most 16 are allowed") == true,
            "\(error(labels(MetadataLabel.limit + 1)) ?? "no error")")
    }

    @Test func theBlockSourceFileFlagAndKey() throws {
        #expect(try apply(#"{"collector": {"block-source-file": false}}"#).sourceFileOnBlockSeries == false)
        #expect(ExporterConfiguration().sourceFileOnBlockSeries)
        let command = try ServeCommand.parse(["--no-collector.block-source-file"])
        #expect(try command.resolvedConfiguration().domainLabelLayout() == LabelLayout(sourceFileOnBlockSeries: false))
    }

    /// A per-address limit above the total cannot hold: refused when both were set, whether by
    /// flag or key. When only the total was set, the per-address limit follows it down; when only
    /// the per-address limit was set, the total follows it up.
    @Test func theConnectionLimitsFitTogether() throws {
        #expect(try ExporterConfiguration.resolved(["--web.max-connections", "10"]).maxConnectionsPerAddress == 10)
        #expect(try ExporterConfiguration.resolved([]).maxConnectionsPerAddress == 64)
        let raised = try ExporterConfiguration.resolved(["--web.max-connections-per-address", "300"])
        #expect(raised.maxConnections == 300 && raised.maxConnectionsPerAddress == 300)
        let both = try ExporterConfiguration.resolved(
            ["--web.max-connections", "10", "--web.max-connections-per-address", "5"])
        #expect(both.maxConnections == 10 && both.maxConnectionsPerAddress == 5)
        #expect(
            throws: ConfigurationError(
                "--web.max-connections-per-address: 20 is above --web.max-connections 10: one address could never hold that many; lower it, or raise the total"
            )
        ) {
            try ExporterConfiguration.resolved([
                "--web.max-connections", "10", "--web.max-connections-per-address", "20",
            ])
        }
        #expect(throws: ConfigurationError.self) {
            try ExporterConfiguration.resolved(
                ["--web.max-connections-per-address", "20"], file: #"{"web": {"max-connections": 10}}"#)
        }
        do {
            _ = try ExporterConfiguration.resolved(
                [], file: #"{"web": {"max-connections": 10, "max-connections-per-address": 11}}"#)
            Issue.record("accepted a per-address limit above the total")
        } catch let error as ConfigurationError {
            #expect(error.description.contains(#""web.max-connections-per-address": 11 is above"#), "\(error)")
            #expect(error.description.contains(#""web.max-connections" 10"#), "\(error)")
        }
    }

    @Test func flagsOverrideTheConfigFile() throws {
        let configuration = try ExporterConfiguration.resolved(
            ["--collector.interval", "5s"],
            file: #"{"collector": {"interval": "1m"}, "libvirt": {"uri": "test:///default"}}"#)
        #expect(configuration.collectorInterval == .seconds(5))
        #expect(configuration.libvirtURI == "test:///default")
    }

    @Test func badFlagValuesNameTheFlag() throws {
        let command = try ServeCommand.parse(["--collector.interval", "0s"])
        #expect(throws: ConfigurationError("--collector.interval: must be from 1s to 1d, got \"0s\"")) {
            try command.resolvedConfiguration()
        }
    }

    @Test func aMissingConfigFileIsAClearError() throws {
        let command = try ServeCommand.parse(["--config.file", "/nonexistent/virt-exporter.json"])
        #expect(throws: ConfigurationError.self) { try command.resolvedConfiguration() }
    }
}

@Suite struct DurationAndAddressTests {
    @Test(arguments: [
        ("15s", Duration.seconds(15)), ("1m", .seconds(60)), ("2m30s", .seconds(150)), ("500ms", .milliseconds(500)),
        ("1h", .seconds(3600)), ("1d", .seconds(86400)), ("1w", .seconds(604_800)), ("1y", .seconds(31_536_000)),
        ("1h1ms", .milliseconds(3_600_001)), ("0", .zero),
    ])
    func parsesPrometheusDurations(text: String, expected: Duration) {
        #expect(PrometheusDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "15", "1.5s", "1s1m", "1s1s", "-1s", "1 s", "15sec", "99999999999999999999y"])
    func rejectsMalformedDurations(text: String) {
        #expect(PrometheusDuration.parse(text) == nil)
    }

    @Test func formatsDurations() {
        #expect(PrometheusDuration.format(.seconds(150)) == "2m30s")
        #expect(PrometheusDuration.format(.milliseconds(1500)) == "1s500ms")
        #expect(PrometheusDuration.format(.zero) == "0s")
    }

    @Test func parsesListenAddresses() {
        #expect(ListenAddress(":9177") == ListenAddress(":9177"))
        #expect(ListenAddress(":9177")?.host == "")
        #expect(ListenAddress("[::1]:80")?.host == "::1")
        #expect(ListenAddress("[::1]:80")?.description == "[::1]:80")
        #expect(ListenAddress("localhost:0")?.port == 0)
        for bad in ["9177", ":", "::1:80", "host:70000", "[::1:80", "[]:80", "host:-1"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
        }
    }
}
