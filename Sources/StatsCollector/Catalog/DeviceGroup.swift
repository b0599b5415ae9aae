/// Fields that repeat per device, vCPU, host CPU or monitor (`block.<n>.*`, `vcpu.<n>.*`, …), and
/// how their series are labelled: by other fields of the same device (its name, its path) or by
/// the index itself.
struct DeviceGroup: Sendable {
    /// Where one label's value comes from.
    enum LabelSource: Sendable {
        /// The field with this pattern, for the same indices; empty when libvirt leaves it out.
        case field(String)
        /// The index at this position in the field's indices.
        case index(Int)
    }

    /// The pattern prefix, such as `block.<n>.`.
    let prefix: String
    /// The labels after `domain`, in order.
    let labels: [(name: String, source: LabelSource)]

    /// Label names of a series in this group, `domain` first.
    var labelNames: [String] { ["domain"] + labels.map(\.name) }

    /// The fields this group reads as labels, never as values.
    var labelFields: [String] {
        labels.compactMap { if case .field(let pattern) = $0.source { pattern } else { nil } }
    }

    /// The values of this group's labels for a field with `indices`, read from `fields`.
    func labelValues(indices: [Substring], fields: [String: TypedValue]) -> [String] {
        labels.map { _, source in
            switch source {
            case .index(let position):
                position < indices.count ? String(indices[position]) : ""
            case .field(let pattern):
                FieldPattern.fill(pattern, with: indices).flatMap { fields[$0]?.labelText } ?? ""
            }
        }
    }

    /// A disk, by its target and the file (or device) behind it.
    static let block = DeviceGroup(
        prefix: "block.<n>.",
        labels: [("target_device", .field("block.<n>.name")), ("source_file", .field("block.<n>.path"))])
    /// A disk by its target only, for the value series when ``LabelLayout/sourceFileOnBlockSeries`` is off.
    static let blockTargetOnly = DeviceGroup(prefix: block.prefix, labels: [block.labels[0]])

    /// A network interface, by its target.
    static let interface = DeviceGroup(prefix: "net.<n>.", labels: [("target_device", .field("net.<n>.name"))])

    static let all: [DeviceGroup] = [
        block,
        interface,
        DeviceGroup(prefix: "vcpu.<n>.", labels: [("vcpu", .index(0))]),
        DeviceGroup(prefix: "dirtyrate.vcpu.<n>.", labels: [("vcpu", .index(0))]),
        DeviceGroup(prefix: "iothread.<n>.", labels: [("iothread", .index(0))]),
        DeviceGroup(
            prefix: "cpu.cache.monitor.<n>.bank.<n>.",
            labels: [
                ("monitor", .field("cpu.cache.monitor.<n>.name")),
                ("bank", .field("cpu.cache.monitor.<n>.bank.<n>.id")),
            ]),
        DeviceGroup(prefix: "cpu.cache.monitor.<n>.", labels: [("monitor", .field("cpu.cache.monitor.<n>.name"))]),
        DeviceGroup(
            prefix: "memory.bandwidth.monitor.<n>.node.<n>.",
            labels: [
                ("monitor", .field("memory.bandwidth.monitor.<n>.name")),
                ("node", .field("memory.bandwidth.monitor.<n>.node.<n>.id")),
            ]),
        DeviceGroup(
            prefix: "memory.bandwidth.monitor.<n>.", labels: [("monitor", .field("memory.bandwidth.monitor.<n>.name"))]),
        DeviceGroup(prefix: "cpustats.<n>.", labels: [("cpu", .index(0))]),
    ]

    /// The most specific group a field pattern belongs to, if any.
    static func containing(_ pattern: String) -> DeviceGroup? {
        var best: DeviceGroup?
        for group in all where pattern.hasPrefix(group.prefix) && group.prefix.count > (best?.prefix.count ?? 0) {
            best = group
        }
        return best
    }

    /// Label names for a series of a field with `pattern`: `domain`, then its group's.
    static func labelNames(for pattern: String) -> [String] {
        containing(pattern)?.labelNames ?? ["domain"]
    }
}
