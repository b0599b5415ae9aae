"""A small PromQL reader: enough to find every series selector of an expression, its metric name and
its label matchers. Whether an expression parses at all is promtool's job; this only has to read
the expressions that promtool accepts."""


class PromQLSyntaxError(Exception):
    """Text this reader cannot tokenize or whose label matchers are malformed."""


OPERATORS = ["==", "!=", ">=", "<=", "=~", "!~", "(", ")", "{", "}", "[", "]", ",", "=", "<", ">", "+", "-",
             "*", "/", "%", "^", "@", ":"]
BINARY_KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
NUMBER_WORDS = {"inf", "nan"}
SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def unescape(raw):
    """The value of a quoted PromQL string's body (Go escapes; \\x, \\u and octal are kept as written)."""
    out, k = [], 0
    while k < len(raw):
        if raw[k] == "\\" and k + 1 < len(raw):
            escaped = raw[k + 1]
            out.append(raw[k:k + 2] if escaped in "xuU01234567" else SIMPLE_ESCAPES.get(escaped, escaped))
            k += 2
        else:
            out.append(raw[k])
            k += 1
    return "".join(out)


def _string_end(text, i):
    """Reads the string literal opening at text[i]; returns (its value, the index after it)."""
    quote, j, value = text[i], i + 1, []
    while j < len(text) and text[j] != quote:
        if text[j] == "\\" and quote != "`" and j + 1 < len(text):
            value.append(text[j:j + 2])
            j += 2
        else:
            value.append(text[j])
            j += 1
    if j >= len(text):
        raise PromQLSyntaxError(f"unterminated string at offset {i}")
    raw = "".join(value)
    return (raw if quote == "`" else unescape(raw)), j + 1


def _number_end(text, i):
    """The index after the number starting at text[i] (decimal, hex, exponent, or a duration like 5m)."""
    j = i
    while j < len(text) and (text[j].isalnum() or text[j] in "._"):
        if text[j] in "eE" and j + 1 < len(text) and text[j + 1] in "+-" and text[i:j].replace(".", "").isdigit():
            j += 2
            continue
        j += 1
    return j


def tokenize(text):
    """The tokens of `text` as (kind, value) pairs; kind is "string", "number", "ident" or "op"."""
    tokens = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "\"'`":
            value, i = _string_end(text, i)
            tokens.append(("string", value))
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            j = _number_end(text, i)
            tokens.append(("number", text[i:j]))
            i = j
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_:"):
                j += 1
            word = text[i:j]
            tokens.append(("number", word) if word.lower() in NUMBER_WORDS else ("ident", word))
            i = j
        else:
            operator = next((op for op in OPERATORS if text.startswith(op, i)), None)
            if operator is None:
                raise PromQLSyntaxError(f"unexpected character {c!r} at offset {i}")
            tokens.append(("op", operator))
            i += len(operator)
    return tokens


def selectors(text):
    """The series selectors of a PromQL expression: a list of (metric name or None, {label: (operator,
    value)}). A selector without a metric name (`{__name__=~"…"}`) has None."""
    tokens = tokenize(text)
    found = []

    def token(k):
        return tokens[k] if k < len(tokens) else (None, None)

    def matchers(k):
        """Reads the {...} matcher list at tokens[k] == "{"; returns (matchers, index after "}")."""
        labels = {}
        k += 1
        while token(k) != ("op", "}"):
            if token(k) == ("op", ","):
                k += 1
                continue
            (label_kind, label), operator, value = token(k), token(k + 1), token(k + 2)
            if label_kind not in ("ident", "string") or operator[0] != "op" or value[0] != "string":
                raise PromQLSyntaxError(f"malformed label matcher near token {k}")
            labels[label] = (operator[1], value[1])
            k += 3
        return labels, k + 1

    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "ident" and value.lower() in LABEL_LIST_KEYWORDS:
            if token(i + 1) == ("op", "("):
                # by (...), without (...), on (...), ignoring (...), group_left (...): label names only.
                i += 2
                while i < len(tokens) and tokens[i] != ("op", ")"):
                    i += 1
            i += 1
        elif kind == "ident" and value.lower() in BINARY_KEYWORDS:
            i += 1
        elif kind == "ident" and (token(i + 1) == ("op", "(") or (
                token(i + 1)[0] == "ident" and token(i + 1)[1].lower() in ("by", "without"))):
            i += 1  # a function, or an aggregation: sum(...), sum by (...) (...)
        elif kind == "ident":
            if token(i + 1) == ("op", "{"):
                labels, i = matchers(i + 1)
            else:
                labels, i = {}, i + 1
            found.append((value, labels))
        elif (kind, value) == ("op", "{"):
            labels, i = matchers(i)
            name = labels.get("__name__")
            found.append((name[1] if name and name[0] == "=" else None, labels))
        else:
            i += 1
    return found


def split_top_level(argument, separator=","):
    """`argument` split at its last `separator` outside brackets and quotes: (before, after); before
    is None when there is no such separator."""
    depth, split, quote = 0, -1, None
    for k, c in enumerate(argument):
        if quote:
            quote = None if c == quote and argument[k - 1] != "\\" else quote
        elif c in "\"'`":
            quote = c
        elif c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif c == separator and depth == 0:
            split = k
    if split < 0:
        return None, argument.strip()
    return argument[:split].strip(), argument[split + 1:].strip()

