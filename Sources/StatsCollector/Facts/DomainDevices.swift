/// The disks and interfaces listed in a domain's XML, for the per-domain stats calls that need
/// device names (`virDomainBlockStats`, `virDomainInterfaceStats`).
struct DomainDevices: Equatable {
    /// A disk: its target (`vda`) and its source file or device, if it has one.
    struct Disk: Equatable {
        let target: String
        let source: String?
    }

    /// Disks with a target, in XML order.
    let disks: [Disk]
    /// Interface targets (`vnet0`), in XML order; interfaces without a target are left out.
    let interfaces: [String]

    /// Reads the domain XML `xml`; malformed XML gives no devices.
    init(xml: String) {
        let devices = LibXML.parse(xml).flatMap { $0.name == "domain" ? $0.child("devices") : nil }
        disks = (devices?.children(named: "disk") ?? []).compactMap { disk in
            guard let target = disk.child("target")?.attributes["dev"] else { return nil }
            let source = disk.child("source").flatMap { $0.attributes["file"] ?? $0.attributes["dev"] }
            return Disk(target: target, source: source)
        }
        interfaces = (devices?.children(named: "interface") ?? []).compactMap { $0.child("target")?.attributes["dev"] }
    }
}
