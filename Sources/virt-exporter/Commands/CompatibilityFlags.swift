import ArgumentParser

/// `--[no-]compat.kumina`, and the flags of Debian's `prometheus-libvirt-exporter` (kumina's
/// libvirt_exporter 0.2.0) that virt-exporter does not share by name already: its
/// `--web.listen-address`, `--web.telemetry-path` and `--libvirt.uri` are virt-exporter's too,
/// `--libvirt.export-nova-metadata` is taken here, and its two other help flags are refused with
/// an error that says so, rather than as unknown.
struct CompatibilityFlags: ParsableArguments {
    @Flag(
        name: .customLong("compat.kumina"), inversion: .prefixedNo,
        help:
            "Also emit every family and label of Debian's prometheus-libvirt-exporter (kumina 0.2.0): libvirt_domain_state_code, libvirt_domains_number, uuid and source_bridge labels. (default: off)"
    )
    var kumina: Bool?

    @Flag(
        name: .customLong("libvirt.export-nova-metadata"), inversion: .prefixedNo,
        help:
            "As in Debian's exporter: Nova's name, flavor and project_name labels on its families; turns --compat.kumina on. (default: off)"
    )
    var exportsNovaMetadata: Bool?

    @Flag(name: .customLong("help-long"), help: .hidden)
    var helpLong = false

    @Flag(name: .customLong("help-man"), help: .hidden)
    var helpMan = false

    /// Applies the flags given over `choices`; a Debian flag that virt-exporter does not have is an error.
    func apply(to choices: inout CompatibilityChoices) throws(ConfigurationError) {
        for (flag, given) in [("--help-long", helpLong), ("--help-man", helpMan)] where given {
            throw ConfigurationError(
                "\(flag): a flag of Debian's prometheus-libvirt-exporter that virt-exporter does not have; --help lists virt-exporter's flags"
            )
        }
        if let kumina { choices.kumina = kumina }
        if let exportsNovaMetadata { choices.exportsNovaMetadata = exportsNovaMetadata }
    }
}
