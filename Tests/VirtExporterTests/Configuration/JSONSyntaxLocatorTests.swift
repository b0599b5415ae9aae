import Testing

@testable import virt_exporter

/// Where a JSON text stops being valid, for the config file's syntax errors.
@Suite struct JSONSyntaxLocatorTests {
    private func problem(_ text: String) -> JSONSyntaxLocator.Problem? {
        JSONSyntaxLocator.firstProblem(in: Array(text.utf8))
    }

    @Test(arguments: [
        #"{}"#, #" {"a": [1, -2.5e+3, true, false, null, "\u00e9\n"]} "#, "[]", "0", #""x""#, "{\"a\":{\"b\":{}}}",
    ])
    func acceptsValidJSON(text: String) {
        #expect(problem(text) == nil)
    }

    @Test(arguments: [
        ("", 1, 1, "unexpected end; expected a value"),
        ("{\"a\": 01}", 1, 8, "expected \",\" or \"}\""),
        ("{\"a\" 1}", 1, 6, "expected \":\" after the key"),
        ("[1,]", 1, 4, "expected a value"),
        ("{\n\n  \"a\": tru\n}", 3, 11, "expected true"),
        ("\"tab\there\"", 1, 5, "control character in a string"),
        ("\"\\x\"", 1, 3, "bad escape in a string"),
        ("\"\\u12g4\"", 1, 6, "bad \\u escape"),
        ("{} {}", 1, 4, "unexpected text after the JSON value"),
        ("1.", 1, 3, "expected a digit after \".\""),
        ("\"open", 1, 6, "unexpected end inside a string"),
    ])
    func pointsAtTheFirstMistake(text: String, line: Int, column: Int, message: String) {
        #expect(problem(text) == JSONSyntaxLocator.Problem(line: line, column: column, message: message))
    }

    @Test func limitsTheNestingDepth() {
        let deep = String(repeating: "[", count: 10_000)
        #expect(problem(deep)?.message == "nested more than 256 levels deep")
    }
}
