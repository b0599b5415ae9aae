/// Reads `tls_server_config` the way exporter-toolkit does: TLS is on when any of the certificate,
/// key, client CA or client auth keys is set, and then the certificate and key must be given.
enum TLSSection {
    private static let knownKeys = [
        "cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file",
        "client_allowed_sans", "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites",
        "curve_preferences",
    ]

    static func parse(
        _ node: YAMLNode, file: FileContext, readFile: (String) throws(ConfigurationError) -> [UInt8]
    ) throws(ConfigurationError) -> TLSSettings? {
        var values: [String: (text: String, node: YAMLNode)] = [:]
        var settings = TLSSettings(certificatePEM: [], keyPEM: [])
        var allowedSANs: (names: [String], node: YAMLNode)?
        for (key, keyNode, value) in try file.mapping(node, path: "tls_server_config") {
            let path = "tls_server_config.\(key)"
            switch key {
            case "cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file",
                "min_version", "max_version":
                values[key] = (try file.string(value, path: path), value)
            case "client_allowed_sans":
                let names = try file.strings(value, path: path)
                // The key without a value (YAML null) is no list, as in the toolkit; `[]` is an empty one.
                if case .sequence = value { allowedSANs = (names, value) }
            case "prefer_server_cipher_suites":
                settings.preferServerCipherSuites = try file.bool(value, path: path)
            case "cipher_suites":
                if try !file.strings(value, path: path).isEmpty {
                    throw file.error(
                        path, at: value,
                        "not supported: GnuTLS cannot limit TLS 1.2 to a list of single cipher suites; "
                            + "remove the key to use GnuTLS' default suites (TLS 1.3 suites are never configurable)")
                }
            case "curve_preferences":
                for name in try file.strings(value, path: path) {
                    guard let curve = TLSCurve(rawValue: name) else {
                        throw file.error(
                            path, at: value,
                            "unknown curve \"\(name)\"; known are \(TLSCurve.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    settings.curves.append(curve)
                }
            default:
                throw file.unknownKey(path, at: keyNode, known: knownKeys)
            }
        }
        func text(_ key: String) -> String { values[key]?.text ?? "" }
        let enabled = ["cert", "key", "client_ca", "cert_file", "key_file", "client_ca_file", "client_auth_type"]
            .contains { !text($0).isEmpty }
        guard enabled else { return nil }

        for (key, _) in [("min_version", 0), ("max_version", 1)] {
            guard let entry = values[key] else { continue }
            guard let version = TLSVersion(name: entry.text) else {
                throw file.error(
                    "tls_server_config.\(key)", at: entry.node,
                    "must be one of TLS10, TLS11, TLS12, TLS13, got \"\(entry.text)\"")
            }
            if key == "min_version" { settings.minVersion = version } else { settings.maxVersion = version }
        }
        if settings.minVersion > settings.maxVersion {
            throw file.error(
                "tls_server_config.min_version", at: values["min_version"]?.node ?? node,
                "\(settings.minVersion.name) is newer than max_version \(settings.maxVersion.name)")
        }

        settings.certificatePEM =
            try pem(
                "cert", "cert_file", values: values, node: node, file: file, readFile: readFile, required: true) ?? []
        settings.keyPEM =
            try pem(
                "key", "key_file", values: values, node: node, file: file, readFile: readFile, required: true) ?? []
        settings.clientCAPEM = try pem(
            "client_ca", "client_ca_file", values: values, node: node, file: file, readFile: readFile, required: false)

        guard let clientAuth = ClientAuthType(name: text("client_auth_type")) else {
            throw file.error(
                "tls_server_config.client_auth_type", at: values["client_auth_type"]?.node ?? node,
                "must be one of \(ClientAuthType.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text("client_auth_type"))\""
            )
        }
        settings.clientAuth = clientAuth
        if settings.clientCAPEM != nil && clientAuth == .none {
            throw file.error(
                "tls_server_config.client_ca_file",
                at: values["client_ca_file"]?.node ?? values["client_ca"]?.node ?? node,
                "a client CA is set but client_auth_type is NoClientCert; set client_auth_type")
        }
        if clientAuth.verifiesCertificate && settings.clientCAPEM == nil {
            throw file.error(
                "tls_server_config.client_auth_type", at: values["client_auth_type"]?.node ?? node,
                "\(clientAuth.rawValue) needs client_ca_file or client_ca")
        }
        if let allowedSANs {
            try checkAllowedSANs(allowedSANs.names, at: allowedSANs.node, clientAuth: clientAuth, file: file)
            settings.allowedSANs = allowedSANs.names
        }
        return settings
    }

    /// A SAN list is honoured only against a client certificate that was sent and verified against
    /// the client CA, which only `RequireAndVerifyClientCert` asks for: under any other type a client
    /// without a certificate, or with a self-signed one that claims an allowed SAN, would get in. So
    /// such a list is refused (the toolkit takes it with any type), and so is an empty one, which
    /// would let nobody in.
    private static func checkAllowedSANs(
        _ names: [String], at node: YAMLNode, clientAuth: ClientAuthType, file: FileContext
    ) throws(ConfigurationError) {
        let path = "tls_server_config.client_allowed_sans"
        guard clientAuth == .requireAndVerify else {
            throw file.error(
                path, at: node,
                "cannot be honoured with \(clientAuth.rawValue): SANs are checked only on a client certificate that "
                    + "was sent and verified against client_ca_file; set client_auth_type: "
                    + "\(ClientAuthType.requireAndVerify.rawValue), or remove the list")
        }
        guard !names.isEmpty else {
            throw file.error(
                path, at: node,
                "an empty list lets no client in; remove the key to accept any certificate the client CA signed")
        }
    }

    /// The PEM given inline under `inlineKey` or in the file under `fileKey` (the file wins, as in
    /// the toolkit).
    private static func pem(
        _ inlineKey: String, _ fileKey: String, values: [String: (text: String, node: YAMLNode)], node: YAMLNode,
        file: FileContext, readFile: (String) throws(ConfigurationError) -> [UInt8], required: Bool
    ) throws(ConfigurationError) -> [UInt8]? {
        if let entry = values[fileKey], !entry.text.isEmpty {
            do {
                return try readFile(entry.text)
            } catch {
                throw file.error("tls_server_config.\(fileKey)", at: entry.node, error.description)
            }
        }
        if let entry = values[inlineKey], !entry.text.isEmpty { return Array(entry.text.utf8) }
        guard required else { return nil }
        throw file.error("tls_server_config", at: node, "missing one of \(inlineKey) or \(fileKey)")
    }
}
