import FoundationEssentials

/// Checks `Authorization: Basic` against `basic_auth_users`.
///
/// bcrypt is slow by design, so what it said is remembered (``PasswordMemory``): a returning
/// scraper, and a repeated wrong password, are answered from memory in constant time. Credentials
/// not remembered need a ``PasswordCheck``, which ``check(_:)`` runs: the server runs it on the
/// ``PasswordCheckQueue``'s thread, never its own.
///
/// Every check costs the same, so that how long an answer takes tells nothing of who exists: as
/// much bcrypt work as a check against the costliest of the users' hashes. A user whose hash is
/// cheaper gets stand-in runs beside the real one (for cost `c` below the highest `h`, runs of cost
/// `c`, `c + 1`, …, `h - 1`, which add up to 2^h rounds with the real one); an unknown user gets
/// one stand-in run of cost `h`.
final class BasicAuthenticator: Sendable {
    /// The outcome of a check.
    enum Verdict: Equatable, Sendable {
        case allowed
        case denied
    }

    /// What the credentials of a request need.
    enum Lookup: Sendable {
        /// Decided without bcrypt: no credentials, or remembered ones.
        case decided(Verdict)
        /// bcrypt must run.
        case needsCheck(PasswordCheck)
    }

    /// Credentials that bcrypt must check, and how.
    struct PasswordCheck: Sendable {
        let user: String
        let password: [UInt8]
        /// The user's hash; `nil` for a user the config does not know.
        let hash: String?
        /// Where the outcome is remembered.
        let key: [UInt8]
        /// The costs of the stand-in runs that make this check as slow as any other.
        let standInCosts: [Int]
        /// The configured users, so that the memory forgets those that left.
        let users: Set<String>
    }

    /// The cost assumed when no hash tells one (never, with users configured).
    static let defaultCost = 10

    private let memory = PasswordMemory()
    private let bcrypt: @Sendable (_ password: [UInt8], _ hash: String) -> Bool

    /// An authenticator checking passwords with `bcrypt` (libxcrypt's, unless a test counts runs).
    init(bcrypt: @escaping @Sendable (_ password: [UInt8], _ hash: String) -> Bool = BcryptHash.verify) {
        self.bcrypt = bcrypt
    }

    /// What the `Authorization` header value `header` needs under `users` (user → bcrypt hash,
    /// not empty): a verdict from memory, or a bcrypt check.
    func lookUp(_ header: String?, users: [String: String]) -> Lookup {
        guard let header, let (user, password) = Self.credentials(header) else { return .decided(.denied) }
        let hash = users[user]
        let key = memory.key(user: user, hash: hash, password: password)
        if let accepted = memory.recall(key, user: user) {
            return .decided(accepted && hash != nil ? .allowed : .denied)
        }
        let highest = users.values.compactMap(BcryptHash.cost).max() ?? Self.defaultCost
        return .needsCheck(
            PasswordCheck(
                user: user, password: password, hash: hash, key: key,
                standInCosts: Self.standInCosts(userCost: hash.flatMap(BcryptHash.cost), highestCost: highest),
                users: Set(users.keys)))
    }

    /// Runs `check`'s bcrypt work, remembers the outcome and returns it. Slow: seconds at high costs.
    func check(_ check: PasswordCheck) -> Verdict {
        // An identical check may have finished while this one waited.
        if let accepted = memory.recall(check.key, user: check.user) {
            return accepted && check.hash != nil ? .allowed : .denied
        }
        let matches = check.hash.map { bcrypt(check.password, $0) } ?? false
        for cost in check.standInCosts { _ = bcrypt(check.password, BcryptHash.standIn(cost: cost)) }
        memory.remember(check.key, user: check.user, accepted: matches, users: check.users)
        return matches ? .allowed : .denied
    }

    /// Failures remembered now.
    var rememberedFailures: Int { memory.rememberedFailures }

    /// The costs of the stand-in runs for a user whose hash costs `userCost` (`nil`: an unknown
    /// user) when the costliest hash costs `highestCost`: with the real run, 2^`highestCost` rounds.
    static func standInCosts(userCost: Int?, highestCost: Int) -> [Int] {
        guard let userCost else { return [highestCost] }
        return Array(userCost..<max(userCost, highestCost))
    }

    /// The user and password of a `Basic` credential (RFC 7617), or `nil`.
    static func credentials(_ header: String) -> (user: String, password: [UInt8])? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        let token = parts.count == 2 ? parts[1].split(whereSeparator: \.isWhitespace) : []
        guard parts[0].lowercased() == "basic", token.count == 1, let decoded = Data(base64Encoded: String(token[0]))
        else { return nil }
        let bytes = Array(decoded)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (String(decoding: bytes[..<colon], as: UTF8.self), Array(bytes[(colon + 1)...]))
    }
}
