import CYAML

/// A YAML file that libyaml could not read, or whose document breaks YAML's rules.
enum YAMLError: Error, CustomStringConvertible {
    /// Bytes that are not YAML's characters (a control character, say), at a byte offset.
    case reader(problem: String, offset: Int)
    /// A syntax error, with what libyaml was reading at the time (`context`) if it said.
    case syntax(context: String?, problem: String, mark: YAMLMark)
    /// A key that appears twice in one mapping: the keys, sorted, and where the first one is.
    case duplicateKeys([String], mark: YAMLMark)
    /// Collections nested deeper than ``LibYAML/maximumDepth``.
    case tooDeep(mark: YAMLMark)
    /// libyaml could not allocate memory.
    case outOfMemory

    var description: String {
        switch self {
        case .reader(let problem, let offset):
            "not readable as YAML at byte \(offset): \(problem)"
        case .syntax(let context, let problem, let mark):
            "YAML syntax error at line \(mark.line), column \(mark.column): \(context.map { "\($0), " } ?? "")\(problem)"
        case .duplicateKeys(let keys, let mark):
            "duplicate key \(keys.map(\.escapingControlCharacters).joined(separator: ", ")) at line \(mark.line), column \(mark.column)"
        case .tooDeep(let mark):
            "YAML nested deeper than \(LibYAML.maximumDepth) levels at line \(mark.line), column \(mark.column)"
        case .outOfMemory:
            "not readable as YAML: libyaml ran out of memory"
        }
    }
}

/// libyaml, Debian's YAML parser. This file is the only place that touches its C API: it reads
/// libyaml's events and composes them into ``YAMLNode`` values; the parser, its copy of the input
/// and every event are freed before ``compose(_:)`` returns.
///
/// It composes as Yams (which bundled its own libyaml) did before it: one document at most, an
/// alias replaced by its anchor's node, a key twice in a mapping an error. Unlike Yams it needs no
/// Foundation, and it composes without recursion, so no nesting can exhaust the stack.
enum LibYAML {
    /// The deepest nesting of collections accepted: the limit the libyaml bundled in Yams set on
    /// block collections (Debian's libyaml 0.2.5 has none), here for flow ones too. A web config
    /// nests three deep.
    static let maximumDepth = 1000

    /// Composes the document of `bytes` (UTF-8); `nil` when they hold no document (empty, or
    /// comments only). A second document is an error, as is anything that is not YAML.
    static func compose(_ bytes: some Collection<UInt8>) throws(YAMLError) -> YAMLNode? {
        let events = try EventReader(bytes)
        var event = try events.next()  // a document's start, or the stream's end
        guard event.type != YAML_STREAM_END_EVENT else { return nil }
        var composer = Composer()
        let root = try composer.compose(from: events)
        event = try events.next()  // the stream's end, or a second document's start
        guard event.type == YAML_STREAM_END_EVENT else {
            throw .syntax(
                context: "expected a single document in the stream", problem: "but found another document",
                mark: event.mark)
        }
        return root
    }
}

/// One libyaml event, copied out of libyaml's memory.
private struct Event {
    var type: yaml_event_type_t
    var mark: YAMLMark
    var anchor: String?
    /// The tag as ``YAMLScalar/tag`` holds it (for scalars), or as libyaml gave it.
    var tag: String?
    var value = ""
    var style = YAMLScalar.Style.plain
    var alias: String?
}

/// libyaml's parser over a private copy of the input, handing out one ``Event`` at a time.
private final class EventReader {
    private let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    private let input: UnsafeMutableBufferPointer<UInt8>

    init(_ bytes: some Collection<UInt8>) throws(YAMLError) {
        // libyaml reads the input in place while events are taken; never a null pointer, even
        // for no bytes (it asserts that).
        input = .allocate(capacity: max(1, bytes.count))
        _ = input.initialize(from: bytes)
        guard yaml_parser_initialize(parser) == 1 else {
            input.deallocate()
            parser.deallocate()
            throw .outOfMemory
        }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
        _ = try next()  // the stream start
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    /// The next event; a libyaml error becomes a ``YAMLError``.
    func next() throws(YAMLError) -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) == 1 else { throw error() }
        defer { yaml_event_delete(&raw) }
        var event = Event(type: raw.type, mark: YAMLMark(raw.start_mark))
        switch raw.type {
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            event.anchor = string(scalar.anchor)
            event.tag = scalar.quoted_implicit == 1 ? YAML_STR_TAG : string(scalar.tag)
            event.value = String(
                decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            event.style = YAMLScalar.Style(scalar.style)
        case YAML_ALIAS_EVENT:
            event.alias = string(raw.data.alias.anchor)
        case YAML_SEQUENCE_START_EVENT:
            event.anchor = string(raw.data.sequence_start.anchor)
        case YAML_MAPPING_START_EVENT:
            event.anchor = string(raw.data.mapping_start.anchor)
        default:
            break
        }
        return event
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private func error() -> YAMLError {
        let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unknown problem"
        switch parser.pointee.error {
        case YAML_READER_ERROR:
            return .reader(problem: problem, offset: parser.pointee.problem_offset)
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR:
            return .syntax(
                context: parser.pointee.context.map { String(cString: $0) }, problem: problem,
                mark: YAMLMark(parser.pointee.problem_mark))
        default:
            return .outOfMemory
        }
    }
}

/// Builds one document's tree from its events, with an explicit stack instead of recursion.
private struct Composer {
    /// A collection whose events are still coming.
    private struct Open {
        let start: Event
        var items: [YAMLNode] = []
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var key: YAMLNode?
    }

    private var anchors: [String: YAMLNode] = [:]
    private var open: [Open] = []

    /// Reads the events of the document that `events` just started, up to its end.
    mutating func compose(from events: EventReader) throws(YAMLError) -> YAMLNode {
        while true {
            let event = try events.next()
            let node: YAMLNode
            let anchor: String?
            switch event.type {
            case YAML_SCALAR_EVENT:
                node = .scalar(YAMLScalar(string: event.value, style: event.style, tag: event.tag, mark: event.mark))
                anchor = event.anchor
            case YAML_ALIAS_EVENT:
                // An anchor is known once its node is complete, so no node contains itself.
                guard let alias = event.alias, let anchored = anchors[alias] else {
                    throw .syntax(context: nil, problem: "found undefined alias", mark: event.mark)
                }
                node = anchored
                anchor = nil
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard open.count < LibYAML.maximumDepth else { throw .tooDeep(mark: event.mark) }
                open.append(Open(start: event))
                continue
            case YAML_SEQUENCE_END_EVENT:
                let done = open.removeLast()
                node = .sequence(done.items, mark: done.start.mark)
                anchor = done.start.anchor
            case YAML_MAPPING_END_EVENT:
                let done = open.removeLast()
                try Self.checkUniqueKeys(done.pairs)
                node = .mapping(done.pairs, mark: done.start.mark)
                anchor = done.start.anchor
            default:  // libyaml sends no other event inside a document
                throw .syntax(context: nil, problem: "unexpected event", mark: event.mark)
            }
            // A later anchor of the same name replaces an earlier one, from here on.
            if let anchor { anchors[anchor] = node }
            guard !open.isEmpty else {
                _ = try events.next()  // the document end
                return node
            }
            let last = open.count - 1
            if open[last].start.type == YAML_SEQUENCE_START_EVENT {
                open[last].items.append(node)
            } else if let key = open[last].key {
                open[last].pairs.append((key, node))
                open[last].key = nil
            } else {
                open[last].key = node
            }
        }
    }

    /// Throws when a scalar key appears twice in `pairs` (``YAMLScalar/isSameKey(as:)``), naming
    /// every such key and the first place of the first of them. A key that is a collection is
    /// left to the reader of the mapping, which takes scalar keys only.
    private static func checkUniqueKeys(_ pairs: [(key: YAMLNode, value: YAMLNode)]) throws(YAMLError) {
        var seen: [String: [YAMLScalar]] = [:]
        var repeated: [YAMLScalar] = []
        for case (.scalar(let key), _) in pairs {
            let same = seen[key.string, default: []]
            if let first = same.first(where: { $0.isSameKey(as: key) }) {
                if !repeated.contains(where: { $0.isSameKey(as: first) }) { repeated.append(first) }
            } else {
                seen[key.string, default: []].append(key)
            }
        }
        guard !repeated.isEmpty else { return }
        repeated.sort { ($0.string, $0.mark.line, $0.mark.column) < ($1.string, $1.mark.line, $1.mark.column) }
        throw .duplicateKeys(repeated.map(\.string), mark: repeated[0].mark)
    }
}

extension YAMLMark {
    fileprivate init(_ mark: yaml_mark_t) {
        self.init(line: mark.line + 1, column: mark.column + 1)
    }
}

extension YAMLScalar.Style {
    fileprivate init(_ style: yaml_scalar_style_t) {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: self = .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: self = .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: self = .literal
        case YAML_FOLDED_SCALAR_STYLE: self = .folded
        default: self = .plain
        }
    }
}
