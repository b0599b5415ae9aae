import PromFormat

/// What a domain's XML description says that changes rarely: OpenStack Nova's metadata, the
/// metadata labels the user configured, and the details of its disks and interfaces. Added to the
/// domain's record as catalog fields (``MetricCatalog/NovaFacts``, ``MetricCatalog/MetadataFacts``,
/// ``MetricCatalog/DiskFacts``, ``MetricCatalog/InterfaceFacts``), which label the info series.
struct DomainFacts: Sendable, Equatable {
    /// A configured metadata label and its value in this domain, `nil` where the path leads nowhere.
    struct LabelValue: Sendable, Equatable {
        let label: String
        let value: String?
    }

    /// Nova's labels by field name; empty when the domain has no Nova metadata.
    let nova: [String: String]
    /// The configured metadata labels in their order, each with its value or `nil`; empty when the
    /// domain has none of them.
    let metadataLabels: [LabelValue]
    /// Each disk's details by its target (`vda`), byte for byte: field suffix → value.
    let disks: [ExactText: [String: String]]
    /// Each interface's details by its target (`vnet0`), byte for byte: field suffix → value.
    let interfaces: [ExactText: [String: String]]

    /// The balloon's statistics period in seconds (0: none set); `nil` without a balloon device.
    let memoryStatsPeriod: Int64?

    /// Reads the XML description `xml` of the domain whose UUID is `uuid` (Nova's instance UUID is
    /// the domain's), with the configured `labels`; malformed XML gives no facts.
    init(xml: String, uuid: String, labels: [MetadataLabel] = []) {
        let domain = LibXML.parse(xml).flatMap { $0.name == "domain" ? $0 : nil }
        nova = domain.flatMap { Self.nova(in: $0, uuid: uuid) } ?? [:]
        let metadata = domain?.child("metadata")
        let values = labels.map { LabelValue(label: $0.label, value: metadata.flatMap($0.value)) }
        metadataLabels = values.contains { $0.value != nil } ? values : []
        let devices = domain?.child("devices")
        disks = Self.byTarget(devices?.children(named: "disk") ?? [], Self.diskDetails)
        interfaces = Self.byTarget(devices?.children(named: "interface") ?? [], Self.interfaceDetails)
        memoryStatsPeriod = devices.flatMap { Self.memoryStatsPeriod(in: $0) }
    }

    /// The fields these facts add to `record`: Nova's, and each disk's and interface's at the index
    /// libvirt gave the device (`block.<n>.name`, `net.<n>.name`).
    func parameters(for record: DomainStats) -> [TypedParameter] {
        var result = nova.sorted { $0.key < $1.key }.map { TypedParameter(field: $0.key, value: .string($0.value)) }
        for label in metadataLabels {
            let field = MetricCatalog.MetadataFacts.prefix + label.label
            result.append(TypedParameter(field: field, value: .string(label.value ?? "")))
        }
        if let memoryStatsPeriod, record.isActive {
            result.append(TypedParameter(field: MetricCatalog.memoryStatsPeriodField, value: .llong(memoryStatsPeriod)))
        }
        for parameter in record.parameters where parameter.field.hasSuffix(".name") {
            guard case .string(let target) = parameter.value else { continue }
            let pattern = FieldPattern(field: parameter.field).pattern
            let details: [String: String]?
            switch pattern {
            case MetricCatalog.BlockFallback.name: details = disks[ExactText(target)]
            case MetricCatalog.InterfaceFallback.name: details = interfaces[ExactText(target)]
            default: details = nil
            }
            guard let details else { continue }
            // `block.3.name` → `block.3.bus`, …
            let device = parameter.field.dropLast("name".count)
            for (suffix, value) in details.sorted(by: { $0.key < $1.key }) {
                result.append(TypedParameter(field: device + suffix, value: .string(value)))
            }
        }
        return result
    }

    private static func nova(in domain: XMLElementValue, uuid: String) -> [String: String]? {
        guard
            let instance = domain.child("metadata")?.children.first(where: {
                $0.name == "instance" && ($0.namespaceURI ?? "").hasPrefix(MetricCatalog.novaNamespacePrefix)
            })
        else { return nil }
        typealias Nova = MetricCatalog.NovaFacts
        let owner = instance.child("owner")
        let values: [String: String?] = [
            Nova.instanceName: instance.child("name")?.text,
            Nova.instanceID: uuid,
            Nova.flavorName: instance.child("flavor")?.attributes["name"],
            Nova.userName: owner?.child("user")?.text,
            Nova.userID: owner?.child("user")?.attributes["uuid"],
            Nova.projectName: owner?.child("project")?.text,
            Nova.projectID: owner?.child("project")?.attributes["uuid"],
        ]
        return values.compactMapValues { $0.flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// `<memballoon model='virtio'><stats period='10'/></memballoon>`: 10; 0 without `<stats>`;
    /// `nil` without a balloon (`model='none'`, or no element) or with a period that is no number.
    private static func memoryStatsPeriod(in devices: XMLElementValue) -> Int64? {
        guard let balloon = devices.child("memballoon"), balloon.attributes["model"] != "none" else { return nil }
        guard let period = balloon.child("stats")?.attributes["period"] else { return 0 }
        return Int64(period).flatMap { $0 >= 0 ? $0 : nil }
    }

    private static func byTarget(_ devices: [XMLElementValue], _ details: (XMLElementValue) -> [String: String?])
        -> [ExactText: [String: String]]
    {
        var result: [ExactText: [String: String]] = [:]
        for device in devices {
            guard let target = device.child("target")?.attributes["dev"] else { continue }
            result[ExactText(target)] = details(device).compactMapValues { $0.flatMap { $0.isEmpty ? nil : $0 } }
        }
        return result
    }

    /// `<disk type='network'><driver type='raw' cache='none'/><source protocol='rbd' name='pool/vol'/>
    /// <target dev='vda' bus='virtio'/><serial>…</serial></disk>`
    private static func diskDetails(_ disk: XMLElementValue) -> [String: String?] {
        let source = disk.child("source")
        return [
            "disk_type": disk.attributes["type"], "driver_type": disk.child("driver")?.attributes["type"],
            "bus": disk.child("target")?.attributes["bus"], "cache": disk.child("driver")?.attributes["cache"],
            "serial": disk.child("serial")?.text, "source_protocol": source?.attributes["protocol"],
            "source_name": source?.attributes["name"],
        ]
    }

    /// `<interface type='bridge'><mac address='…'/><source bridge='br0'/><model type='virtio'/>
    /// <target dev='vnet0'/></interface>`
    private static func interfaceDetails(_ interface: XMLElementValue) -> [String: String?] {
        [
            "mac": interface.child("mac")?.attributes["address"],
            "source_bridge": interface.child("source")?.attributes["bridge"],
            "model": interface.child("model")?.attributes["type"], "type": interface.attributes["type"],
        ]
    }
}
