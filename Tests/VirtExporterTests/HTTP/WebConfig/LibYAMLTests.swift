import Foundation
import StatsCollector
import Testing

@testable import virt_exporter

/// The YAML documents the web config parser gets from Debian's libyaml (`LibYAML`), composed as
/// Yams composed them before it: aliases, keys that appear twice, documents, nesting, errors.
@Suite struct LibYAMLTests {
    private func compose(_ yaml: String) throws(YAMLError) -> YAMLNode? {
        try LibYAML.compose(yaml.utf8)
    }

    private func error(_ yaml: String) -> String? {
        do {
            _ = try compose(yaml)
            return nil
        } catch {
            return error.description
        }
    }

    private func pairs(_ node: YAMLNode?) -> [(key: YAMLNode, value: YAMLNode)] {
        guard case .mapping(let pairs, _)? = node else { return [] }
        return pairs
    }

    private func text(_ node: YAMLNode) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    @Test(arguments: ["", "# only a comment\n", "\n\n"])
    func noDocumentIsNil(yaml: String) throws {
        #expect(try compose(yaml) == nil)
    }

    @Test func scalarsKeepTheirTextStyleTagAndPlace() throws {
        let entries = pairs(try compose("a: plain\nb: 'single'\nc: \"dou\\tble\"\nd: |\n  lit\ne: !!int 7\n"))
        let scalars = entries.compactMap { entry -> YAMLScalar? in
            guard case .scalar(let scalar) = entry.value else { return nil }
            return scalar
        }
        let str = "tag:yaml.org,2002:str"
        #expect(scalars.map(\.string) == ["plain", "single", "dou\tble", "lit\n", "7"])
        #expect(scalars.map(\.style) == [.plain, .singleQuoted, .doubleQuoted, .literal, .plain])
        #expect(scalars.map(\.tag) == [nil, str, str, str, "tag:yaml.org,2002:int"])
        #expect(scalars.map(\.mark) == [1, 2, 3, 4, 6].map { YAMLMark(line: $0, column: 4) })  // d takes two lines
    }

    @Test func anAliasIsItsAnchorsNodeWithThatNodesPlace() throws {
        let entries = pairs(try compose("first: &x {k: v}\nsecond: *x\n"))
        #expect(entries.count == 2)
        #expect(entries[1].value.mark == YAMLMark(line: 1, column: 8))
        #expect(pairs(entries[1].value).map { text($0.key) } == ["k"])
    }

    @Test(arguments: [
        ("a: *nowhere\n", "YAML syntax error at line 1, column 4: found undefined alias"),
        ("a: &x [*x]\n", "YAML syntax error at line 1, column 8: found undefined alias"),
        (
            "a: 1\n---\nb: 2\n",
            "YAML syntax error at line 2, column 1: expected a single document in the stream, but found another document"
        ),
        ("a: b\n c: d\n", "YAML syntax error at line 2, column 3: mapping values are not allowed in this context"),
        ("a: \u{1}\n", "not readable as YAML at byte 3: control characters are not allowed"),
        ("é: \u{1}\n", "not readable as YAML at byte 4: control characters are not allowed"),
    ])
    func refusesWhatIsNotOneYAMLDocument(yaml: String, message: String) {
        #expect(error(yaml) == message)
    }

    /// Two keys are the same when their text and their resolved tags are (YAML 1.1's implicit
    /// rules for plain scalars): `1` is an integer, `"1"` a string, `a` and `"a"` strings.
    @Test(arguments: [
        ("a: 1\n\"a\": 2\n", "a"), ("1: x\n!!int \"1\": y\n", "1"), ("yES: 1\n'yES': 2\n", "yES"),
        ("0x1G: 1\n\"0x1G\": 2\n", "0x1G"), ("! a: 1\na: 2\n", "a"), ("b: 1\na: 2\nb: 3\na: 4\n", "a, b"),
        ("? |\n  a\n: 1\n\"a\\n\": 2\n", "a\\n"),
    ])
    func refusesAKeyTwice(yaml: String, keys: String) {
        #expect(error(yaml)?.hasPrefix("duplicate key \(keys) at line ") == true, "\(error(yaml) ?? "no error")")
    }

    @Test(arguments: [
        "1: x\n\"1\": y\n", "yes: x\n\"yes\": y\n", "~: x\nnull: y\n", "2001-12-14: x\n\"2001-12-14\": y\n",
        ".inf: x\n'.inf': y\n", "0o17: x\n\"0o17\": y\n", "<<: x\n\"<<\": y\n", "1:30: x\n\"1:30\": y\n",
    ])
    func keepsKeysWhoseTagsDiffer(yaml: String) throws {
        #expect(pairs(try compose(yaml)).count == 2)
    }

    @Test func nestingIsBoundedWithoutRecursion() throws {
        let deepest =
            String(repeating: "[", count: LibYAML.maximumDepth) + String(repeating: "]", count: LibYAML.maximumDepth)
        #expect(try compose(deepest) != nil)
        let deeper = "[" + deepest + "]"
        #expect(error(deeper) == "YAML nested deeper than 1000 levels at line 1, column 1001")
    }

    @Test func errorsQuotingKeysStayOnOneLine() {
        #expect(error("\"a\\nb\": 1\n\"a\\nb\": 2\n") == "duplicate key a\\nb at line 1, column 1")
        do {
            _ = try WebConfigParser.parse(yaml: "\"x\\ny\": 1\n", named: "web.yml") { _ throws(ConfigurationError) in []
            }
            Issue.record("accepted an unknown key")
        } catch {
            #expect(error.description.hasPrefix(#"web config file web.yml: "x\ny" (line 1, column 1): unknown key"#))
        }
    }

    @Test func filesAreReadAsUTF8WithoutTheirByteOrderMark() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vx-libyaml-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let marked = folder.appendingPathComponent("bom.yml")
        try Data([0xEF, 0xBB, 0xBF] + Array("a: b\n".utf8)).write(to: marked)
        #expect(try FileBytes.readText(marked.path) == "a: b\n")
        let latin1 = folder.appendingPathComponent("latin1.yml")
        try Data([0x61, 0x3A, 0x20, 0xE9, 0x0A]).write(to: latin1)
        #expect(throws: FileBytes.ReadError.self) { try FileBytes.readText(latin1.path) }
        do {
            _ = try WebConfigParser.load(fileAt: folder.path)
            Issue.record("read a folder")
        } catch {
            #expect(error.description == "web config file \(folder.path): cannot be read: Is a directory")
        }
    }
}
