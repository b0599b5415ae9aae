"""scripts/check-deploy: checks the deployment files against the exporter they deploy.

- deploy/prometheus/virt-exporter.rules.yml with `promtool check rules`, and its unit tests
  deploy/prometheus/virt-exporter.rules.test.yml with `promtool test rules`;
- that every alert has a test case where it fires and one where it does not, and every recording
  rule a promql_expr_test that evaluates it;
- the example Prometheus configurations deploy/prometheus/prometheus.example.yml (discovery of the
  hypervisors) and federate.example.yml with `promtool check config`;
- every PromQL expression of the rules and of the Grafana dashboard deploy/grafana/virt-exporter.json
  (panel targets, annotation queries, template variable queries such as label_values(metric, label)):
  each must parse (they are wrapped, with Grafana's variables replaced by placeholders, into a
  temporary rules file for `promtool check rules`), and each metric name and selector label in it
  must be one that `virt-exporter catalog --format json` lists (rows with `<name>` match any
  [a-z0-9_]+; the target labels instance and job are allowed everywhere; `up` and `time` too);
- that the unit tests' input series use the exporter's exact metric names and label sets;
- deploy/systemd/virt-exporter.service and virt-exporter.socket with `systemd-analyze verify`, if
  systemd-analyze is there, and the service again with the opt-in drop-in libvirt-group.conf;
- deploy/kubernetes/daemonset.yaml: the promises README.md makes of it (kubernetes.py).

Prints one line per check and ends with `N passed, M failed`; exits non-zero if any check failed.
Environment: VIRT_EXPORTER_BINARY, the exporter binary (default .build/debug/virt-exporter, from
`swift build`; a relative path is taken from the current directory).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

from .. import checks as checks_module
from ..cli import ArgumentParser
from ..repository import REPOSITORY, install_packages
from . import grafana, kubernetes, promql, promtool, rule_files, systemd_unit
from .catalog import Catalog

RULES = "deploy/prometheus/virt-exporter.rules.yml"
RULES_TEST = "deploy/prometheus/virt-exporter.rules.test.yml"
DASHBOARD = "deploy/grafana/virt-exporter.json"
UNIT = "deploy/systemd/virt-exporter.service"
SOCKET_UNIT = "deploy/systemd/virt-exporter.socket"
GROUP_DROP_IN = "deploy/systemd/libvirt-group.conf"
GUEST_AGENT_UNIT = "deploy/systemd/virt-exporter-guest-agent.service"
DAEMONSET = "deploy/kubernetes/daemonset.yaml"
PROMETHEUS_CONFIGS = ("deploy/prometheus/prometheus.example.yml", "deploy/prometheus/federate.example.yml")


def arguments(argv):
    parser = ArgumentParser(
        prog="scripts/check-deploy", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--install-tools", action="store_true",
                        help="install the Debian packages for missing tools (prometheus for promtool, systemd "
                             "for systemd-analyze) first; needs root or sudo")
    return parser.parse_args(argv)


def exporter_binary(environment, caller_directory):
    """The binary to ask for the catalog: VIRT_EXPORTER_BINARY (relative to the caller's directory)
    or the debug build of this checkout."""
    given = environment.get("VIRT_EXPORTER_BINARY")
    if given:
        return os.path.join(caller_directory, given)
    return os.path.join(REPOSITORY, ".build/debug/virt-exporter")


class CheckDeploy:
    """The checks, in the order they print."""

    def __init__(self, binary, scratch, out=None):
        self.binary = binary
        self.scratch = scratch
        self.checks = checks_module.Checks(out)
        self.have_promtool = False
        self.have_catalog = False
        self.catalog = Catalog()
        self.alerts = []
        self.records = []
        self.expressions = []  # grafana.Expression

    def run(self):
        self.checks.say("== tools")
        self.tools()
        self.checks.say("== Prometheus rules")
        if self.have_promtool:
            for verb, path in (("check", RULES), ("test", RULES_TEST)):
                ok, output = promtool.run([verb, "rules", path])
                self.checks.check(ok, f"promtool {verb} rules {path}", [output])
            for path in PROMETHEUS_CONFIGS:
                ok, output = promtool.run(["check", "config", path])
                self.checks.check(ok, f"promtool check config {path}", [output])
        self.checks.say("== expressions")
        try:
            self.read_expressions()
            self.test_file()
            self.check_expressions()
        except Exception:  # a bug here must fail the run, not end it without a summary
            self.checks.fails("checking the expressions", [traceback.format_exc().rstrip("\n")])
        self.checks.say("== systemd units")
        if shutil.which("systemd-analyze"):
            self.checks.check(*systemd_unit.verify(UNIT, self.binary, self.scratch))
            # The socket unit (socket activation), verified beside the service it starts.
            self.checks.check(*systemd_unit.verify(SOCKET_UNIT, self.binary, self.scratch, service=UNIT))
            # The service with the opt-in drop-in that adds the libvirt group.
            self.checks.check(*systemd_unit.verify(UNIT, self.binary, self.scratch, drop_in=GROUP_DROP_IN))
            # The opt-in guest agent reader, with the read-write connection.
            self.checks.check(*systemd_unit.verify(GUEST_AGENT_UNIT, self.binary, self.scratch))
        else:
            self.checks.say(f"skip  systemd-analyze verify {UNIT}: systemd-analyze is not installed (Debian "
                            "package systemd; run with --install-tools)")
        self.checks.say("== Kubernetes")
        self.checks.check(*kubernetes.check(DAEMONSET))
        self.checks.say("")
        self.checks.say(self.checks.summary())
        return self.checks.failed == 0

    def tools(self):
        if shutil.which("promtool"):
            self.have_promtool = True
            self.checks.passes(f"promtool: {promtool.version()}")
        else:
            self.checks.fails("promtool not found (Debian package prometheus; run with --install-tools)")
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            self.checks.fails(f"catalog: {self.binary} is not an executable (build it with `swift build`, or set "
                              "VIRT_EXPORTER_BINARY)")
            return
        description = f"catalog: {self.binary} catalog --format json"
        path = os.path.join(self.scratch, "catalog.json")
        with open(path, "w") as out:
            done = subprocess.run([self.binary, "catalog", "--format", "json"], stdout=out,
                                  stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            self.checks.fails(description, [done.stderr.rstrip("\n")])
            return
        self.catalog = Catalog.from_json_file(path)
        self.have_catalog = True
        self.checks.passes(description)

    def read_expressions(self):
        try:
            with open(RULES) as f:
                rules = rule_files.Rules(f.read(), RULES)
            self.alerts = rules.alerts
            self.records = sorted(rules.records)
            for name in rules.records:
                self.catalog.add_recorded(name)
            self.expressions += [grafana.Expression(where, text) for where, text in rules.expressions]
            self.checks.passes(f"{RULES}: {len(rules.expressions)} expressions read ({len(rules.alerts)} alerts)")
        except (OSError, ValueError) as error:
            self.checks.fails(f"{RULES}: reading its expressions", [str(error)])
        try:
            with open(DASHBOARD) as f:
                dashboard = json.load(f)
            self.checks.passes(f"{DASHBOARD}: valid JSON, schemaVersion {dashboard.get('schemaVersion')}")
        except (OSError, ValueError) as error:
            self.checks.fails(f"{DASHBOARD}: valid JSON", [str(error)])
            return
        for item in grafana.dashboard_items(dashboard, self.catalog):
            if isinstance(item, grafana.Verdict):
                self.checks.check(item.ok, item.description, item.problems)
            else:
                self.expressions.append(item)

    def test_file(self):
        try:
            with open(RULES_TEST) as f:
                lines = f.read().split("\n")
        except OSError as error:
            self.checks.fails(f"{RULES_TEST}: readable", [str(error)])
            return
        count, problems = rule_files.series_problems(lines, self.catalog, self.have_catalog)
        self.checks.check(not problems and count > 0,
                          f"{RULES_TEST}: {count} input series carry the exporter's metric names and label sets",
                          problems or ([] if count else ["no input series found"]))
        cases = rule_files.test_cases(lines)
        for name in self.alerts:
            fires = sum(1 for case in cases if case["name"] == name and case["firing"])
            quiet = sum(1 for case in cases if case["name"] == name and not case["firing"])
            ok = fires > 0 and quiet > 0
            self.checks.check(ok, f"test coverage of {name}: {fires} case(s) firing, {quiet} not firing",
                              [] if ok else ["needs a case where it fires and one where it does not"])
        for name in sorted({case["name"] for case in cases} - set(self.alerts)):
            self.checks.fails(f"test coverage of {name}", ["tested, but the rules file has no such alert"])
        tested = rule_files.expression_tests(lines)
        for name in self.records:
            count = sum(1 for text in tested if name in rule_files.metric_names(text))
            self.checks.check(count > 0, f"test coverage of {name}: {count} expression test(s)",
                              [] if count else ["needs a promql_expr_test whose expr uses it"])

    def check_expressions(self):
        errors = {}
        if self.have_promtool and self.expressions:
            all_parse, errors = promtool.parse_errors([e.text for e in self.expressions], self.scratch)
            self.checks.say(f"      promtool check rules on a temporary file of {len(self.expressions)} expressions: "
                            + ("all parse" if all_parse else "some do not parse, checking one by one"))
        for index, expression in enumerate(self.expressions):
            problems = list(expression.problems)
            if not self.have_promtool:
                problems.append("not parsed: promtool missing")
            problems += errors.get(index, [])
            names = []
            try:
                found = promql.selectors(expression.text)
                names = sorted({name for name, _ in found if name})
                problems += self.catalog.problems(found, self.have_catalog)
            except promql.PromQLSyntaxError as error:
                problems.append(f"tokenizer: {error}")
            self.checks.check(not problems, f"{expression.where}: {', '.join(names) if names else '(no metric)'}",
                              problems)


def main(argv=None):
    options = arguments(sys.argv[1:] if argv is None else argv)
    binary = exporter_binary(os.environ, os.getcwd())
    os.chdir(REPOSITORY)
    if options.install_tools:
        wanted = [package for tool, package in (("promtool", "prometheus"), ("systemd-analyze", "systemd"))
                  if not shutil.which(tool)]
        if wanted:
            install_packages(wanted)
    with tempfile.TemporaryDirectory(prefix="check-deploy.") as scratch:
        sys.stdout.reconfigure(line_buffering=True)
        return 0 if CheckDeploy(binary, scratch).run() else 1


if __name__ == "__main__":
    sys.exit(main())
