/// The host's NUMA cells as its capabilities XML describes them (`<host><topology><cells>`): what
/// libvirt places domains on. libvirt's documentation warns that `virNodeGetInfo` can be wrong on
/// hosts with several cells; the capabilities XML is its own account.
struct HostTopology: Sendable, Equatable {
    /// One NUMA cell.
    struct Cell: Sendable, Equatable {
        /// The cell's number, `<cell id>`.
        var id: Int
        /// Its memory, `<memory>`; `nil` when the XML gives none or in a unit not known here.
        var memoryBytes: UInt64?
        /// Its logical CPUs, `<cpus num>`.
        var cpus: Int?
    }

    /// The cells, in the XML's order.
    var cells: [Cell]
    /// The page sizes of huge pages, in KiB: every `<pages size>` of the cells but the smallest,
    /// which is the base page.
    var hugePageSizes: [UInt32]

    /// How many cells the per-cell calls must cover: up to the highest cell number.
    var cellSpan: Int { (cells.map(\.id).max() ?? -1) + 1 }

    /// The topology in a capabilities XML; `nil` when the XML has none (some drivers describe no
    /// cells) or is not well-formed.
    init?(capabilitiesXML xml: String) {
        guard
            let cellElements = LibXML.parse(xml)?.child("host")?.child("topology")?.child("cells")?
                .children(named: "cell"), !cellElements.isEmpty
        else { return nil }
        var cells: [Cell] = []
        var pageSizes: Set<UInt32> = []
        for element in cellElements {
            guard let id = element.attributes["id"].flatMap({ Int($0) }), id >= 0 else { return nil }
            let memory = element.child("memory").flatMap {
                Self.bytes(of: $0.text, unit: $0.attributes["unit"] ?? "KiB")
            }
            let cpus = element.child("cpus")?.attributes["num"].flatMap { Int($0) }
            cells.append(Cell(id: id, memoryBytes: memory, cpus: cpus))
            for pages in element.children(named: "pages") {
                guard pages.attributes["unit"] ?? "KiB" == "KiB",
                    let size = pages.attributes["size"].flatMap({ UInt32($0) })
                else { continue }
                pageSizes.insert(size)
            }
        }
        self.cells = cells
        self.hugePageSizes = Array(pageSizes.sorted().dropFirst())
    }

    /// Creates a topology.
    init(cells: [Cell], hugePageSizes: [UInt32]) {
        self.cells = cells
        self.hugePageSizes = hugePageSizes
    }

    /// `text` in `unit` (libvirt's scaled-integer units), in bytes; `nil` for a unit not known here.
    static func bytes(of text: String, unit: String) -> UInt64? {
        guard let value = UInt64(text.filter { !$0.isWhitespace }) else { return nil }
        let scale: UInt64? =
            switch unit {
            case "b", "bytes": 1
            case "KiB", "k", "K": 1 << 10
            case "MiB", "m", "M": 1 << 20
            case "GiB", "g", "G": 1 << 30
            case "KB": 1000
            case "MB": 1_000_000
            case "GB": 1_000_000_000
            default: nil
            }
        guard let scale else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }
}
