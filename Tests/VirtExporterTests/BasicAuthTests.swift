import Testing

@testable import virt_exporter

/// bcrypt through libxcrypt, and the authenticator's cache.
@Suite struct BasicAuthTests {
    /// bcrypt (cost 4) of "scrape-secret", made with libxcrypt.
    static let hash = "$2b$04$9aZ4aEZwdA58hft2y6cb.uqUNwJrfGQqXUNL/VqJufBzF5M2m2Eem"

    @Test func verifiesBcryptInEverySpelling() {
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let spelled = prefix + Self.hash.dropFirst(4)
            #expect(BcryptHash.verify(password: Array("scrape-secret".utf8), hash: spelled), "\(prefix)")
            #expect(!BcryptHash.verify(password: Array("scrape-secreT".utf8), hash: spelled), "\(prefix)")
        }
        #expect(!BcryptHash.verify(password: Array("scrape-secret\u{0}x".utf8), hash: Self.hash))
    }

    @Test func checksTheShapeOfAHash() {
        #expect(BcryptHash.isWellFormed(Self.hash))
        #expect(!BcryptHash.isWellFormed("$1$abc$def"))
        #expect(!BcryptHash.isWellFormed("$2b$99$" + String(Self.hash.dropFirst(7))))
        #expect(!BcryptHash.isWellFormed(String(Self.hash.dropLast())))
        #expect(!BcryptHash.isWellFormed(String(Self.hash.dropLast()) + "!"))
    }

    @Test func decodesBasicCredentials() {
        #expect(BasicAuthenticator.credentials("Basic YWxpY2U6cDpx")?.user == "alice")
        #expect(BasicAuthenticator.credentials("basic YWxpY2U6cDpx")?.password == Array("p:q".utf8))
        #expect(BasicAuthenticator.credentials("Basic !!!") == nil)
        #expect(BasicAuthenticator.credentials("Basic YWxpY2U=") == nil, "no colon")
        #expect(BasicAuthenticator.credentials("Digest x") == nil)
    }

    @Test func remembersASuccessfulCheckOnlyForTheSameHash() {
        let authenticator = BasicAuthenticator()
        let header = "Basic cHJvbWV0aGV1czpzY3JhcGUtc2VjcmV0"  // prometheus:scrape-secret
        #expect(authenticator.check(header, users: ["prometheus": Self.hash]) == .allowed)
        #expect(authenticator.check(header, users: ["prometheus": Self.hash]) == .allowed)
        let otherHash = "$2b$04$Ib6DE1UTFtC7ByZrM6pF8utvGUIrWtbFAJDXPQtyH7s4WrAq4y2cm"  // "other"
        #expect(
            authenticator.check(header, users: ["prometheus": otherHash]) == .denied, "a changed hash is checked again")
        #expect(authenticator.check(header, users: [:]) == .denied)
    }

    @Test func comparesInConstantTimeShape() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2], [1, 2, 0]))
        #expect(!ConstantTime.equal([], [0]))
        #expect(ConstantTime.equal([], []))
    }
}
