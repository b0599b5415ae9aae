import PromFormat

/// One label of `libvirt_domain_metadata_info`, read from a domain's `<metadata>` element: the
/// element of a namespace the user names (OpenNebula's, oVirt's, their own), and a path inside it.
///
/// A path is element names separated by `/`, the first being the namespace's element directly
/// inside `<metadata>`, optionally ending in `@attribute`: `fleet/owner/team` is the text of
/// `<fleet:fleet><fleet:owner><fleet:team>`; `fleet/@tier` is the `tier` attribute of
/// `<fleet:fleet>`. Names match an element's local name, whatever its prefix; the first element
/// must be in the namespace, the ones below it may be in any.
public struct MetadataLabel: Sendable, Equatable {
    /// The label's name in the series.
    public let label: String
    /// The namespace URI of the metadata element.
    public let namespace: String
    /// The element names from the metadata element down.
    public let elements: [String]
    /// The attribute of the last element whose value is the label's, or `nil` for its text.
    public let attribute: String?

    /// The most labels `libvirt_domain_metadata_info` may carry: each is a label of every domain's series.
    public static let limit = 16

    /// Why a label's definition cannot be read.
    public struct Invalid: Error, Sendable, Equatable {
        /// What is wrong, for an error message that names the config key.
        public let reason: String
    }

    /// Checks and parses one label's definition.
    ///
    /// - Throws: ``Invalid`` when the label name is not a Prometheus label name or is `domain`
    ///   (every series has that), the namespace is empty, or the path is not element names with
    ///   at most a final `@attribute`.
    public init(label: String, namespace: String, path: String) throws(Invalid) {
        guard !label.hasPrefix("__"), label != "domain" else {
            throw Invalid(reason: "\"\(label)\" is reserved: names starting with __ and \"domain\" are taken")
        }
        guard MetricName.isValidLabelName(label) else {
            throw Invalid(reason: "\"\(label)\" is not a label name: letters, digits and _, not first a digit")
        }
        guard !namespace.isEmpty, !namespace.contains(where: \.isWhitespace) else {
            throw Invalid(reason: "the namespace must be a URI, without spaces, got \"\(namespace)\"")
        }
        var steps = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var attribute: String?
        if let last = steps.last, last.hasPrefix("@") {
            attribute = String(last.dropFirst())
            steps.removeLast()
        }
        guard !steps.isEmpty, steps.allSatisfy(Self.isXMLName), attribute.map(Self.isXMLName) ?? true else {
            throw Invalid(
                reason: "the path \"\(path)\" must be element names separated by /, optionally ending in @attribute")
        }
        self.label = label
        self.namespace = namespace
        self.elements = steps
        self.attribute = attribute
    }

    /// The label's value in a domain's `<metadata>` element: the text (trimmed) or attribute at
    /// the path, `nil` when the path leads nowhere or to an empty value.
    func value(in metadata: XMLElementValue) -> String? {
        guard
            var element = metadata.children.first(where: { $0.name == elements[0] && $0.namespaceURI == namespace })
        else { return nil }
        for name in elements.dropFirst() {
            guard let child = element.child(name) else { return nil }
            element = child
        }
        let value = attribute.map { element.attributes[$0] ?? "" } ?? element.text
        let trimmed = value.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        return trimmed.isEmpty ? nil : String(trimmed)
    }

    /// An XML local name without a prefix: no spaces, slashes, colons, quotes or brackets.
    private static func isXMLName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains { $0.isWhitespace || ":/@[]()='\"<>*".contains($0) }
    }
}
