/// The exporter's version, reported by `--version` and `libvirt_exporter_build_info`.
enum ExporterVersion {
    static let number = "0.1.0"
}
