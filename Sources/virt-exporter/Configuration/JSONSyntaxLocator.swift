/// Finds where a JSON text stops being valid, so that a syntax error in the config file can say
/// its line and column (Foundation's decoder says only that the text is not valid JSON).
///
/// It checks the grammar of RFC 8259 and keeps nothing: the config is then decoded by Foundation.
struct JSONSyntaxLocator {
    /// A syntax error: where (1-based, columns in bytes) and what.
    struct Problem: Equatable {
        let line: Int
        let column: Int
        let message: String
    }

    private let bytes: [UInt8]
    private var index = 0
    private static let maximumDepth = 256

    /// The first syntax error in `bytes`, or `nil` if they are one valid JSON value.
    static func firstProblem(in bytes: [UInt8]) -> Problem? {
        var locator = JSONSyntaxLocator(bytes: bytes)
        do throws(Problem) {
            locator.skipWhitespace()
            try locator.value(depth: 0)
            locator.skipWhitespace()
            if locator.index < bytes.count { throw locator.problem("unexpected text after the JSON value") }
            return nil
        } catch {
            return error
        }
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func problem(_ message: String) -> Problem {
        var line = 1
        var lineStart = 0
        for position in 0..<min(index, bytes.count) where bytes[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        return Problem(line: line, column: index - lineStart + 1, message: message)
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Problem) {
        guard current == byte else {
            throw problem(current == nil ? "unexpected end; expected \(what)" : "expected \(what)")
        }
        index += 1
    }

    private mutating func value(depth: Int) throws(Problem) {
        guard depth < Self.maximumDepth else { throw problem("nested more than \(Self.maximumDepth) levels deep") }
        guard let byte = current else { throw problem("unexpected end; expected a value") }
        switch byte {
        case UInt8(ascii: "{"): try object(depth: depth)
        case UInt8(ascii: "["): try array(depth: depth)
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw problem("expected a value")
        }
    }

    private mutating func object(depth: Int) throws(Problem) {
        try members(closing: "}") { parser throws(Problem) in
            guard parser.current == UInt8(ascii: "\"") else { throw parser.problem("expected a key in double quotes") }
            try parser.string()
            parser.skipWhitespace()
            try parser.expect(UInt8(ascii: ":"), "\":\" after the key")
            parser.skipWhitespace()
            try parser.value(depth: depth + 1)
        }
    }

    private mutating func array(depth: Int) throws(Problem) {
        try members(closing: "]") { parser throws(Problem) in try parser.value(depth: depth + 1) }
    }

    /// An object's or array's members after its opening bracket: `member` for each, separated by
    /// commas, up to `closing`; an empty one has none.
    private mutating func members(closing: Unicode.Scalar, _ member: (inout Self) throws(Problem) -> Void)
        throws(Problem)
    {
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: closing) {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try member(&self)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: closing), "\",\" or \"\(closing)\"")
            return
        }
    }

    private mutating func string() throws(Problem) {
        index += 1
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 1
                guard let escaped = current else { break }
                if escaped == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        index += 1
                        guard let hex = current, Self.isHexDigit(hex) else { throw problem("bad \\u escape") }
                    }
                } else if !Array("\"\\/bfnrt".utf8).contains(escaped) {
                    throw problem("bad escape in a string")
                }
                index += 1
            case 0..<0x20: throw problem("control character in a string")
            default: index += 1
            }
        }
        throw problem("unexpected end inside a string")
    }

    private mutating func literal(_ word: String) throws(Problem) {
        for expected in word.utf8 {
            guard current == expected else { throw problem("expected \(word)") }
            index += 1
        }
    }

    private mutating func number() throws(Problem) {
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, Self.isDigit(first) else { throw problem("expected a digit") }
        index += 1
        if first != UInt8(ascii: "0") { while let byte = current, Self.isDigit(byte) { index += 1 } }
        if current == UInt8(ascii: ".") {
            index += 1
            guard let byte = current, Self.isDigit(byte) else { throw problem("expected a digit after \".\"") }
            while let byte = current, Self.isDigit(byte) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let byte = current, Self.isDigit(byte) else { throw problem("expected a digit in the exponent") }
            while let byte = current, Self.isDigit(byte) { index += 1 }
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }
}

extension JSONSyntaxLocator.Problem: Error {}
