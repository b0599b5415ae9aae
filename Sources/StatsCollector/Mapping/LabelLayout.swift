/// Choices about the labels of the domain series that the user makes for the whole exporter.
public struct LabelLayout: Sendable, Equatable {
    /// Whether every block device series carries the disk's `source_file` (the default, as the Go
    /// exporters have it). When not, only `libvirt_domain_block_info` does, so that a fleet whose
    /// image paths change on every snapshot or block copy does not start new series for every
    /// counter of the disk each time.
    public var sourceFileOnBlockSeries: Bool
    /// The families and labels of Debian's `prometheus-libvirt-exporter` to add beside ours
    /// (``KuminaCompatibility``), or `nil`.
    public var kumina: KuminaCompatibility?

    /// Creates a layout; the defaults are today's labels.
    public init(sourceFileOnBlockSeries: Bool = true, kumina: KuminaCompatibility? = nil) {
        self.sourceFileOnBlockSeries = sourceFileOnBlockSeries
        self.kumina = kumina
    }

    /// The group whose labels a value series of `group` carries; info series keep `group`'s own.
    func valueSeriesGroup(_ group: DeviceGroup) -> DeviceGroup {
        sourceFileOnBlockSeries || group.prefix != DeviceGroup.block.prefix ? group : DeviceGroup.blockTargetOnly
    }
}
