import Foundation
import TestSupport
import Testing

/// The built binary with `--web.config.file`: TLS with a CA made at test time, client
/// certificates, protocol versions, basic auth, certificate rotation and bad files.
@Suite(.serialized) struct WebConfigLiveTests {
    /// A bcrypt hash (cost 4, to keep tests fast) of "scrape-secret".
    static let secretHash = "$2b$04$9aZ4aEZwdA58hft2y6cb.uqUNwJrfGQqXUNL/VqJufBzF5M2m2Eem"

    private func writeWebConfig(_ text: String, in certificates: TestCertificates, name: String = "web.yml") throws
        -> String
    {
        let path = certificates.path(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A web config that asks for a client certificate signed by the test CA, then `extra`.
    private func mutualTLSConfig(_ certificates: TestCertificates, extra: String = "", name: String = "web.yml")
        throws -> String
    {
        try writeWebConfig(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.pem

            """ + extra, in: certificates, name: name)
    }

    private func exporter(webConfig: String) throws -> ExporterProcess {
        let exporter = try ExporterProcess([
            "--libvirt.uri", "test:///default", "--collector.interval", "1m", "--web.config.file", webConfig,
        ])
        return exporter
    }

    /// Fetches `url` until it is no longer `503` (the first collection has not finished), for up
    /// to 15 s: a loaded machine may take a while to collect the test driver's domains.
    private func fetchWhenReady(_ url: String, _ options: [String]) throws -> CurlReply {
        var reply = try CurlReply.fetch(url, options)
        for _ in 0..<150 where reply.status == 503 {
            Thread.sleep(forTimeInterval: 0.1)
            reply = try CurlReply.fetch(url, options)
        }
        return reply
    }

    @Test func servesTLSAndChecksClientCertificates() throws {
        let certificates = try TestCertificates()
        let exporter = try exporter(webConfig: try mutualTLSConfig(certificates))
        let url = "https://127.0.0.1:\(exporter.port)/metrics"
        let trusted = ["--cacert", certificates.caCertificate]

        let accepted = try fetchWhenReady(
            url, trusted + ["--cert", certificates.clientCertificate, "--key", certificates.clientKey])
        #expect(accepted.status == 200, "\(accepted.message)")
        let exposition = ParsedExposition(accepted.text)
        #expect(exposition.value("libvirt_up") == 1)
        #expect(exposition.malformedLines.isEmpty, "\(exposition.malformedLines.prefix(3))")

        let noCertificate = try CurlReply.fetch(url, trusted)
        #expect(noCertificate.status == 0, "refused without a client certificate")
        let stranger = try CurlReply.fetch(
            url, trusted + ["--cert", certificates.strangerCertificate, "--key", certificates.strangerKey])
        #expect(stranger.status == 0, "refused with a certificate no client CA signed")
        let plain = try? HTTPReply.fetch(port: exporter.port, path: "/metrics")
        #expect(plain?.status != 200, "no plain HTTP on the TLS port")

        let metrics = ParsedExposition(
            try CurlReply.fetch(
                url, trusted + ["--cert", certificates.clientCertificate, "--key", certificates.clientKey]
            )
            .text)
        #expect(
            (metrics.value("libvirt_exporter_http_rejected_connections_total", ["reason": "client_certificate"]) ?? 0)
                >= 1)
        #expect(exporter.terminate() == 0)
    }

    @Test func closesAStalledTLSHandshakeAtTheHeaderDeadline() throws {
        let certificates = try TestCertificates()
        let config = try writeWebConfig(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n", in: certificates)
        let exporter = try ExporterProcess([
            "--libvirt.uri", "test:///default", "--web.config.file", config, "--web.header-timeout", "1s",
        ])
        let connection = try RawConnection(port: exporter.port)
        let start = Date()
        let reply = connection.readUntilClosed(seconds: 5)
        let elapsed = Date().timeIntervalSince(start)
        #expect(reply.closed)
        #expect(elapsed > 0.9 && elapsed < 3, "closed after \(elapsed) s")
    }

    /// What each client certificate gets under `client_auth_type`: none, one signed by the client
    /// CA, and a self-signed one. 200 means served; 0, refused (handshake failed or connection closed).
    @Test(arguments: [
        ("RequestClientCert", [200, 200, 200]),
        ("RequireAnyClientCert", [0, 200, 200]),
        ("VerifyClientCertIfGiven", [200, 200, 0]),
        ("RequireAndVerifyClientCert", [0, 200, 0]),
    ])
    func appliesEachClientAuthType(type: String, expected: [Int]) throws {
        let certificates = try TestCertificates()
        let config = try writeWebConfig(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: \(type)
              client_ca_file: ca.pem
            """, in: certificates)
        let exporter = try exporter(webConfig: config)
        let url = "https://127.0.0.1:\(exporter.port)/-/healthy"
        let trusted = ["--cacert", certificates.caCertificate]
        let statuses = try [
            CurlReply.fetch(url, trusted).status,
            CurlReply.fetch(url, trusted + ["--cert", certificates.clientCertificate, "--key", certificates.clientKey])
                .status,
            CurlReply.fetch(
                url, trusted + ["--cert", certificates.strangerCertificate, "--key", certificates.strangerKey]
            )
            .status,
        ]
        #expect(statuses == expected, "\(type)")
    }

    @Test func offersOnlyThePreferredCurves() throws {
        let certificates = try TestCertificates()
        let config = try writeWebConfig(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              curve_preferences: [X25519]
            """, in: certificates)
        let exporter = try exporter(webConfig: config)
        let url = "https://127.0.0.1:\(exporter.port)/-/healthy"
        let trusted = ["--cacert", certificates.caCertificate]
        #expect(try CurlReply.fetch(url, trusted + ["--curves", "X25519"]).status == 200)
        #expect(try CurlReply.fetch(url, trusted + ["--curves", "P-384"]).status == 0)
    }

    @Test func checksTheAllowedSANs() throws {
        let certificates = try TestCertificates()
        let client = [
            "--cacert", certificates.caCertificate, "--cert", certificates.clientCertificate, "--key",
            certificates.clientKey,
        ]
        let allowed = try exporter(
            webConfig: try mutualTLSConfig(certificates, extra: "  client_allowed_sans: [scraper.example]\n"))
        #expect(try fetchWhenReady("https://127.0.0.1:\(allowed.port)/metrics", client).status == 200)
        let refused = try exporter(
            webConfig: try mutualTLSConfig(
                certificates, extra: "  client_allowed_sans: [someone.else]\n", name: "web2.yml"))
        #expect(try CurlReply.fetch("https://127.0.0.1:\(refused.port)/metrics", client).status == 0)
    }

    /// A SAN list is honoured only against a certificate that was sent and verified against the
    /// client CA, so only `RequireAndVerifyClientCert` takes one: with every other type a client
    /// could get in without an allowed SAN (no certificate, or a self-signed one that claims it), and
    /// the exporter refuses to start. Before, `VerifyClientCertIfGiven` served a client without any
    /// certificate (curl got 200).
    @Test(arguments: ["NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven"])
    func refusesASANListThatCannotBeHonoured(type: String) throws {
        let certificates = try TestCertificates()
        let ca = type == "NoClientCert" ? "" : "  client_ca_file: ca.pem\n"
        let config = try writeWebConfig(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: \(type)\n" + ca
                + "  client_allowed_sans: [scraper.example]\n", in: certificates)
        let result = try Command.run(
            ExporterProcess.binary.path,
            ["--libvirt.uri", "test:///default", "--web.listen-address", "127.0.0.1:0", "--web.config.file", config],
            timeout: 10)
        #expect(result.status == 2, "\(type): \(result.output)")
        #expect(
            result.output.contains(#""tls_server_config.client_allowed_sans" (line 6"#)
                || result.output.contains(#""tls_server_config.client_allowed_sans" (line 5"#),
            "\(result.output)")
        #expect(result.output.contains("RequireAndVerifyClientCert"), "says what works: \(result.output)")
        #expect(result.output.split(separator: "\n").count == 1, "one line: \(result.output)")
    }

    /// Under `RequireAndVerifyClientCert` with a SAN list, only a certificate signed by the client
    /// CA and carrying an allowed SAN gets in: not one without a certificate, not a self-signed one
    /// that claims the SAN (curl and openssl s_client), nor a self-signed one without it
    /// (``checksTheAllowedSANs`` has one signed by the CA without it).
    @Test func honoursTheSANListOnlyOnAVerifiedCertificate() throws {
        let certificates = try TestCertificates()
        let exporter = try exporter(
            webConfig: try mutualTLSConfig(certificates, extra: "  client_allowed_sans: [scraper.example]\n"))
        let url = "https://127.0.0.1:\(exporter.port)/metrics"
        let trusted = ["--cacert", certificates.caCertificate]
        let accepted = try fetchWhenReady(
            url, trusted + ["--cert", certificates.clientCertificate, "--key", certificates.clientKey])
        #expect(accepted.status == 200, "\(accepted.message)")
        #expect(try CurlReply.fetch(url, trusted).status == 0, "no certificate")
        let impostor = try CurlReply.fetch(
            url, trusted + ["--cert", certificates.impostorCertificate, "--key", certificates.impostorKey])
        #expect(impostor.status == 0, "a self-signed certificate claiming the SAN")

        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        func openssl(_ certificate: String, _ key: String) throws -> String {
            try Command.run(
                "/usr/bin/openssl",
                [
                    "s_client", "-connect", "127.0.0.1:\(exporter.port)", "-CAfile", certificates.caCertificate,
                    "-cert", certificate, "-key", key, "-quiet", "-ign_eof",
                ], input: request, timeout: 20
            ).output
        }
        let client = try openssl(certificates.clientCertificate, certificates.clientKey)
        #expect(client.contains("HTTP/1.1 200"), "openssl s_client with the client certificate: \(client)")
        let impostorReply = try openssl(certificates.impostorCertificate, certificates.impostorKey)
        #expect(!impostorReply.contains("HTTP/1.1 200"), "openssl s_client with the impostor: \(impostorReply)")
        let stranger = try CurlReply.fetch(
            url, trusted + ["--cert", certificates.strangerCertificate, "--key", certificates.strangerKey])
        #expect(stranger.status == 0, "self-signed, without the SAN")
    }

    @Test func refusesTLS12WhenTheMinimumIsTLS13() throws {
        let certificates = try TestCertificates()
        let config = try writeWebConfig(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              min_version: TLS13
            """, in: certificates)
        let exporter = try exporter(webConfig: config)
        let url = "https://127.0.0.1:\(exporter.port)/-/healthy"
        let tls12 = try CurlReply.fetch(url, ["--cacert", certificates.caCertificate, "--tls-max", "1.2"])
        #expect(tls12.status == 0)
        #expect(tls12.exitStatus == 35, "a TLS handshake failure: \(tls12.message)")
        let tls13 = try CurlReply.fetch(url, ["--cacert", certificates.caCertificate, "--tlsv1.3"])
        #expect(tls13.status == 200, "\(tls13.message)")
    }

    @Test func asksForBasicAuthAndSetsTheConfiguredHeaders() throws {
        let certificates = try TestCertificates()
        let config = try writeWebConfig(
            """
            basic_auth_users:
              prometheus: \(Self.secretHash)
            http_server_config:
              headers:
                X-Frame-Options: deny
                X-Content-Type-Options: nosniff
            """, in: certificates)
        let exporter = try exporter(webConfig: config)
        let url = "http://127.0.0.1:\(exporter.port)/metrics"
        let right = try fetchWhenReady(url, ["-u", "prometheus:scrape-secret"])
        #expect(right.status == 200)
        #expect(right.headers["x-frame-options"] == "deny")
        #expect(right.headers["x-content-type-options"] == "nosniff")
        #expect(try CurlReply.fetch(url, ["-u", "prometheus:scrape-secret"]).status == 200, "the cached check")
        for options in [["-u", "prometheus:wrong"], ["-u", "nobody:scrape-secret"], []] {
            let refused = try CurlReply.fetch(url, options)
            #expect(refused.status == 401, "\(options)")
            #expect(refused.headers["www-authenticate"]?.hasPrefix("Basic") == true, "\(options)")
            #expect(refused.headers["x-frame-options"] == "deny")
        }
    }

    @Test func picksUpARotatedCertificateWithoutARestart() throws {
        let certificates = try TestCertificates(serverName: "first")
        let config = try writeWebConfig(
            """
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
            """, in: certificates)
        let exporter = try exporter(webConfig: config)
        let url = "https://127.0.0.1:\(exporter.port)/-/healthy"
        let options = ["--cacert", certificates.caCertificate, "-v"]
        #expect(try CurlReply.fetch(url, options).message.contains("CN=first"))

        try certificates.issueServerCertificate("rotated", subject: "second")
        for name in ["key", "pem"] {
            #expect(rename(certificates.path("rotated.\(name)"), certificates.path("server.\(name)")) == 0)
        }
        var subject = ""
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let reply = try CurlReply.fetch(url, options)
            if reply.status == 200 && reply.message.contains("CN=second") {
                subject = "second"
                break
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(subject == "second", "the new certificate is served within 5 s; log:\n\(exporter.log)")

        try "tls_server_config: [broken".write(toFile: config, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try CurlReply.fetch(url, options).status == 200, "a broken file keeps the settings in force")
        #expect(exporter.log.contains("YAML syntax error at line"), "\(exporter.log)")
        #expect(exporter.log.contains("keeping the settings in force"))
    }

    @Test(arguments: [
        (
            "tls_server_config:\n  cert_file: a.pem\n  key_fil: a.key\n",
            #""tls_server_config.key_fil" (line 3, column 3): unknown key"#
        ),
        ("tls_serverconfig:\n  cert_file: a.pem\n", #""tls_serverconfig" (line 1, column 1): unknown key"#),
        (
            "basic_auth_users:\n  alice: plaintext\n",
            #""basic_auth_users.alice" (line 2, column 10): must be a bcrypt hash"#
        ),
        ("tls_server_config:\n  cert_file: [a\n", "YAML syntax error at line 3, column 1"),
        (
            "tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n",
            #""tls_server_config.cert_file" (line 2, column 14): cannot read /nonexistent.pem"#
        ),
        (
            "tls_server_config:\n  key_file: x.key\n",
            #""tls_server_config" (line 2, column 3): missing one of cert or cert_file"#
        ),
    ])
    func rejectsABadWebConfigWithStatus2(yaml: String, message: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-web-\(UUID()).yml")
        defer { try? FileManager.default.removeItem(at: file) }
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let result = try Command.run(ExporterProcess.binary.path, ["--web.config.file", file.path])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("web config file \(file.path): \(message)"), "\(result.output)")
        #expect(result.output.split(separator: "\n").count == 1, "one line: \(result.output)")
    }

    @Test func refusesAKeyThatDoesNotBelongToTheCertificate() throws {
        let certificates = try TestCertificates()
        let config = try writeWebConfig(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: stranger.key\n", in: certificates)
        let result = try Command.run(ExporterProcess.binary.path, ["--web.config.file", config])
        #expect(result.status == 2, "\(result.output)")
        #expect(
            result.output.contains(
                #""tls_server_config.key_file": the private key does not belong to the certificate"#),
            "\(result.output)")
        try "not a certificate".write(toFile: certificates.path("server.pem"), atomically: true, encoding: .utf8)
        let garbage = try Command.run(ExporterProcess.binary.path, ["--web.config.file", config])
        #expect(garbage.status == 2)
        #expect(garbage.output.contains(#""tls_server_config.cert_file": no PEM certificate"#), "\(garbage.output)")
    }

    @Test func listensOnSeveralAddresses() throws {
        let second = try freeLoopbackPort()
        let exporter = try ExporterProcess([
            "--libvirt.uri", "test:///default", "--web.listen-address", "127.0.0.2:\(second)",
        ])
        #expect(try HTTPReply.fetch(port: exporter.port, path: "/-/healthy").status == 200)
        // The first "listening" line gave the port; the second address's may follow a moment later.
        let deadline = Date().addingTimeInterval(10)
        while !exporter.log.contains("address=127.0.0.2:\(second)"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(exporter.log.contains("address=127.0.0.2:\(second)"), "\(exporter.log)")
        #expect(try CurlReply.fetch("http://127.0.0.2:\(second)/-/healthy").status == 200)
    }
}
