import Foundation
import Synchronization
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

    /// The verdict for `header`, with the bcrypt check run at once if one is needed.
    private func verdict(_ authenticator: BasicAuthenticator, _ header: String, users: [String: String])
        -> BasicAuthenticator.Verdict
    {
        switch authenticator.lookUp(header, users: users) {
        case .decided(let verdict): return verdict
        case .needsCheck(let check): return authenticator.check(check)
        }
    }

    private static func header(_ credentials: String) -> String {
        "Basic " + Data(credentials.utf8).base64EncodedString()
    }

    @Test func remembersASuccessfulCheckOnlyForTheSameHash() {
        let runs = BcryptRuns()
        let authenticator = BasicAuthenticator(bcrypt: runs.verify)
        let header = Self.header("prometheus:scrape-secret")
        #expect(verdict(authenticator, header, users: ["prometheus": Self.hash]) == .allowed)
        #expect(verdict(authenticator, header, users: ["prometheus": Self.hash]) == .allowed)
        #expect(runs.count == 1, "the second check was remembered")
        let otherHash = "$2b$04$Ib6DE1UTFtC7ByZrM6pF8utvGUIrWtbFAJDXPQtyH7s4WrAq4y2cm"  // "other"
        #expect(
            verdict(authenticator, header, users: ["prometheus": otherHash]) == .denied,
            "a changed hash is checked again")
        #expect(runs.count == 2)
        if case .needsCheck = authenticator.lookUp("Basic !!!", users: ["prometheus": Self.hash]) {
            Issue.record("undecodable credentials need no check")
        }
    }

    /// As exporter-toolkit does, a wrong password is remembered too: the same one again, for a
    /// known user or an unknown one, costs no bcrypt run.
    @Test func remembersAWrongPassword() {
        let runs = BcryptRuns()
        let authenticator = BasicAuthenticator(bcrypt: runs.verify)
        let users = ["prometheus": Self.hash]
        for credentials in ["prometheus:wrong", "nobody:scrape-secret"] {
            let before = runs.count
            for _ in 0..<5 { #expect(verdict(authenticator, Self.header(credentials), users: users) == .denied) }
            #expect(runs.count == before + 1, "\(credentials): one bcrypt run for five checks")
        }
        #expect(authenticator.rememberedFailures == 2)
    }

    /// Memory for remembered failures is bounded: the oldest are forgotten first.
    @Test func remembersABoundedNumberOfFailures() {
        let runs = BcryptRuns()
        let authenticator = BasicAuthenticator(bcrypt: runs.verify)
        let users = ["prometheus": Self.hash]
        for attempt in 0..<(PasswordMemory.failureCapacity + 44) {
            _ = verdict(authenticator, Self.header("prometheus:wrong-\(attempt)"), users: users)
        }
        #expect(authenticator.rememberedFailures == PasswordMemory.failureCapacity)
        let recent = Self.header("prometheus:wrong-\(PasswordMemory.failureCapacity + 43)")
        if case .needsCheck = authenticator.lookUp(recent, users: users) { Issue.record("the latest was forgotten") }
        guard case .needsCheck = authenticator.lookUp(Self.header("prometheus:wrong-0"), users: users) else {
            Issue.record("the oldest was kept")
            return
        }
    }

    /// Whatever the users' costs and prefixes, every check does the bcrypt work of the costliest
    /// hash: a cheaper user's check adds stand-in runs, an unknown user's is one stand-in run.
    @Test func everyCheckCostsTheCostliestHashsWork() {
        let users = [
            "cheap": "$2a$04$" + Self.hash.dropFirst(7), "dear": "$2y$09$" + Self.hash.dropFirst(7),
            "middle": "$2b$06$" + Self.hash.dropFirst(7),
        ]
        for user in ["cheap", "dear", "middle", "nobody"] {
            let runs = BcryptRuns()
            let authenticator = BasicAuthenticator(bcrypt: runs.verify)
            _ = verdict(authenticator, Self.header("\(user):wrong"), users: users)
            let work = runs.costs.map { 1 << $0 }.reduce(0, +)
            #expect(work == 1 << 9, "\(user): runs of cost \(runs.costs)")
        }
        #expect(BasicAuthenticator.standInCosts(userCost: 10, highestCost: 10).isEmpty)
    }

    /// A stand-in hash makes libxcrypt do the work of its cost, and matches no password.
    @Test func aStandInHashCostsWhatItSays() throws {
        let standIn = BcryptHash.standIn(cost: 5)
        #expect(BcryptHash.isWellFormed(standIn))
        #expect(BcryptHash.cost(of: standIn) == 5)
        let computed = try #require(BcryptHash.compute(password: Array("x".utf8), setting: standIn))
        #expect(computed.starts(with: Array("$2b$05$".utf8)) && computed.count == 60)
        #expect(!BcryptHash.verify(password: Array("x".utf8), hash: standIn))
    }

    @Test func comparesInConstantTimeShape() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2], [1, 2, 0]))
        #expect(!ConstantTime.equal([], [0]))
        #expect(ConstantTime.equal([], []))
    }
}

/// A bcrypt stand-in for tests: answers as libxcrypt would for `scrape-secret` and the test hash,
/// at no cost, and counts the runs and their costs.
final class BcryptRuns: Sendable {
    private let runs = Mutex<[Int]>([])

    /// The cost of every run so far.
    var costs: [Int] { runs.withLock { $0 } }
    var count: Int { costs.count }

    var verify: @Sendable ([UInt8], String) -> Bool {
        { [self] password, hash in
            runs.withLock { $0.append(BcryptHash.cost(of: hash) ?? -1) }
            return hash == BasicAuthTests.hash && password == Array("scrape-secret".utf8)
        }
    }
}
