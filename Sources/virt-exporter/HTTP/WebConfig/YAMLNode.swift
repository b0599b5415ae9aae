/// A place in a YAML file, as libyaml counts: lines and columns from 1, columns in Unicode scalars.
struct YAMLMark: Equatable, Sendable {
    let line: Int
    let column: Int
}

/// One node of a composed YAML document: a scalar, a sequence or a mapping, with the place where
/// it starts. An alias is replaced by the node its anchor names (with that node's place).
indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode], mark: YAMLMark)
    /// The entries in file order; keys are unique (see ``YAMLScalar/isSameKey(as:)``).
    case mapping([(key: YAMLNode, value: YAMLNode)], mark: YAMLMark)

    /// Where the node starts.
    var mark: YAMLMark {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .sequence(_, let mark), .mapping(_, let mark): mark
        }
    }
}

/// A scalar: its text, how it was written, and its tag.
struct YAMLScalar: Sendable {
    /// How the scalar was written.
    enum Style: Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The text, after YAML's escapes, folding and trimming.
    let string: String
    let style: Style
    /// The explicit tag (`!!int`, `!`, `!local`), fully expanded; `tag:yaml.org,2002:str` for a
    /// quoted or block scalar without one; `nil` for a plain scalar without one.
    let tag: String?
    let mark: YAMLMark

    /// Whether two mapping keys are the same key, which YAML forbids: the same text and the same
    /// resolved tag. So `a` and `"a"` are the same key (both strings), `1` and `"1"` are not (an
    /// integer and a string), as Yams decided before libyaml replaced it here.
    func isSameKey(as other: YAMLScalar) -> Bool {
        string == other.string && (tag == other.tag || resolvedTag == other.resolvedTag)
    }

    /// The tag under YAML 1.1's implicit rules: the explicit tag, the default `str` for the
    /// non-specific `!`, or for a plain scalar the first rule its text matches.
    var resolvedTag: String {
        switch tag {
        case nil, "": YAMLScalar.implicitTag(of: string)
        case "!": YAMLTag.str
        case let tag?: tag
        }
    }

    /// YAML 1.1's implicit tag of a plain scalar's text, by the rules (and in the order) of Yams'
    /// default resolver, which this parser replaced: bool, int, float, merge, null, timestamp,
    /// value, else str. Matched on Unicode scalars, as its ICU regular expressions did.
    static func implicitTag(of text: String) -> String {
        for (tag, rule) in YAMLTag.rules() where (try? rule.wholeMatch(in: text)) != nil {
            return tag
        }
        return YAMLTag.str
    }
}

/// YAML 1.1's tags, and the patterns of the implicit ones.
private enum YAMLTag {
    static let str = "tag:yaml.org,2002:str"

    /// The implicit rules, made on each use: only keys that may be the same key need them (a quoted
    /// and a plain one of the same text), and `Regex` values cannot be shared between threads.
    static func rules() -> [(String, Regex<Substring>)] {
        [
            ("tag:yaml.org,2002:bool", #/yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF/#),
            (
                "tag:yaml.org,2002:int",
                #/[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+/#
            ),
            (
                "tag:yaml.org,2002:float",
                #/[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)/#
            ),
            ("tag:yaml.org,2002:merge", #/<</#),
            ("tag:yaml.org,2002:null", #/~|null|Null|NULL|/#),
            (
                "tag:yaml.org,2002:timestamp",
                #/[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?/#
            ),
            ("tag:yaml.org,2002:value", #/=/#),
        ].map { ($0.0, $0.1.matchingSemantics(.unicodeScalar)) }
    }
}

extension String {
    /// The text with its control characters (line breaks, tabs, NUL, …) escaped as in a Swift
    /// literal (`\n`, `\t`, `\u{1B}`), so that an error message quoting a key stays on one line.
    var escapingControlCharacters: String {
        var escaped = ""
        for scalar in unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: escaped += scalar.escaped(asASCII: true)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
