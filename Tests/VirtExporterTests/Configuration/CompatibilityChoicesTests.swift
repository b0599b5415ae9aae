import StatsCollector
import Testing

@testable import virt_exporter

/// `--compat.kumina`, Debian's `--libvirt.export-nova-metadata` and their config keys.
@Suite struct CompatibilityChoicesTests {
    private func mode(_ arguments: [String], file json: String? = nil) throws -> KuminaCompatibility? {
        try ExporterConfiguration.resolved(arguments, file: json).kuminaCompatibility()
    }

    private func error(_ arguments: [String], file json: String? = nil) -> String? {
        do {
            _ = try mode(arguments, file: json)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func offByDefault() throws {
        #expect(try mode([]) == nil)
        #expect(try mode(["--no-compat.kumina"]) == nil)
    }

    @Test func theFlagAndTheKeySwitchItOn() throws {
        #expect(try mode(["--compat.kumina"]) == KuminaCompatibility(exportsNovaMetadata: false))
        #expect(try mode([], file: #"{"compat": {"kumina": true}}"#) == KuminaCompatibility())
        #expect(try mode(["--no-compat.kumina"], file: #"{"compat": {"kumina": true}}"#) == nil, "the flag wins")
    }

    @Test func novaMetadataTurnsTheModeOn() throws {
        #expect(try mode(["--libvirt.export-nova-metadata"]) == KuminaCompatibility(exportsNovaMetadata: true))
        #expect(
            try mode([], file: #"{"libvirt": {"export-nova-metadata": true}}"#)
                == KuminaCompatibility(exportsNovaMetadata: true))
        #expect(
            try mode(["--no-libvirt.export-nova-metadata"], file: #"{"libvirt": {"export-nova-metadata": true}}"#)
                == nil)
    }

    /// Debian's `/etc/default/prometheus-libvirt-exporter` ARGS, in kingpin's `--flag=value` form.
    @Test func debiansArgumentsWorkUnchanged() throws {
        let arguments = [
            "--web.listen-address=:9177", "--web.telemetry-path=/metrics", "--libvirt.uri=qemu:///system",
            "--libvirt.export-nova-metadata",
        ]
        let configuration = try ServeCommand.parse(arguments).resolvedConfiguration()
        #expect(configuration.listenAddresses == [ListenAddress(":9177")])
        #expect(configuration.telemetryPath == "/metrics")
        #expect(configuration.libvirtURI == "qemu:///system")
        #expect(try configuration.kuminaCompatibility() == KuminaCompatibility(exportsNovaMetadata: true))
    }

    @Test func contradictionsAndMissingPartsAreErrorsThatSaySo() throws {
        #expect(
            error(["--no-compat.kumina", "--libvirt.export-nova-metadata"])
                == "libvirt.export-nova-metadata: needs the compatibility mode, which compat.kumina switches off; drop one of them"
        )
        #expect(
            error(["--compat.kumina", "--no-collector.metadata"])?.hasPrefix(
                "compat.kumina: needs the metadata collector part") == true)
        #expect(
            error(["--libvirt.export-nova-metadata", "--collector.disable-defaults", "--collector.cpu"])?.hasPrefix(
                "compat.kumina: needs the metadata collector part") == true)
        #expect(try mode(["--compat.kumina", "--collector.disable-defaults", "--collector.metadata"]) != nil)
        #expect(
            error(["--compat.kumina", "--no-collector.block-source-file"])
                == "compat.kumina: Debian's block families carry source_file, which collector.block-source-file takes off them; drop one of them"
        )
        #expect(
            error([], file: #"{"compat": {"kumina": "yes"}}"#)?.contains(#""compat.kumina" must be true or false"#)
                == true)
        #expect(error([], file: #"{"compat": {"debian": true}}"#)?.contains(#"unknown key "compat.debian""#) == true)
    }

    @Test func debiansOtherFlagsAreRefusedByName() {
        for flag in ["--help-long", "--help-man"] {
            #expect(
                error([flag])
                    == "\(flag): a flag of Debian's prometheus-libvirt-exporter that virt-exporter does not have; --help lists virt-exporter's flags"
            )
        }
    }
}
