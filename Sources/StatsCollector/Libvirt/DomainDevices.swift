import FoundationXML

/// The disks and interfaces listed in a domain's XML, for the per-domain stats calls that need
/// device names (`virDomainBlockStats`, `virDomainInterfaceStats`).
struct DomainDevices {
    /// A disk: its target (`vda`) and its source file, if it has one.
    struct Disk: Equatable {
        let target: String
        let source: String?
    }

    /// Disks with a target, in XML order.
    let disks: [Disk]
    /// Interface targets (`vnet0`), in XML order; interfaces without a target are left out.
    let interfaces: [String]

    /// Reads `xml`; malformed XML gives no devices.
    init(xml: String) {
        guard let document = try? XMLDocument(xmlString: xml, options: []) else {
            disks = []
            interfaces = []
            return
        }
        disks = ((try? document.nodes(forXPath: "/domain/devices/disk")) ?? []).compactMap { node in
            guard let element = node as? XMLElement, let target = Self.attribute("target", "dev", in: element) else {
                return nil
            }
            let source = Self.attribute("source", "file", in: element) ?? Self.attribute("source", "dev", in: element)
            return Disk(target: target, source: source)
        }
        interfaces = ((try? document.nodes(forXPath: "/domain/devices/interface")) ?? []).compactMap { node in
            (node as? XMLElement).flatMap { Self.attribute("target", "dev", in: $0) }
        }
    }

    private static func attribute(_ child: String, _ name: String, in element: XMLElement) -> String? {
        element.elements(forName: child).first?.attribute(forName: name)?.stringValue
    }
}
