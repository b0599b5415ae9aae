/// An info series: always 1, labelled with string or enum fields that must never be values
/// (a disk's backing index, a job's type and operation, a dirty-rate mode, a monitor's vCPUs).
/// One series per domain, or per device when the fields are per device.
struct InfoDescriptor: Sendable {
    /// One label: its name, the field it comes from, and names for enum codes.
    struct InfoLabel: Sendable {
        let name: String
        let field: String
        /// Names for the field's integer codes; `nil` when the field's text is the label value.
        let names: [Int64: String]?

        init(_ name: String, from field: String, names: [Int64: String]? = nil) {
            self.name = name
            self.field = field
            self.names = names
        }
    }

    /// How the series appears in the catalog.
    let descriptor: MetricDescriptor
    /// The labels after the domain's (and the device's), in order.
    let infoLabels: [InfoLabel]
    /// The patterns of the fields the labels come from.
    let fields: Set<String>

    init(metric: String, help: String, labels infoLabels: [InfoLabel]) {
        let group = DeviceGroup.containing(infoLabels[0].field)
        self.infoLabels = infoLabels
        self.fields = Set(infoLabels.map(\.field))
        self.descriptor = MetricDescriptor(
            metric: metric, type: .gauge, help: help, source: infoLabels.map(\.field).joined(separator: ", "),
            labels: (group?.labelNames ?? ["domain"]) + infoLabels.map(\.name))
    }

    /// The device group of the fields, if they repeat per device.
    var group: DeviceGroup? { DeviceGroup.containing(infoLabels[0].field) }
}
