import PromFormat

/// The job families of the last collection, kept as each domain's lines, and compressed in
/// pieces of ``domainsPerPiece`` domains, so that a job update recompresses one piece per family
/// it changes, whatever the number of domains.
///
/// Domains are numbered in name order. The piece of a family for domains `k × domainsPerPiece`
/// and on holds their lines in that order; piece 0 starts with the family's `# HELP` and `# TYPE`
/// lines and exists for as long as any domain has a series in the family, so the pieces in order
/// are the family's exposition text.
struct JobFamilyPieces {
    /// Domains per piece: enough lines for zlib to find the repeats of metric and label names
    /// between them, few enough that recompressing one is cheap.
    static let domainsPerPiece = 32

    /// One domain's lines of one family.
    struct Lines {
        /// The family, for its header.
        let family: MetricFamily
        /// Its sample lines.
        let text: [UInt8]
    }

    private struct Family {
        var header: [UInt8]
        var lines: [Int: [UInt8]] = [:]
        var pieces: [Int: CompressedPiece] = [:]
    }

    private var families: [String: Family] = [:]

    /// Adds the lines of the domain numbered `index`, while a collection is built; then
    /// ``compressAll(with:)``.
    mutating func add(_ lines: [String: Lines], ofDomainAt index: Int) {
        for (name, domainLines) in lines {
            families[name, default: Family(header: Self.header(of: domainLines.family))].lines[index] = domainLines.text
        }
    }

    /// Compresses every piece of every family.
    mutating func compressAll(with compressor: borrowing Gzip.Compressor) {
        for name in Array(families.keys) {
            let chunks = Set(families[name]!.lines.keys.map { $0 / Self.domainsPerPiece }).union([0])
            for chunk in chunks { compress(chunk, of: name, with: compressor) }
        }
    }

    /// Replaces every job line of the domain numbered `index` with `lines`, and recompresses the
    /// pieces whose text changed. A family that loses its last series goes, header and all.
    mutating func replace(_ lines: [String: Lines], ofDomainAt index: Int, with compressor: borrowing Gzip.Compressor) {
        let chunk = index / Self.domainsPerPiece
        for name in Set(families.keys).union(lines.keys) {
            let new = lines[name]?.text
            guard families[name]?.lines[index] != new else { continue }
            if let new {
                families[name, default: Family(header: Self.header(of: lines[name]!.family))].lines[index] = new
            } else {
                families[name]!.lines[index] = nil
                if families[name]!.lines.isEmpty {
                    families[name] = nil
                    continue
                }
            }
            compress(chunk, of: name, with: compressor)
            if chunk != 0, families[name]!.pieces[0] == nil { compress(0, of: name, with: compressor) }
        }
    }

    /// The pieces of the families whose names start with `prefix`, in name order.
    func pieces(withPrefix prefix: String) -> [CompressedPiece] {
        families.keys.filter { $0.hasPrefix(prefix) }.sorted().flatMap { name in
            let pieces = families[name]!.pieces
            return pieces.keys.sorted().map { pieces[$0]! }
        }
    }

    private mutating func compress(_ chunk: Int, of name: String, with compressor: borrowing Gzip.Compressor) {
        let text = self.text(of: chunk, of: name)
        families[name]!.pieces[chunk] = text.isEmpty ? nil : compressor.piece(text)
    }

    private func text(of chunk: Int, of name: String) -> [UInt8] {
        guard let family = families[name] else { return [] }
        var text = chunk == 0 ? family.header : []
        let first = chunk * Self.domainsPerPiece
        for index in first..<first + Self.domainsPerPiece {
            if let lines = family.lines[index] { text += lines }
        }
        return text
    }

    private static func header(of family: MetricFamily) -> [UInt8] {
        var header: [UInt8] = []
        TextEncoder.encodeHeader(of: family, into: &header)
        return header
    }
}
