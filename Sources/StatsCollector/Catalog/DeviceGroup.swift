/// Fields that repeat per device or per vCPU (`block.<n>.*`, `net.<n>.*`, `vcpu.<n>.*`), and how
/// their series are labelled: by other fields of the same device (its name, its path) or by the index.
struct DeviceGroup: Sendable {
    /// Where one label's value comes from.
    enum LabelSource: Sendable {
        /// The string field with this pattern, for the same index; empty when libvirt leaves it out.
        case field(String)
        /// The index itself.
        case index
    }

    /// The pattern prefix, such as `block.<n>.`.
    let prefix: String
    /// The labels after `domain`, in order.
    let labels: [(name: String, source: LabelSource)]

    /// Label names of a series in this group, `domain` first.
    var labelNames: [String] { ["domain"] + labels.map(\.name) }

    /// The string fields this group reads as labels, never as values.
    var labelFields: [String] {
        labels.compactMap { if case .field(let pattern) = $0.source { pattern } else { nil } }
    }

    static let block = DeviceGroup(
        prefix: "block.<n>.",
        labels: [("target_device", .field("block.<n>.name")), ("source_file", .field("block.<n>.path"))])
    static let interface = DeviceGroup(prefix: "net.<n>.", labels: [("target_device", .field("net.<n>.name"))])
    static let vcpu = DeviceGroup(prefix: "vcpu.<n>.", labels: [("vcpu", .index)])

    static let all = [block, interface, vcpu]

    /// The group a field pattern belongs to, if any.
    static func containing(_ pattern: String) -> DeviceGroup? {
        all.first { pattern.hasPrefix($0.prefix) }
    }
}
