import StatsCollector

/// Reads the exporter-toolkit web configuration file: YAML, every key optional, an unknown key or a
/// bad value an error that names the key with its line and column. Relative file names are taken
/// from the file's directory, as the toolkit does.
enum WebConfigParser {
    /// The headers `http_server_config.headers` may set, with the values allowed (`nil`: any).
    static let allowedHeaders: [String: [String]?] = [
        "Strict-Transport-Security": nil, "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"], "X-XSS-Protection": nil, "Content-Security-Policy": nil,
    ]

    /// Reads and checks the file at `path`, and the certificate files it names.
    static func load(fileAt path: String) throws(ConfigurationError) -> WebConfig {
        let text: String
        do {
            text = try FileBytes.readText(path)
        } catch {
            throw ConfigurationError("web config file \(path): cannot be read: \(error)")
        }
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        return try parse(yaml: text, named: path) { name throws(ConfigurationError) in
            let full = name.hasPrefix("/") ? name : directory + "/" + name
            do {
                return try FileBytes.read(full)
            } catch {
                throw ConfigurationError("cannot read \(full): \(error)")
            }
        }
    }

    /// Parses `yaml`, read from the file called `name`; `readFile` reads a file the config names.
    static func parse(
        yaml: String, named name: String, readFile: (String) throws(ConfigurationError) -> [UInt8]
    ) throws(ConfigurationError) -> WebConfig {
        let root: YAMLNode?
        do {
            root = try LibYAML.compose(yaml.utf8)
        } catch {
            throw ConfigurationError("web config file \(name): \(error)")
        }
        var config = WebConfig()
        guard let root, !Self.isNull(root) else { return config }
        let file = FileContext(name: name)
        for (key, keyNode, value) in try file.mapping(root, path: nil) {
            switch key {
            case "tls_server_config": config.tls = try TLSSection.parse(value, file: file, readFile: readFile)
            case "basic_auth_users": config.users = try parseUsers(value, file: file)
            case "http_server_config": config.headers = try parseHTTPServerConfig(value, file: file)
            case "rate_limit": config.rateLimit = try parseRateLimit(value, file: file)
            default:
                throw file.unknownKey(
                    key, at: keyNode,
                    known: [
                        "tls_server_config", "basic_auth_users",
                        "http_server_config", "rate_limit",
                    ])
            }
        }
        return config
    }

    private static func isNull(_ node: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private static func parseUsers(_ node: YAMLNode, file: FileContext) throws(ConfigurationError) -> [String: String] {
        var users: [String: String] = [:]
        for (user, userNode, value) in try file.mapping(node, path: "basic_auth_users") {
            // RFC 7617: the user-id ends at the first colon, so such a user could never log in.
            guard !user.contains(":") else {
                throw file.error("basic_auth_users.\(user)", at: userNode, "a user name cannot contain \":\"")
            }
            let hash = try file.string(value, path: "basic_auth_users.\(user)")
            guard BcryptHash.isWellFormed(hash) else {
                throw file.error(
                    "basic_auth_users.\(user)", at: value,
                    "must be a bcrypt hash ($2a$, $2b$ or $2y$, such as htpasswd -nBC 10 makes)")
            }
            users[user] = hash
        }
        return users
    }

    private static func parseHTTPServerConfig(_ node: YAMLNode, file: FileContext) throws(ConfigurationError)
        -> [WebConfig.HeaderField]
    {
        var headers: [WebConfig.HeaderField] = []
        for (key, keyNode, value) in try file.mapping(node, path: "http_server_config") {
            switch key {
            case "http2":
                // HTTP/2 is not served (libmicrohttpd speaks HTTP/1.1); clients fall back to it.
                _ = try file.bool(value, path: "http_server_config.http2")
            case "headers":
                for (header, _, valueNode) in try file.mapping(value, path: "http_server_config.headers") {
                    let path = "http_server_config.headers.\(header)"
                    let text = try file.string(valueNode, path: path)
                    guard let allowed = allowedHeaders[header] else {
                        throw file.error(
                            path, at: valueNode,
                            "this header cannot be set; allowed are \(allowedHeaders.keys.sorted().joined(separator: ", "))"
                        )
                    }
                    if let allowed, !allowed.contains(text) {
                        throw file.error(
                            path, at: valueNode, "must be one of \(allowed.joined(separator: ", ")), got \"\(text)\"")
                    }
                    if !text.isEmpty { headers.append(.init(name: header, value: text)) }
                }
            default: throw file.unknownKey("http_server_config.\(key)", at: keyNode, known: ["http2", "headers"])
            }
        }
        return headers.sorted { $0.name < $1.name }
    }

    private static func parseRateLimit(_ node: YAMLNode, file: FileContext) throws(ConfigurationError)
        -> WebConfig.RateLimit?
    {
        var interval = Duration.zero
        var burst = 0
        var burstNode = node
        for (key, keyNode, value) in try file.mapping(node, path: "rate_limit") {
            switch key {
            case "interval":
                let text = try file.string(value, path: "rate_limit.interval")
                guard let parsed = PrometheusDuration.parse(text), parsed <= .seconds(86_400) else {
                    throw file.error(
                        "rate_limit.interval", at: value, "must be a duration up to 1d such as \"1s\", got \"\(text)\"")
                }
                interval = parsed
            case "burst":
                burst = try file.integer(value, path: "rate_limit.burst", range: 0...1_000_000)
                burstNode = value
            default: throw file.unknownKey("rate_limit.\(key)", at: keyNode, known: ["interval", "burst"])
            }
        }
        guard interval > .zero else {
            // The toolkit, too, limits nothing without an interval; a burst alone is a mistake.
            guard burst == 0 else {
                throw file.error("rate_limit.burst", at: burstNode, "has no effect without rate_limit.interval")
            }
            return nil
        }
        guard burst > 0 else {
            throw file.error("rate_limit.burst", at: node, "must be at least 1 when rate_limit.interval is set")
        }
        return .init(interval: interval, burst: burst)
    }
}

/// Typed access to the nodes of one web config file, with errors that name the key and its place.
struct FileContext {
    let name: String

    /// The error for the value at `path`; keys and values it quotes keep it on one line.
    func error(_ path: String, at node: YAMLNode, _ problem: String) -> ConfigurationError {
        ConfigurationError(
            "web config file \(name): \"\(path)\" (line \(node.mark.line), column \(node.mark.column)): \(problem)"
                .escapingControlCharacters)
    }

    func unknownKey(_ path: String, at node: YAMLNode, known: [String]) -> ConfigurationError {
        error(path, at: node, "unknown key; known keys here are \(known.joined(separator: ", "))")
    }

    /// The entries of a mapping, in file order: each key as a string and as a node (for its place
    /// in errors), and its value.
    func mapping(_ node: YAMLNode, path: String?) throws(ConfigurationError) -> [(String, YAMLNode, YAMLNode)] {
        if case .scalar(let scalar) = node, scalar.style == .plain,
            ["", "~", "null"].contains(scalar.string)
        {
            return []
        }
        guard case .mapping(let pairs, _) = node else {
            throw error(path ?? "(top level)", at: node, "must be a mapping of keys to values")
        }
        // LibYAML refuses a key that appears twice in a mapping.
        var entries: [(String, YAMLNode, YAMLNode)] = []
        for (key, value) in pairs {
            guard case .scalar(let keyScalar) = key else {
                throw error(path ?? "(top level)", at: key, "keys must be plain strings")
            }
            entries.append((keyScalar.string, key, value))
        }
        return entries
    }

    /// A scalar as text (YAML `1` is the string "1", as Go's YAML reads it into a string).
    func string(_ node: YAMLNode, path: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw error(path, at: node, "must be a string") }
        return scalar.string
    }

    /// A list of scalars.
    func strings(_ node: YAMLNode, path: String) throws(ConfigurationError) -> [String] {
        if case .scalar(let scalar) = node, scalar.style == .plain, ["", "~", "null"].contains(scalar.string) {
            return []
        }
        guard case .sequence(let sequence, _) = node else { throw error(path, at: node, "must be a list of strings") }
        var result: [String] = []
        for item in sequence { result.append(try string(item, path: path)) }
        return result
    }

    /// `true` or `false` (and YAML 1.1's yes/no/on/off, which Go's YAML accepts).
    func bool(_ node: YAMLNode, path: String) throws(ConfigurationError) -> Bool {
        let text = try string(node, path: path).lowercased()
        switch text {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(path, at: node, "must be true or false, got \"\(text)\"")
        }
    }

    /// A whole number in `range`.
    func integer(_ node: YAMLNode, path: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let text = try string(node, path: path)
        guard let value = Int(text), range.contains(value) else {
            throw error(
                path, at: node,
                "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }
}
