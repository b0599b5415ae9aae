public import Foundation

/// A test CA with a server certificate for 127.0.0.1 and three client certificates, one signed by
/// the CA and two self-signed, made with `openssl` in a temporary folder that is removed on deinit.
public final class TestCertificates {
    /// The folder holding every file below.
    public let directory: URL

    public var caCertificate: String { path("ca.pem") }
    public var serverCertificate: String { path("server.pem") }
    public var serverKey: String { path("server.key") }
    /// Signed by the CA, for TLS client authentication, SAN `DNS:scraper.example`.
    public var clientCertificate: String { path("client.pem") }
    public var clientKey: String { path("client.key") }
    /// Self-signed: no CA vouches for it.
    public var strangerCertificate: String { path("stranger.pem") }
    public var strangerKey: String { path("stranger.key") }
    /// Self-signed, with the client's SAN `DNS:scraper.example`: it claims a name no CA vouches for.
    public var impostorCertificate: String { path("impostor.pem") }
    public var impostorKey: String { path("impostor.key") }

    private static let openssl = "/usr/bin/openssl"

    /// Makes the CA and the certificates; `serverName` goes into the server certificate's subject.
    public init(serverName: String = "virt-exporter-test") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=virt-exporter test CA",
        ])
        try issue(
            "server", subject: serverName,
            extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        try issue(
            "client", subject: "scraper",
            extensions: "subjectAltName=DNS:scraper.example\nextendedKeyUsage=clientAuth\n")
        try run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            path("stranger.key"), "-out", path("stranger.pem"), "-days", "2", "-subj", "/CN=stranger",
            "-addext", "extendedKeyUsage=clientAuth",
        ])
        try run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            path("impostor.key"), "-out", path("impostor.pem"), "-days", "2", "-subj", "/CN=impostor",
            "-addext", "extendedKeyUsage=clientAuth", "-addext", "subjectAltName=DNS:scraper.example",
        ])
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The full path of `name` in ``directory``.
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Issues a new server certificate signed by the CA into `name`.pem/`name`.key, for rotation tests.
    public func issueServerCertificate(_ name: String, subject: String) throws {
        try issue(name, subject: subject, extensions: "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    }

    private func issue(_ name: String, subject: String, extensions: String) throws {
        try run([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(subject)",
        ])
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try run([
            "x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("\(name).pem"), "-days", "2", "-extfile", path("\(name).ext"),
        ])
    }

    private func run(_ arguments: [String]) throws {
        let result = try Command.run(Self.openssl, arguments)
        guard result.status == 0 else {
            throw HTTPTestError("openssl \(arguments.joined(separator: " ")): \(result.output)")
        }
    }
}
