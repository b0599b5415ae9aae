import StatsCollector

/// The `collector.<part>` switches, `collector.disable-defaults` and the domain patterns, as the
/// config file and the flags set them; ``scope`` is what they add up to.
struct CollectorChoices: Equatable {
    /// Parts switched on or off by name, the flags' choices over the file's.
    var parts: [CollectorPart: Bool] = [:]
    /// `collector.disable-defaults`: every part is off unless switched on by name.
    var disableDefaults = false
    /// `collector.domain-include`: a regular expression the whole domain name must match.
    var includePattern: String?
    /// `collector.domain-exclude`: a regular expression no domain name may wholly match.
    var excludePattern: String?

    /// What to collect.
    var scope: CollectionScope {
        CollectionScope(
            parts: Set(CollectorPart.allCases.filter { parts[$0] ?? (!disableDefaults && $0.isDefault) }),
            includePattern: includePattern, excludePattern: excludePattern)
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
