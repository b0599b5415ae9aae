import CGnuTLS
import Glibc
import Synchronization

/// Why a certificate, key or CA could not be used.
struct TLSMaterialError: Error, CustomStringConvertible {
    /// The key of the web config file at fault.
    let key: String
    let problem: String
    var description: String { "\"tls_server_config.\(key)\": \(problem)" }
}

/// GnuTLS' view of a ``TLSSettings``: the server's certificate chain and key, and the client CA
/// trust list. This file and ``KeyedDigest``'s, beside it, are the only ones that touch GnuTLS;
/// every GnuTLS object made here is owned by one class that frees it.
final class TLSMaterial: Sendable {
    /// The settings this was made from.
    let settings: TLSSettings
    fileprivate let certificate: ServerCertificate
    private let clientTrust: ClientTrust?

    /// Loads `settings`' certificate, key and client CA; throws naming the key at fault.
    init(_ settings: TLSSettings) throws(TLSMaterialError) {
        self.settings = settings
        certificate = try ServerCertificate(certificatePEM: settings.certificatePEM, keyPEM: settings.keyPEM)
        clientTrust = try settings.clientCAPEM.map { pem throws(TLSMaterialError) in try ClientTrust(pem: pem) }
    }

    // MARK: Sessions

    /// Prepares a new connection's TLS session (a `gnutls_session_t` from libmicrohttpd): asks for a
    /// client certificate as `client_auth_type` says, and sets the protocol versions and groups.
    /// Returns `false` if GnuTLS refused the settings.
    func prepare(session: UnsafeMutableRawPointer) -> Bool {
        let session = OpaquePointer(session)
        switch settings.clientAuth {
        case .none: break
        case .request, .verifyIfGiven: gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST)
        case .requireAny, .requireAndVerify: gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE)
        }
        return gnutls_priority_set_direct(session, settings.priorities, nil) == GNUTLS_E_SUCCESS
    }

    /// What a request's client certificate is worth under these settings.
    enum ClientVerdict: Equatable {
        case accepted
        /// Refused, with the reason for the log.
        case refused(String)
    }

    /// Checks the client certificate of an established session against `client_auth_type`, the
    /// client CA and `client_allowed_sans`. A SAN list is checked only on a certificate that was
    /// sent and verified against the client CA, whatever the type (the web config allows a list
    /// only with `RequireAndVerifyClientCert`).
    func checkClient(session: UnsafeMutableRawPointer) -> ClientVerdict {
        let session = OpaquePointer(session)
        let checksSANs = settings.allowedSANs != nil
        var count: UInt32 = 0
        guard let peers = gnutls_certificate_get_peers(session, &count), count > 0 else {
            return settings.clientAuth.requiresCertificate || checksSANs ? .refused("no client certificate") : .accepted
        }
        guard settings.clientAuth != .none || checksSANs else { return .accepted }
        let chain = PeerChain(peers, count: Int(count))
        guard chain.certificates.count == Int(count) else { return .refused("client certificate cannot be parsed") }
        if settings.clientAuth.verifiesCertificate || checksSANs {
            guard let clientTrust else { return .refused("no client CA") }
            if let problem = clientTrust.verify(chain) { return .refused(problem) }
        }
        if let allowed = settings.allowedSANs {
            let names = chain.subjectAltNames()
            guard names.contains(where: allowed.contains) else {
                return .refused("client certificate has none of the allowed SANs (it has \(names))")
            }
        }
        return .accepted
    }

    // MARK: The certificate libmicrohttpd hands out

    /// The material every new handshake uses; replaced when the web config's certificate changes.
    /// Old material stays alive until exit: GnuTLS may still use it in sessions started before.
    private static let current = Mutex<(active: TLSMaterial?, retired: [TLSMaterial])>((nil, []))

    /// Makes `material` the one new handshakes use.
    static func activate(_ material: TLSMaterial) {
        current.withLock { state in
            if let old = state.active, old !== material { state.retired.append(old) }
            state.active = material
        }
    }

    /// The material new handshakes use.
    static var active: TLSMaterial? { current.withLock { $0.active } }

    /// The `gnutls_certificate_retrieve_function2` given to libmicrohttpd, as a raw pointer.
    static var certificateCallback: UnsafeMutableRawPointer {
        let callback: CGnuTLS_CertificateRetriever = retrieveCertificate
        return unsafeBitCast(callback, to: UnsafeMutableRawPointer.self)
    }
}

/// Hands GnuTLS the active server certificate for a handshake; -1 (the handshake fails) if none.
private func retrieveCertificate(
    _ session: gnutls_session_t?, _ requestedCAs: UnsafePointer<gnutls_datum_t>?, _ requestedCount: Int32,
    _ algorithms: UnsafePointer<gnutls_pk_algorithm_t>?, _ algorithmCount: Int32,
    _ certificates: UnsafeMutablePointer<UnsafeMutablePointer<gnutls_pcert_st>?>?,
    _ certificateCount: UnsafeMutablePointer<UInt32>?, _ key: UnsafeMutablePointer<gnutls_privkey_t?>?
) -> Int32 {
    guard let material = TLSMaterial.active, let certificates, let certificateCount, let key else { return -1 }
    certificates.pointee = material.certificate.chain
    certificateCount.pointee = material.certificate.count
    key.pointee = material.certificate.key
    return 0
}

/// The server's chain and private key, in the form GnuTLS' certificate callback returns.
private final class ServerCertificate: Sendable {
    // nonisolated(unsafe) is safe: written once in init, then only read (by GnuTLS) until deinit.
    nonisolated(unsafe) let chain: UnsafeMutablePointer<gnutls_pcert_st>
    let count: UInt32
    nonisolated(unsafe) let key: gnutls_privkey_t

    private static let maximumChain: UInt32 = 16

    init(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(TLSMaterialError) {
        let chain = UnsafeMutablePointer<gnutls_pcert_st>.allocate(capacity: Int(Self.maximumChain))
        var count = Self.maximumChain
        let imported = withDatum(certificatePEM) {
            gnutls_pcert_list_import_x509_raw(chain, &count, $0, GNUTLS_X509_FMT_PEM, 0)
        }
        guard imported >= 0, count > 0 else {
            chain.deallocate()
            throw TLSMaterialError(key: "cert_file", problem: "no PEM certificate: \(gnutlsError(imported))")
        }
        var key: gnutls_privkey_t?
        gnutls_privkey_init(&key)
        let keyStatus = withDatum(keyPEM) { gnutls_privkey_import_x509_raw(key, $0, GNUTLS_X509_FMT_PEM, nil, 0) }
        guard let key, keyStatus == 0 else {
            Self.free(chain: chain, count: count, key: key)
            throw TLSMaterialError(key: "key_file", problem: "no PEM private key: \(gnutlsError(keyStatus))")
        }
        guard let keyID = Self.privateKeyID(key), keyID == Self.publicKeyID(chain.pointee.pubkey) else {
            Self.free(chain: chain, count: count, key: key)
            throw TLSMaterialError(key: "key_file", problem: "the private key does not belong to the certificate")
        }
        self.chain = chain
        self.count = count
        self.key = key
    }

    deinit { Self.free(chain: chain, count: count, key: key) }

    private static func free(chain: UnsafeMutablePointer<gnutls_pcert_st>, count: UInt32, key: gnutls_privkey_t?) {
        for index in 0..<Int(count) { gnutls_pcert_deinit(chain + index) }
        chain.deallocate()
        if let key { gnutls_privkey_deinit(key) }
    }

    private static func privateKeyID(_ key: gnutls_privkey_t) -> [UInt8]? {
        var publicKey: gnutls_pubkey_t?
        guard gnutls_pubkey_init(&publicKey) == 0, let publicKey else { return nil }
        defer { gnutls_pubkey_deinit(publicKey) }
        guard gnutls_pubkey_import_privkey(publicKey, key, 0, 0) == 0 else { return nil }
        return publicKeyID(publicKey)
    }

    private static func publicKeyID(_ publicKey: gnutls_pubkey_t?) -> [UInt8]? {
        var id = [UInt8](repeating: 0, count: 64)
        var size = id.count
        guard gnutls_pubkey_get_key_id(publicKey, 0, &id, &size) == 0 else { return nil }
        return Array(id[..<size])
    }
}

/// The client CAs, as a GnuTLS trust list.
private final class ClientTrust: Sendable {
    // nonisolated(unsafe) is safe: made in init, read-only for GnuTLS' verification, freed in deinit.
    nonisolated(unsafe) let list: gnutls_x509_trust_list_t

    init(pem: [UInt8]) throws(TLSMaterialError) {
        var list: gnutls_x509_trust_list_t?
        guard gnutls_x509_trust_list_init(&list, 0) == 0, let list else {
            throw TLSMaterialError(key: "client_ca_file", problem: "GnuTLS cannot make a trust list")
        }
        let added = withDatum(pem) { gnutls_x509_trust_list_add_trust_mem(list, $0, nil, GNUTLS_X509_FMT_PEM, 0, 0) }
        guard added > 0 else {
            gnutls_x509_trust_list_deinit(list, 1)
            throw TLSMaterialError(key: "client_ca_file", problem: "no PEM CA certificate: \(gnutlsError(added))")
        }
        self.list = list
    }

    deinit { gnutls_x509_trust_list_deinit(list, 1) }

    private static let reasons: [(gnutls_certificate_status_t, String)] = [
        (GNUTLS_CERT_SIGNER_NOT_FOUND, "not signed by a client CA"), (GNUTLS_CERT_EXPIRED, "expired"),
        (GNUTLS_CERT_NOT_ACTIVATED, "not yet valid"), (GNUTLS_CERT_REVOKED, "revoked"),
        (GNUTLS_CERT_PURPOSE_MISMATCH, "not for TLS client authentication"),
        (GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature"), (GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm"),
    ]

    private static func describe(_ status: UInt32) -> String {
        let found = reasons.filter { status & $0.0.rawValue != 0 }.map(\.1)
        return found.isEmpty ? "invalid (GnuTLS status \(status))" : found.joined(separator: ", ")
    }

    /// `nil` if `chain` leads to one of the CAs and is fit for TLS client authentication, else why not.
    func verify(_ chain: PeerChain) -> String? {
        var status: UInt32 = 0
        let purpose = "1.3.6.1.5.5.7.3.2"  // id-kp-clientAuth
        let result = purpose.withCString { oid in
            var data = gnutls_typed_vdata_st(
                type: GNUTLS_DT_KEY_PURPOSE_OID,
                data: UnsafeMutablePointer(mutating: UnsafeRawPointer(oid).assumingMemoryBound(to: UInt8.self)), size: 0
            )
            return chain.certificates.withUnsafeBufferPointer { certificates in
                gnutls_x509_trust_list_verify_crt2(
                    list, UnsafeMutablePointer(mutating: certificates.baseAddress), UInt32(certificates.count), &data,
                    1, 0, &status, nil)
            }
        }
        guard result == 0 else { return "client certificate not verifiable: \(gnutlsError(result))" }
        guard status == 0 else { return "client certificate refused: \(Self.describe(status))" }
        return nil
    }
}

/// A client's certificate chain, parsed.
private final class PeerChain {
    private(set) var certificates: [gnutls_x509_crt_t?] = []

    init(_ peers: UnsafePointer<gnutls_datum_t>, count: Int) {
        for index in 0..<count {
            var certificate: gnutls_x509_crt_t?
            guard gnutls_x509_crt_init(&certificate) == 0 else { return }
            var datum = peers[index]
            guard gnutls_x509_crt_import(certificate, &datum, GNUTLS_X509_FMT_DER) == 0 else {
                gnutls_x509_crt_deinit(certificate)
                return
            }
            certificates.append(certificate)
        }
    }

    deinit { for certificate in certificates { gnutls_x509_crt_deinit(certificate) } }

    /// The first certificate's DNS, e-mail, URI and IP subject alternative names, as text.
    func subjectAltNames() -> [String] {
        guard let first = certificates.first else { return [] }
        var names: [String] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        for sequence in 0..<UInt32(64) {
            var size = buffer.count
            let type = gnutls_x509_crt_get_subject_alt_name(first, sequence, &buffer, &size, nil)
            if type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE { break }
            guard type >= 0 else { continue }
            switch gnutls_x509_subject_alt_name_t(UInt32(type)) {
            case GNUTLS_SAN_DNSNAME, GNUTLS_SAN_RFC822NAME, GNUTLS_SAN_URI:
                names.append(String(decoding: buffer[..<size], as: UTF8.self))
            case GNUTLS_SAN_IPADDRESS:
                if let address = Self.ipText(Array(buffer[..<size])) { names.append(address) }
            default: break
            }
        }
        return names
    }

    private static func ipText(_ raw: [UInt8]) -> String? {
        let family: Int32
        switch raw.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return text.withUnsafeMutableBufferPointer { buffer in
            guard let written = inet_ntop(family, raw, buffer.baseAddress, socklen_t(buffer.count)) else { return nil }
            return String(cString: written)
        }
    }
}

private func withDatum<Result>(_ bytes: [UInt8], _ body: (UnsafePointer<gnutls_datum_t>) -> Result) -> Result {
    var copy = bytes
    return copy.withUnsafeMutableBufferPointer { buffer in
        var datum = gnutls_datum_t(data: buffer.baseAddress, size: UInt32(buffer.count))
        return body(&datum)
    }
}

private func gnutlsError(_ code: Int32) -> String {
    guard code < 0, let text = gnutls_strerror(code) else { return "GnuTLS code \(code)" }
    return String(cString: text)
}
