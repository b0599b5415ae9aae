/// The text `virsh domstats --raw` prints, parsed into each domain's fields and their raw text values.
public struct DomstatsText {
    /// Field values by domain name, then by field name.
    public let domains: [String: [String: String]]

    public init(_ text: String) {
        var domains: [String: [String: String]] = [:]
        var current: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Domain: '") {
                let name = String(line.dropFirst("Domain: '".count).dropLast())
                current = name
                domains[name] = [:]
            } else if let current, let equals = line.firstIndex(of: "=") {
                let field = line[..<equals].drop { $0 == " " }
                domains[current]?[String(field)] = String(line[line.index(after: equals)...])
            }
        }
        self.domains = domains
    }
}
