import StatsCollector

/// `compat.kumina` and `libvirt.export-nova-metadata`, as the config file and the flags set them;
/// ``mode(collectsMetadata:)`` is what they add up to.
///
/// `libvirt.export-nova-metadata` is the flag of Debian's `prometheus-libvirt-exporter`, kept so
/// that its `ARGS` work unchanged: Nova's labels on Debian's families only make sense in Debian's
/// label layout, so it turns the compatibility mode on, unless `compat.kumina` is set to `false`,
/// which is a contradiction and an error.
struct CompatibilityChoices: Equatable {
    /// `compat.kumina`: Debian's exporter's families and labels beside virt-exporter's; `nil`
    /// when neither the file nor a flag set it.
    var kumina: Bool?
    /// `libvirt.export-nova-metadata`: Nova's `name`, `flavor` and `project_name` labels on every
    /// per-domain family of Debian's exporter.
    var exportsNovaMetadata = false

    /// The compatibility mode, or `nil` when it is off.
    ///
    /// - Parameters:
    ///   - collectsMetadata: whether the `metadata` part is on; the mode's `source_bridge` and Nova
    ///     labels come from the domain XML it reads, so the mode needs it.
    ///   - sourceFileOnBlockSeries: whether block series carry `source_file`, as Debian's do.
    func mode(collectsMetadata: Bool, sourceFileOnBlockSeries: Bool = true) throws(ConfigurationError)
        -> KuminaCompatibility?
    {
        if exportsNovaMetadata, kumina == false {
            throw ConfigurationError(
                "libvirt.export-nova-metadata: needs the compatibility mode, which compat.kumina switches off; drop one of them"
            )
        }
        guard kumina ?? exportsNovaMetadata else { return nil }
        guard collectsMetadata else {
            throw ConfigurationError(
                "compat.kumina: needs the metadata collector part (source_bridge and the Nova labels come from the domain XML), which is off; switch it on with --collector.metadata"
            )
        }
        guard sourceFileOnBlockSeries else {
            throw ConfigurationError(
                "compat.kumina: Debian's block families carry source_file, which collector.block-source-file takes off them; drop one of them"
            )
        }
        return KuminaCompatibility(exportsNovaMetadata: exportsNovaMetadata)
    }

    /// Choices are equal when they give the same mode: `compat.kumina` unset is off.
    static func == (lhs: CompatibilityChoices, rhs: CompatibilityChoices) -> Bool {
        (lhs.kumina ?? lhs.exportsNovaMetadata) == (rhs.kumina ?? rhs.exportsNovaMetadata)
            && lhs.exportsNovaMetadata == rhs.exportsNovaMetadata
    }
}
