/// The settings of the exporter-toolkit web configuration file (`--web.config.file`): TLS, basic
/// auth, extra response headers and a request rate limit. ``WebConfigParser`` reads the file into
/// it; the files it names are read too, so that two values are equal only if the served
/// certificates are.
struct WebConfig: Equatable, Sendable {
    /// HTTPS settings; `nil` serves plain HTTP.
    var tls: TLSSettings?
    /// User names and their bcrypt hashes; empty means no authentication.
    var users: [String: String] = [:]
    /// Extra response headers, sorted by name.
    var headers: [HeaderField] = []
    /// The token bucket behind `rate_limit`; `nil` when off.
    var rateLimit: RateLimit?

    /// One extra response header.
    struct HeaderField: Equatable, Sendable {
        let name: String
        let value: String
    }

    /// `rate_limit`: one token every `interval`, at most `burst` saved up.
    struct RateLimit: Equatable, Sendable {
        let interval: Duration
        let burst: Int
    }
}

/// `tls_server_config`, with the certificate, key and client CA read.
struct TLSSettings: Equatable, Sendable {
    /// The server's certificate chain, PEM.
    var certificatePEM: [UInt8]
    /// The server's private key, PEM.
    var keyPEM: [UInt8]
    /// What is asked of a client's certificate.
    var clientAuth: ClientAuthType = .none
    /// The CAs a client's certificate must chain to, PEM.
    var clientCAPEM: [UInt8]?
    /// If set, a client's certificate must carry one of these SANs (DNS, IP, e-mail or URI).
    var allowedSANs: [String]?
    /// The oldest protocol version accepted.
    var minVersion = TLSVersion.tls12
    /// The newest protocol version accepted.
    var maxVersion = TLSVersion.tls13
    /// Key exchange groups in preference order; empty for GnuTLS' default.
    var curves: [TLSCurve] = []
    /// Whether the server's order of preference wins over the client's.
    var preferServerCipherSuites = true

    /// The GnuTLS priority string these settings give.
    var priorities: String {
        var parts = ["NORMAL", "-VERS-ALL"]
        for version in TLSVersion.allCases.reversed() where version >= minVersion && version <= maxVersion {
            parts.append("+" + version.gnuTLSName)
        }
        if !curves.isEmpty {
            parts.append("-GROUP-ALL")
            parts += curves.map { "+" + $0.gnuTLSName }
        }
        if preferServerCipherSuites { parts.append("%SERVER_PRECEDENCE") }
        return parts.joined(separator: ":")
    }
}

/// `client_auth_type`, named as Go's `crypto/tls` names them.
enum ClientAuthType: String, CaseIterable, Sendable {
    /// `NoClientCert`: no certificate is asked for.
    case none = "NoClientCert"
    /// `RequestClientCert`: asked for, not required, not verified.
    case request = "RequestClientCert"
    /// `RequireAnyClientCert`: required, not verified.
    case requireAny = "RequireAnyClientCert"
    /// `VerifyClientCertIfGiven`: not required, verified if given.
    case verifyIfGiven = "VerifyClientCertIfGiven"
    /// `RequireAndVerifyClientCert`: required and verified.
    case requireAndVerify = "RequireAndVerifyClientCert"

    /// Parses a value, with the toolkit's old spelling `RequireClientCert` for `RequireAnyClientCert`.
    init?(name: String) {
        if name == "RequireClientCert" {
            self = .requireAny
        } else if name.isEmpty {
            self = .none
        } else {
            self.init(rawValue: name)
        }
    }

    /// Whether a client without a certificate is refused.
    var requiresCertificate: Bool { self == .requireAny || self == .requireAndVerify }
    /// Whether a given certificate must chain to the client CA.
    var verifiesCertificate: Bool { self == .verifyIfGiven || self == .requireAndVerify }
}

/// `min_version`/`max_version`.
enum TLSVersion: Int, CaseIterable, Comparable, Sendable {
    case tls10, tls11, tls12, tls13

    /// Parses `TLS10` … `TLS13`.
    init?(name: String) {
        guard let version = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = version
    }

    /// The name in the web config file.
    var name: String { "TLS1\(rawValue)" }
    /// The name in a GnuTLS priority string.
    var gnuTLSName: String { "VERS-TLS1.\(rawValue)" }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// `curve_preferences`, named as Go names them.
enum TLSCurve: String, CaseIterable, Sendable {
    case p256 = "CurveP256"
    case p384 = "CurveP384"
    case p521 = "CurveP521"
    case x25519 = "X25519"

    /// The name in a GnuTLS priority string.
    var gnuTLSName: String {
        switch self {
        case .p256: "GROUP-SECP256R1"
        case .p384: "GROUP-SECP384R1"
        case .p521: "GROUP-SECP521R1"
        case .x25519: "GROUP-X25519"
        }
    }
}
