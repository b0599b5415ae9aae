import Synchronization

/// What bcrypt said of credentials seen lately, so that neither a returning scraper nor a repeated
/// wrong password costs another bcrypt run. exporter-toolkit remembers both too (100 entries of
/// user, hash and password, in plain text); here an entry is a ``KeyedDigest`` of user, hash and
/// password, and memory is bounded: the last success of each configured user, and the last
/// ``failureCapacity`` failures, the oldest forgotten first.
///
/// A look-up compares the digest with the user's success and with every remembered failure, in
/// constant time, so that how long it takes says nothing about what is remembered.
final class PasswordMemory: Sendable {
    /// Failures remembered at most: 8 KiB of digests.
    static let failureCapacity = 256

    private struct State {
        /// The digest of each user's last accepted credentials.
        var successes: [String: [UInt8]] = [:]
        /// ``failureCapacity`` digests end to end, zero where none is kept yet.
        var failures = [UInt8](repeating: 0, count: PasswordMemory.failureCapacity * KeyedDigest.size)
        var nextFailure = 0
        var failureCount = 0
    }

    private let digest = KeyedDigest()
    private let state = Mutex(State())

    /// The key under which the credentials `user`:`password` checked against `hash` (`nil` for a
    /// user the config does not know) are remembered.
    func key(user: String, hash: String?, password: [UInt8]) -> [UInt8] {
        digest.digest(of: [Array(user.utf8), Array((hash ?? "").utf8), password])
    }

    /// What was remembered under `key` for `user`: `true` accepted, `false` refused, `nil` nothing.
    func recall(_ key: [UInt8], user: String) -> Bool? {
        precondition(key.count == KeyedDigest.size, "a key is a digest")
        return state.withLock { state in
            let accepted = state.successes[user].map { ConstantTime.equal($0, key) } ?? false
            let refused = state.failures.withUnsafeBufferPointer { failures in
                key.withUnsafeBufferPointer { key in
                    var found: UInt8 = 0
                    for slot in 0..<Self.failureCapacity {
                        var difference: UInt8 = 0
                        for index in 0..<KeyedDigest.size {
                            difference |= failures[slot &* KeyedDigest.size &+ index] ^ key[index]
                        }
                        // 1 when `difference` is 0, without a branch on it.
                        found |= UInt8(truncatingIfNeeded: (UInt16(difference) &- 1) >> 8) & 1
                    }
                    return found == 1
                }
            }
            return accepted ? true : refused ? false : nil
        }
    }

    /// Remembers what bcrypt said of the credentials under `key`. A success replaces the user's
    /// last one, and successes of users no longer among `users` are forgotten.
    func remember(_ key: [UInt8], user: String, accepted: Bool, users: Set<String>) {
        state.withLock { state in
            if accepted {
                state.successes = state.successes.filter { users.contains($0.key) }
                state.successes[user] = key
                return
            }
            let start = state.nextFailure * KeyedDigest.size
            state.failures.replaceSubrange(start..<(start + KeyedDigest.size), with: key)
            state.nextFailure = (state.nextFailure + 1) % Self.failureCapacity
            state.failureCount = min(state.failureCount + 1, Self.failureCapacity)
        }
    }

    /// Failures remembered now; at most ``failureCapacity``.
    var rememberedFailures: Int { state.withLock(\.failureCount) }
}
