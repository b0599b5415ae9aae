import CCrypt
import Glibc

/// bcrypt password hashes, checked by libxcrypt's `crypt_rn`. This file is the only place that
/// touches libxcrypt.
enum BcryptHash {
    /// Whether `hash` has bcrypt's shape: `$2a$`, `$2b$` or `$2y$`, a two-digit cost from 04 to 31,
    /// and 53 characters of salt and digest.
    static func isWellFormed(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
            let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), (4...31).contains(cost)
        else { return false }
        return bytes[7...].allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "/")
        }
    }

    /// The cost of a well-formed hash: bcrypt runs 2^cost rounds of its key schedule.
    static func cost(of hash: String) -> Int? {
        let bytes = Array(hash.utf8)
        guard bytes.count > 6 else { return nil }
        return Int(String(decoding: bytes[4..<6], as: UTF8.self))
    }

    /// A well-formed `$2b$` hash of cost `cost` that no password is known to match: checking a
    /// password against it costs what a real check of that cost does.
    static func standIn(cost: Int) -> String {
        let digits = cost < 10 ? "0\(cost)" : "\(cost)"
        return "$2b$\(digits)$" + "virtexporterstandinsal" + "tForNoPasswordToMatchAtAll.Ever"
    }

    /// Whether `password` hashes to `hash` (`crypt_rn` with `hash` as the setting), compared in
    /// constant time. A password with a NUL byte never matches: `crypt` would cut it short.
    static func verify(password: [UInt8], hash: String) -> Bool {
        guard !password.contains(0), let computed = compute(password: password, setting: hash) else { return false }
        return ConstantTime.equal(computed, Array(hash.utf8))
    }

    /// `crypt_rn` of `password` (without NUL bytes) with `setting`: the hash, or `nil` if libxcrypt
    /// refused the setting.
    static func compute(password: [UInt8], setting: String) -> [UInt8]? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            // The work area holds the password's derived state: clear it before freeing.
            UnsafeMutableRawPointer(data).initializeMemory(
                as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        UnsafeMutableRawPointer(data).initializeMemory(
            as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
        let phrase = password + [0]
        return phrase.withUnsafeBufferPointer { phrasePointer in
            phrasePointer.withMemoryRebound(to: CChar.self) { phraseChars in
                guard
                    let result = crypt_rn(phraseChars.baseAddress, setting, data, Int32(MemoryLayout<crypt_data>.size)),
                    result.pointee != CChar(UInt8(ascii: "*"))
                else { return nil }
                return Array(UnsafeBufferPointer(start: result, count: strlen(result))).map { UInt8(bitPattern: $0) }
            }
        }
    }
}

/// Comparisons whose time does not depend on where the inputs differ.
enum ConstantTime {
    /// Whether `a` and `b` are equal; the time depends only on the longer length.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        difference |= a.count == b.count ? 0 : 1
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? a[index] : 0
            let right = index < b.count ? b[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
