import StatsCollector

/// The `collector.<part>` switches, `collector.disable-defaults`, the domain patterns and the
/// family and device patterns, as the config file and the flags set them; ``scope`` is what they
/// add up to.
struct CollectorChoices: Equatable {
    /// Parts switched on or off by name, the flags' choices over the file's.
    var parts: [CollectorPart: Bool] = [:]
    /// `collector.disable-defaults`: every part is off unless switched on by name.
    var disableDefaults = false
    /// `collector.domain-include`: a regular expression the whole domain name must match.
    var includePattern: String?
    /// `collector.domain-exclude`: a regular expression no domain name may wholly match.
    var excludePattern: String?
    /// `collector.metadata-labels`: the labels of `libvirt_domain_metadata_info`.
    var metadataLabels: [MetadataLabel] = []
    /// `collector.metrics-include` and `-exclude`, `collector.block.device-include` and `-exclude`,
    /// `collector.interface.device-include` and `-exclude`.
    var selection = SelectionPatterns()
    /// `collector.inactive-domains`: whether defined domains that do not run appear.
    var inactiveDomains = true
    /// `collector.guest-report-file`: the guest agent's report, for the guest part.
    var guestReportPath = CollectionScope.defaultGuestReportPath

    /// What to collect.
    var scope: CollectionScope {
        var scope = CollectionScope(
            parts: Set(CollectorPart.allCases.filter { parts[$0] ?? (!disableDefaults && $0.isDefault) }),
            includePattern: includePattern, excludePattern: excludePattern, metadataLabels: metadataLabels,
            inactiveDomains: inactiveDomains, selection: selection)
        scope.guestReportPath = guestReportPath
        return scope
    }

    /// Checks that every part of a group that is switched on has its group on: `vcpu-kvm` without
    /// `vcpu` would export nothing.
    func validate() throws(ConfigurationError) {
        let on = scope.parts
        for part in CollectorPart.allCases where on.contains(part) && parts[part] == true {
            guard let parent = part.parent, !on.contains(parent) else { continue }
            throw ConfigurationError(
                "collector part \(part.rawValue) is some of the \(parent.rawValue) part's families, which is off: switch \(parent.rawValue) on too (--collector.\(parent.rawValue))"
            )
        }
    }

    /// Choices are equal when they collect the same: switching a part on that is on by default
    /// changes nothing.
    static func == (lhs: CollectorChoices, rhs: CollectorChoices) -> Bool {
        lhs.scope == rhs.scope
    }

    /// A config file's `collector.domain-include` or `-exclude`: a pattern that compiles, or `null` for none.
    static func pattern(_ value: JSONValue, from origin: String) throws(ConfigurationError) -> String? {
        if case .null = value { return nil }
        return try checked(value.string(origin), from: origin)
    }

    /// A config file's `collector.metadata-labels`: an array of at most ``MetadataLabel/limit``
    /// objects `{"label": …, "namespace": …, "path": …}` with distinct labels.
    static func metadataLabels(_ value: JSONValue, from origin: String) throws(ConfigurationError) -> [MetadataLabel] {
        guard case .array(let entries) = value else {
            throw ConfigurationError(
                "\(origin) must be an array of {\"label\", \"namespace\", \"path\"} objects, got \(value.typeName)")
        }
        guard entries.count <= MetadataLabel.limit else {
            throw ConfigurationError(
                "\(origin) holds \(entries.count) labels; at most \(MetadataLabel.limit) are allowed, since each is a label on every domain's metadata series"
            )
        }
        var labels: [MetadataLabel] = []
        for (position, entry) in entries.enumerated() {
            let entryOrigin = "\(origin)[\(position)]"
            guard case .object(let fields) = entry else {
                throw ConfigurationError("\(entryOrigin) must be an object, got \(entry.typeName)")
            }
            if let unknown = fields.keys.sorted().first(where: { !["label", "namespace", "path"].contains($0) }) {
                throw ConfigurationError(
                    "\(entryOrigin): unknown key \"\(unknown)\"; known keys are label, namespace, path")
            }
            func text(_ key: String) throws(ConfigurationError) -> String {
                guard let field = fields[key] else { throw ConfigurationError("\(entryOrigin): \"\(key)\" is missing") }
                return try field.string("\(entryOrigin).\(key)")
            }
            let (name, namespace, path) = try (text("label"), text("namespace"), text("path"))
            let label: MetadataLabel
            do {
                label = try MetadataLabel(label: name, namespace: namespace, path: path)
            } catch {
                throw ConfigurationError("\(entryOrigin): \(error.reason)")
            }
            guard !labels.contains(where: { $0.label == label.label }) else {
                throw ConfigurationError("\(entryOrigin): the label \"\(label.label)\" is defined twice")
            }
            labels.append(label)
        }
        return labels
    }

    /// A config file's or flag's file name: absolute, so that it does not depend on the directory
    /// the exporter starts in.
    static func checkedPath(_ path: String, from origin: String) throws(ConfigurationError) -> String {
        guard path.hasPrefix("/") else {
            throw ConfigurationError("\(origin): must be an absolute path, got \"\(path)\"")
        }
        return path
    }

    /// `pattern`, after checking that it compiles.
    static func checked(_ pattern: String, from origin: String) throws(ConfigurationError) -> String {
        do {
            _ = try Regex(pattern)
        } catch {
            throw ConfigurationError("\(origin): not a valid regular expression: \"\(pattern)\" (\(error))")
        }
        return pattern
    }
}
