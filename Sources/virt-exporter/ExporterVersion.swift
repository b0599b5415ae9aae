/// The exporter's version, reported by `--version` and `libvirt_exporter_build_info`. This is the
/// one place it is written: `scripts/package` reads it from the built binary's `--version`.
enum ExporterVersion {
    static let number = "0.1.0"
    /// The commit the binary was built from (`Plugins/BuildRevision`): from git in a checkout, from
    /// the `COMMIT` file in a source tarball, else `unknown`.
    static let revision = buildRevision
    /// What `--version` prints: `virt-exporter 0.1.0 (commit 529ea55…)`.
    static let description = "virt-exporter \(number) (commit \(revision))"
}
