import TestSupport
import Testing

@testable import virt_exporter

/// The web config file as exporter-toolkit defines it: which files are accepted, what they give,
/// and the error for each mistake, with the key and its line and column.
@Suite struct WebConfigParserTests {
    private let files: [String: String] = [
        "/etc/vx/server.pem": "CERT", "/etc/vx/server.key": "KEY", "/etc/vx/ca.pem": "CA",
    ]

    private func parse(_ yaml: String) throws(ConfigurationError) -> WebConfig {
        try WebConfigParser.parse(yaml: yaml, named: "web.yml") { name throws(ConfigurationError) in
            let full = name.hasPrefix("/") ? name : "/etc/vx/" + name
            guard let text = files[full] else { throw ConfigurationError("cannot read \(full)") }
            return Array(text.utf8)
        }
    }

    private func error(_ yaml: String) -> String? {
        do {
            _ = try parse(yaml)
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: ["", "# nothing\n", "---\n", "tls_server_config:\n", "tls_server_config: {}\n"])
    func anEmptyFileServesPlainHTTPWithoutAuth(yaml: String) throws {
        #expect(try parse(yaml) == WebConfig())
    }

    @Test func readsTLSWithFilesRelativeToTheConfigsFolder() throws {
        let config = try parse(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: /etc/vx/server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.pem
              client_allowed_sans: [scraper.example, 10.0.0.1]
              min_version: TLS13
              curve_preferences: [X25519, CurveP256]
              prefer_server_cipher_suites: false
            """)
        let tls = try #require(config.tls)
        #expect(tls.certificatePEM == Array("CERT".utf8))
        #expect(tls.keyPEM == Array("KEY".utf8))
        #expect(tls.clientCAPEM == Array("CA".utf8))
        #expect(tls.clientAuth == .requireAndVerify)
        #expect(tls.allowedSANs == ["scraper.example", "10.0.0.1"])
        #expect(tls.minVersion == .tls13)
        #expect(tls.priorities == "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1")
    }

    /// `client_allowed_sans:` with no value is no list at all, as in the toolkit; before, it was an
    /// empty list, which let no client in.
    @Test func aSANListWithoutAValueIsNoList() throws {
        let config = try parse(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  client_allowed_sans:\n"
        )
        #expect(config.tls?.clientAuth == .requireAndVerify)
        #expect(config.tls?.allowedSANs == nil)
    }

    @Test func inlineCertificatesAndTheDefaultVersions() throws {
        let config = try parse("tls_server_config:\n  cert: |\n    INLINE\n  key: SECRET\n")
        let tls = try #require(config.tls)
        #expect(tls.certificatePEM == Array("INLINE\n".utf8))
        #expect(tls.keyPEM == Array("SECRET".utf8))
        #expect(tls.clientAuth == .none)
        #expect(tls.priorities == "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE")
    }

    @Test(arguments: ClientAuthType.allCases)
    func everyClientAuthTypeIsAccepted(type: ClientAuthType) throws {
        let ca = type == .none ? "" : "\n  client_ca_file: ca.pem"
        let config = try parse(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: \(type.rawValue)\(ca)\n"
        )
        #expect(config.tls?.clientAuth == type)
    }

    @Test func readsUsersHeadersAndTheRateLimit() throws {
        let config = try parse(
            """
            basic_auth_users:
              alice: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG
            http_server_config:
              http2: true
              headers:
                X-Frame-Options: deny
                Strict-Transport-Security: max-age=31536000; includeSubDomains
                X-XSS-Protection: 1
            rate_limit:
              interval: 100ms
              burst: 5
            """)
        #expect(config.users == ["alice": "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"])
        #expect(config.headers.map(\.name) == ["Strict-Transport-Security", "X-Frame-Options", "X-XSS-Protection"])
        #expect(config.headers.last?.value == "1")
        #expect(config.rateLimit == WebConfig.RateLimit(interval: .milliseconds(100), burst: 5))
    }

    @Test(arguments: [
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: Sometimes\n",
            #""tls_server_config.client_auth_type" (line 4, column 21): must be one of NoClientCert"#
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_ca_file: ca.pem\n",
            #""tls_server_config.client_ca_file" (line 4, column 19): a client CA is set but client_auth_type is NoClientCert"#
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n",
            #"RequireAndVerifyClientCert needs client_ca_file or client_ca"#
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n",
            #""tls_server_config" (line 2, column 3): missing one of key or key_file"#
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS14\n",
            #""tls_server_config.min_version" (line 4, column 16): must be one of TLS10, TLS11, TLS12, TLS13"#
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS13\n  max_version: TLS12\n",
            "TLS13 is newer than max_version TLS12"
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
            #""tls_server_config.cipher_suites" (line 4, column 18): not supported: GnuTLS cannot limit"#
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  curve_preferences: [P256]\n",
            #"unknown curve "P256""#
        ),
        (
            "tls_server_config:\n  cert_file: missing.pem\n  key_file: server.key\n",
            #""tls_server_config.cert_file" (line 2, column 14): cannot read /etc/vx/missing.pem"#
        ),
        (
            "http_server_config:\n  headers:\n    X-Powered-By: swift\n",
            #""http_server_config.headers.X-Powered-By" (line 3, column 19): this header cannot be set"#
        ),
        (
            "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
            #"must be one of deny, sameorigin, got "allow""#
        ),
        (
            "http_server_config:\n  http2: maybe\n",
            #""http_server_config.http2" (line 2, column 10): must be true or false"#
        ),
        (
            "basic_auth_users:\n  bob: $2y$10$tooshort\n",
            #""basic_auth_users.bob" (line 2, column 8): must be a bcrypt hash"#
        ),
        ("basic_auth_users: [alice]\n", #""basic_auth_users" (line 1, column 19): must be a mapping"#),
        ("rate_limit:\n  interval: 1s\n", "rate_limit.burst\" (line 2, column 3): must be at least 1"),
        (
            "rate_limit:\n  interval: 1s\n  burst: many\n",
            #""rate_limit.burst" (line 3, column 10): must be a whole number"#
        ),
        ("tls_server_config:\n  cert_file: a\n  cert_file: b\n", "duplicate key cert_file at line 2, column 3"),
        ("web:\n  listen: 1\n", #""web" (line 1, column 1): unknown key"#),
        ("tls_server_config: [\n", "YAML syntax error at line 2, column 1"),
        ("a: b\n c: d\n", "YAML syntax error at line 2, column 3"),
        ("- 1\n- 2\n", #""(top level)" (line 1, column 1): must be a mapping"#),
        // A SAN list needs a certificate that was sent and verified: RequireAndVerifyClientCert.
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.pem\n  client_allowed_sans: [a]\n",
            #""tls_server_config.client_allowed_sans" (line 6, column 24): cannot be honoured with VerifyClientCertIfGiven"#
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [a]\n",
            "cannot be honoured with RequireAnyClientCert"
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_allowed_sans: [a]\n",
            "cannot be honoured with NoClientCert"
        ),
        (
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  client_allowed_sans: []\n",
            #""tls_server_config.client_allowed_sans" (line 6, column 24): an empty list lets no client in"#
        ),
        // Accepted before, and then nobody could log in or nothing was limited.
        (
            "basic_auth_users:\n  \"ops:team\": $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\n",
            #""basic_auth_users.ops:team" (line 2, column 3): a user name cannot contain ":""#
        ),
        (
            "rate_limit:\n  burst: 5\n",
            #""rate_limit.burst" (line 2, column 10): has no effect without rate_limit.interval"#
        ),
    ])
    func rejectsMistakesNamingTheKeyAndWhere(yaml: String, message: String) {
        let description = error(yaml)
        #expect(description?.hasPrefix("web config file web.yml: ") == true, "\(description ?? "no error")")
        #expect(description?.contains(message) == true, "\(description ?? "no error")")
        #expect(description?.contains("\n") == false, "one line")
    }

    @Test func theDeployExampleIsAValidWebConfig() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("deploy/web-config.example.yml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let config = try WebConfigParser.parse(yaml: text, named: url.path) { _ throws(ConfigurationError) in
            Array("PEM".utf8)
        }
        #expect(config.tls?.clientAuth == .requireAndVerify)
        #expect(config.users.count == 1)
    }
}
