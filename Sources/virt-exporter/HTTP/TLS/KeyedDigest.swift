import CGnuTLS

/// HMAC-SHA-256 (GnuTLS' `gnutls_hmac_fast`) under a key drawn when it is made from GnuTLS'
/// random generator (`gnutls_rnd` at key level). The password memory keys its entries with it, so
/// that it holds digests that nobody without the key can match, never a password.
struct KeyedDigest: Sendable {
    /// Bytes in a digest.
    static let size = 32
    private let key: [UInt8]

    /// A digest under a new random key.
    init() {
        var key = [UInt8](repeating: 0, count: Self.size)
        let status = key.withUnsafeMutableBytes { gnutls_rnd(GNUTLS_RND_KEY, $0.baseAddress, $0.count) }
        precondition(status == 0, "GnuTLS cannot draw a random key (error \(status))")
        self.key = key
    }

    /// The digest of `parts`, each preceded by its length so that no two lists of parts digest
    /// the same bytes.
    func digest(of parts: [[UInt8]]) -> [UInt8] {
        var input: [UInt8] = []
        for part in parts {
            withUnsafeBytes(of: UInt64(part.count).littleEndian) { input += $0 }
            input += part
        }
        defer { input.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        var output = [UInt8](repeating: 0, count: Self.size)
        let status = key.withUnsafeBytes { key in
            input.withUnsafeBytes { data in
                output.withUnsafeMutableBytes { digest in
                    gnutls_hmac_fast(
                        GNUTLS_MAC_SHA256, key.baseAddress, key.count, data.baseAddress, data.count, digest.baseAddress)
                }
            }
        }
        precondition(status == 0, "GnuTLS cannot compute HMAC-SHA-256 (error \(status))")
        return output
    }
}
