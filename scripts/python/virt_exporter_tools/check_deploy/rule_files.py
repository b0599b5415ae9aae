"""Prometheus rule files and their unit test files, read line by line without a YAML library, the way
such files are written: `alert:`, `record:` and `expr:` keys with plain, quoted or block (| or >)
scalars; test cases as list items with eval_time, alertname and exp_alerts; input series quoted on
one line."""

import json
import re

from . import promql
from .catalog import TARGET_LABELS


def yaml_scalars(text, keys, path="<text>"):
    """The (key, value, line number) of every `key:` of `keys` in the YAML `text`."""
    lines = text.split("\n")
    found = []
    key_pattern = re.compile(r"^(\s*(?:-\s+)?)(" + "|".join(keys) + r"):(?:\s+(.*))?$")
    i = 0
    while i < len(lines):
        match = key_pattern.match(lines[i])
        if not match:
            i += 1
            continue
        indent = len(match.group(1))
        key, rest = match.group(2), (match.group(3) or "").strip()
        line_number = i + 1
        i += 1
        continuation = []
        while i < len(lines) and (lines[i].strip() == "" or len(lines[i]) - len(lines[i].lstrip()) > indent):
            continuation.append(lines[i])
            i += 1
        while continuation and continuation[-1].strip() == "":
            continuation.pop()
            i -= 1
        if rest[:1] in ("|", ">"):
            width = min((len(line) - len(line.lstrip()) for line in continuation if line.strip()), default=0)
            value = "\n".join(line[width:] for line in continuation)
        elif rest.startswith('"'):
            if continuation or not rest.endswith('"'):
                raise ValueError(f"{path}:{line_number}: multi-line quoted {key} is not supported here")
            value = json.loads(rest)
        elif rest.startswith("'"):
            if continuation or not rest.endswith("'"):
                raise ValueError(f"{path}:{line_number}: multi-line quoted {key} is not supported here")
            value = rest[1:-1].replace("''", "'")
        else:
            value = " ".join([re.sub(r"\s+#.*$", "", rest)] + [line.strip() for line in continuation])
        found.append((key, value, line_number))
    return found


class Rules:
    """The alerts and recording rules of a rule file: names and expressions with their lines."""

    def __init__(self, text, path="<text>"):
        scalars = yaml_scalars(text, ["alert", "record", "expr"], path)
        names = [(key, value) for key, value, _ in scalars if key in ("alert", "record")]
        expressions = [(value, line) for key, value, line in scalars if key == "expr"]
        if len(names) != len(expressions):
            raise ValueError(f"{path}: {len(names)} alert/record keys but {len(expressions)} expr keys")
        self.alerts = [name for key, name in names if key == "alert"]
        self.records = {name for key, name in names if key == "record"}
        # (where, expression) of each rule
        self.expressions = [(f"{path}:{line} {key} {name}", expression)
                            for (key, name), (expression, line) in zip(names, expressions)]


def test_cases(lines):
    """The alert test cases of a `promtool test rules` file: dicts with the alert's `name` and whether
    it is expected to fire there (`firing`). exp_alerts followed by list items (or a non-empty flow
    list) means it fires; `exp_alerts: []`, or none at all, that it does not."""
    cases, current = [], None
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if current is not None and (indent < current["indent"]
                                    or (indent == current["indent"] and stripped.startswith("-"))):
            cases.append(current)
            current = None
        match = re.match(r"^(\s*)-\s+(eval_time|alertname|exp_alerts):", line)
        if match:
            current = {"indent": len(match.group(1)), "name": None, "firing": False}
        if current is None:
            continue
        match = re.match(r"^\s*(?:-\s+)?alertname:\s*(\S+)\s*$", line)
        if match:
            current["name"] = match.group(1).strip("'\"")
        match = re.match(r"^(\s*(?:-\s+)?)exp_alerts:\s*(.*?)\s*$", line)
        if match:
            rest = match.group(2)
            if rest.startswith("["):
                current["firing"] = re.sub(r"\s", "", rest) != "[]"
            elif rest == "":
                following = [later for later in lines[number + 1:]
                             if later.strip() and not later.strip().startswith("#")]
                current["firing"] = (bool(following) and following[0].strip().startswith("-")
                                     and len(following[0]) - len(following[0].lstrip()) >= len(match.group(1)))
    if current is not None:
        cases.append(current)
    return [case for case in cases if case["name"]]


EXPRESSION_TEST = re.compile(r"^\s*-\s+expr:\s*(.*?)\s*$")


def expression_tests(lines):
    """The expressions of a test file's promql_expr_test items (`- expr: ...` on one line, plain or
    quoted)."""
    found = []
    for line in lines:
        match = EXPRESSION_TEST.match(line)
        if match:
            text = match.group(1)
            if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
                text = text[1:-1].replace("''", "'") if text[0] == "'" else promql.unescape(text[1:-1])
            found.append(text)
    return found


def metric_names(text):
    """The metric names an expression selects (empty when it does not tokenize)."""
    try:
        return {name for name, _ in promql.selectors(text) if name}
    except promql.PromQLSyntaxError:
        return set()


SERIES = re.compile(r"^\s*-?\s*series:\s*(['\"])(.*)\1\s*$")


def input_series(lines):
    """(line number, series text) of every quoted `series:` of a test file."""
    for number, line in enumerate(lines, 1):
        match = SERIES.match(line)
        if match:
            quote, text = match.groups()
            yield number, (text.replace("''", "'") if quote == "'" else promql.unescape(text))


def series_problems(lines, catalog, know_every_metric=True):
    """(number of input series, problems): each must be one series of a metric the exporter emits,
    with exactly the labels the exporter gives it (target labels aside)."""
    problems, count = [], 0
    for number, text in input_series(lines):
        count += 1
        try:
            found = promql.selectors(text)
            if len(found) != 1 or not found[0][0]:
                raise promql.PromQLSyntaxError("not one series")
            name, matchers = found[0]
            labels = catalog.labels_of(name)
            given = set(matchers) - TARGET_LABELS
            if labels is None:
                if know_every_metric:
                    problems.append(f"line {number}: unknown metric {name}")
            elif given != labels:
                problems.append(f"line {number}: {name} has labels {sorted(given)}, "
                                f"the exporter gives it {sorted(labels)}")
        except promql.PromQLSyntaxError as error:
            problems.append(f"line {number}: {text}: {error}")
    return count, problems
