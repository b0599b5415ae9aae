import FoundationEssentials
import Synchronization

/// Checks `Authorization: Basic` against `basic_auth_users`.
///
/// bcrypt is slow by design, so a successful check is remembered: per user and hash, the password
/// that matched. A later request is then compared with it in constant time, never looked up by
/// the password itself. Failures are not remembered and always cost a bcrypt run; an unknown user
/// is checked against a known user's hash, so that its answer takes as long. bcrypt runs one at a
/// time, and a check that finds another running is not made (``Verdict/busy``): wrong passwords
/// cannot take more than one core, nor make a server thread wait.
final class BasicAuthenticator: Sendable {
    /// The outcome of a check.
    enum Verdict: Equatable {
        case allowed
        case denied
        /// Not checked: another uncached check was running.
        case busy
    }

    private struct Remembered {
        let hash: String
        let password: [UInt8]
    }

    private let remembered = Mutex<[String: Remembered]>([:])
    private let bcryptTurn = Mutex<Void>(())

    /// Whether the `Authorization` header value `header` names a user of `users` with the right password.
    func check(_ header: String?, users: [String: String]) -> Verdict {
        guard let header, let (user, password) = Self.credentials(header) else { return .denied }
        let known = users[user]
        guard let hash = known ?? users.values.min() else { return .denied }
        if known != nil, let entry = remembered.withLock({ $0[user] }), entry.hash == hash,
            ConstantTime.equal(entry.password, password)
        {
            return .allowed
        }
        let checked = bcryptTurn.withLockIfAvailable { _ in BcryptHash.verify(password: password, hash: hash) }
        guard let matches = checked else { return .busy }
        guard matches, known != nil else { return .denied }
        remembered.withLock { $0[user] = Remembered(hash: hash, password: password) }
        return .allowed
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
