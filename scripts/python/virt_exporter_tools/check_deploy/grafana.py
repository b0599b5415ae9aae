"""The PromQL expressions of a Grafana dashboard: panel targets (nested rows included), annotation
queries and template variable queries, with Grafana's variables replaced by valid placeholders."""

import re
from dataclasses import dataclass, field

from . import promql
from .catalog import TARGET_LABELS

BUILTIN_VARIABLES = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h", "__auto": "1m",
                     "__interval_ms": "60000", "__range_s": "3600", "__range_ms": "3600000"}
VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
VARIABLE_FUNCTION = re.compile(r"^\s*(label_values|label_names|metrics|query_result)\s*\((.*)\)\s*$", re.S)


@dataclass
class Expression:
    """One PromQL expression to check, where it was found, and problems already known about it."""
    where: str
    text: str
    problems: list = field(default_factory=list)


@dataclass
class Verdict:
    """A check decided while reading the dashboard (a variable query with nothing to parse)."""
    ok: bool
    description: str
    problems: list = field(default_factory=list)


class UndefinedVariables(Exception):
    """A text uses variables the dashboard does not define: `names` ("$a, $b") and the text with them
    replaced by `.*` (`text`)."""

    def __init__(self, names, text):
        super().__init__(names)
        self.names = names
        self.text = text


def substitute(text, variables):
    """`text` with Grafana's variables replaced by their placeholders; raises UndefinedVariables."""
    undefined = []

    def replace(match):
        name = match.group(1) or match.group(2) or match.group(3)
        if name in BUILTIN_VARIABLES:
            return BUILTIN_VARIABLES[name]
        if name in variables:
            return variables[name]
        if match.group(3) and name[0].isdigit():
            return match.group(0)  # $1 in a label_replace replacement, not a variable
        undefined.append(name)
        return ".*"

    result = VARIABLE.sub(replace, text)
    if undefined:
        raise UndefinedVariables(", ".join("$" + name for name in undefined), result)
    return result


def placeholders(template_list):
    """A placeholder value for each of the dashboard's template variables."""
    variables = {}
    for variable in template_list:
        if variable.get("type") == "interval":
            variables[variable["name"]] = "5m"
        elif variable.get("type") in ("constant", "custom", "textbox"):
            query = variable.get("query", "")
            first = query.split(",")[0].strip() if isinstance(query, str) else ""
            variables[variable["name"]] = first or ".*"
        else:
            variables[variable["name"]] = ".*"
    return variables


def _expression(where, text, variables):
    try:
        return Expression(where, substitute(text, variables))
    except UndefinedVariables as error:
        return Expression(where, error.text, [f"undefined Grafana variable {error.names}"])


def _panel_expressions(panels, path, variables):
    for panel in panels:
        title = panel.get("title") or f"panel {panel.get('id')}"
        for target in panel.get("targets", []) or []:
            if "expr" in target:
                yield _expression(f"{path}{title!r} {target.get('refId', '?')}", target["expr"], variables)
        yield from _panel_expressions(panel.get("panels", []) or [], f"{path}{title!r} > ", variables)


def _label_values(where, argument, catalog):
    """label_values(label) or label_values(selector, label): a Verdict or an Expression."""
    selector, label = promql.split_top_level(argument)
    if selector is None:
        every = catalog.every_label()
        return Verdict(label in every, f"{where}: label_values({label})",
                       [] if label in every else [f"no metric of the exporter has label {label}"])
    problems = []
    try:
        found = promql.selectors(selector)
        if len(found) == 1 and found[0][0]:
            labels = catalog.labels_of(found[0][0])
            if labels is not None and label not in labels | TARGET_LABELS:
                problems.append(f"{found[0][0]} has no label {label}")
        else:
            problems.append(f"{selector!r} is not one series selector")
    except promql.PromQLSyntaxError as error:
        problems.append(str(error))
    return Expression(f"{where} label_values", selector, problems)


def _variable_items(template_list, variables, catalog):
    for variable in template_list:
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        where = f"variable ${variable.get('name')}"
        if not query:
            yield Verdict(False, f"{where}: has a query", ["empty query"])
            continue
        try:
            query = substitute(query, variables)
        except UndefinedVariables as error:
            yield Verdict(False, f"{where}: {query}", [f"undefined Grafana variable {error.names}"])
            continue
        match = VARIABLE_FUNCTION.match(query)
        if not match:
            yield Expression(where, query)
            continue
        function, argument = match.groups()
        if function == "query_result":
            yield Expression(f"{where} query_result", argument)
        elif function == "label_values":
            yield _label_values(where, argument, catalog)
        else:
            yield Verdict(True, f"{where}: {function}(...) (nothing to check)")


def dashboard_items(dashboard, catalog):
    """The dashboard's expressions and verdicts, in the order the dashboard holds them: panels,
    annotations, then template variables."""
    template_list = dashboard.get("templating", {}).get("list", [])
    variables = placeholders(template_list)
    items = list(_panel_expressions(dashboard.get("panels", []), "panel ", variables))
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation:
            items.append(_expression(f"annotation {annotation.get('name')!r}", annotation["expr"], variables))
    items += _variable_items(template_list, variables, catalog)
    return items
