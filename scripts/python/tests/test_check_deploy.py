"""Unit tests of check_deploy's pure parts: the PromQL reader, the catalog's names, the dashboard's
expressions, and the rule and test files read without YAML."""

import json
import os
import unittest

from virt_exporter_tools.check_deploy import grafana, promql, rule_files, systemd_unit
from virt_exporter_tools.check_deploy.__main__ import exporter_binary
from virt_exporter_tools.check_deploy.catalog import Catalog
from virt_exporter_tools.repository import REPOSITORY

CATALOG = Catalog([
    {"metric": "libvirt_up", "labels": []},
    {"metric": "libvirt_domain_info_state", "labels": ["domain"]},
    {"metric": "libvirt_domain_block_stats_read_bytes_total", "labels": ["domain", "target_device", "source_file"]},
    {"metric": "libvirt_domain_kvm_<name>_total", "labels": ["domain"]},
])


class PromQLTests(unittest.TestCase):
    def test_finds_every_selector_with_its_matchers(self):
        found = promql.selectors(
            'sum by (domain) (rate(libvirt_domain_block_stats_read_bytes_total{target_device="vda", '
            'domain=~"web.*"}[5m])) / on(domain) group_left libvirt_domain_info_state > 0')
        self.assertEqual(found, [
            ("libvirt_domain_block_stats_read_bytes_total", {"target_device": ("=", "vda"), "domain": ("=~", "web.*")}),
            ("libvirt_domain_info_state", {}),
        ])

    def test_label_lists_functions_and_keywords_are_not_metrics(self):
        found = promql.selectors("max without (instance) (time() - up offset 5m) and bool libvirt_up unless absent(x)")
        self.assertEqual([name for name, _ in found], ["up", "libvirt_up", "x"])

    def test_a_selector_by_name_label(self):
        self.assertEqual(promql.selectors('{__name__="libvirt_up", job="libvirt"}'),
                         [("libvirt_up", {"__name__": ("=", "libvirt_up"), "job": ("=", "libvirt")})])
        self.assertEqual(promql.selectors('{__name__=~"libvirt_.*"}')[0][0], None)

    def test_strings_numbers_and_comments(self):
        self.assertEqual(promql.tokenize('1e+3 0x1F .5 Inf # a comment\n"a\\"b\\n" `raw\\n`'), [
            ("number", "1e+3"), ("number", "0x1F"), ("number", ".5"), ("number", "Inf"),
            ("string", 'a"b\n'), ("string", "raw\\n"),
        ])
        self.assertEqual(promql.unescape(r"\x41\t\q"), r"\x41" + "\tq")

    def test_malformed_text_is_a_syntax_error(self):
        with self.assertRaisesRegex(promql.PromQLSyntaxError, "unterminated string"):
            promql.tokenize('up{job="x}')
        with self.assertRaisesRegex(promql.PromQLSyntaxError, "unexpected character"):
            promql.tokenize("up ; down")
        with self.assertRaisesRegex(promql.PromQLSyntaxError, "malformed label matcher"):
            promql.selectors("up{job=5}")

    def test_split_top_level_ignores_commas_in_brackets_and_quotes(self):
        self.assertEqual(promql.split_top_level('m{a="x,y", b=~"(c,d)"}, label'), ('m{a="x,y", b=~"(c,d)"}', "label"))
        self.assertEqual(promql.split_top_level(" domain "), (None, "domain"))


class CatalogTests(unittest.TestCase):
    def test_templates_match_any_name_and_up_is_known(self):
        self.assertEqual(CATALOG.labels_of("libvirt_domain_kvm_halt_exits_total"), {"domain"})
        self.assertIsNone(CATALOG.labels_of("libvirt_domain_kvm_halt_exits"))
        self.assertEqual(CATALOG.labels_of("up"), set())

    def test_problems_name_unknown_metrics_and_labels(self):
        problems = CATALOG.problems(promql.selectors(
            'libvirt_domain_info_state{vcpu="0", instance="h"} + libvirt_nonsense + {__name__="libvirt_up"}'))
        self.assertEqual(problems, [
            "libvirt_domain_info_state has no label vcpu (it has domain, instance, job)",
            "unknown metric libvirt_nonsense (not in the exporter's catalog)",
        ])
        self.assertEqual(CATALOG.problems(promql.selectors("libvirt_nonsense"), know_every_metric=False), [])


class GrafanaTests(unittest.TestCase):
    DASHBOARD = {
        "templating": {"list": [
            {"name": "datasource", "type": "datasource"},
            {"name": "step", "type": "interval"},
            {"name": "device", "type": "custom", "query": "vda, vdb"},
            {"name": "domain", "type": "query",
             "query": {"query": 'label_values(libvirt_domain_info_state{instance=~"$instance"}, domain)'}},
            {"name": "instance", "type": "query", "query": "label_values(libvirt_up, instance)"},
            {"name": "anylabel", "type": "query", "query": "label_values(vcpu)"},
            {"name": "names", "type": "query", "query": "metrics(libvirt_.*)"},
            {"name": "empty", "type": "query", "query": ""},
        ]},
        "panels": [
            {"title": "Up", "targets": [{"refId": "A", "expr": 'libvirt_up{instance=~"$instance"}'}]},
            {"title": "Row", "panels": [
                {"id": 7, "targets": [{"refId": "B", "expr": 'rate(x{target_device="$device"}[$step])'},
                                      {"refId": "C", "expr": "rate(x[$undefined])"}]},
            ]},
        ],
        "annotations": {"list": [{"name": "Jobs", "expr": "changes(y[$__rate_interval]) > 0"}]},
    }

    def test_substitute_replaces_variables_and_keeps_label_replace_references(self):
        text = grafana.substitute('label_replace(m{d=~"${domain:regex}"}[$__interval], "a", "$1", "b", "[[x]]")',
                                  {"domain": ".*", "x": "v"})
        self.assertEqual(text, 'label_replace(m{d=~".*"}[1m], "a", "$1", "b", "v")')
        with self.assertRaises(grafana.UndefinedVariables) as raised:
            grafana.substitute("m[$nope] + n[$gone]", {})
        self.assertEqual((raised.exception.names, raised.exception.text), ("$nope, $gone", "m[.*] + n[.*]"))

    def test_every_target_annotation_and_variable_query_is_found_in_order(self):
        items = grafana.dashboard_items(self.DASHBOARD, CATALOG)
        described = [(type(item).__name__, item.where if isinstance(item, grafana.Expression) else item.description,
                      item.text if isinstance(item, grafana.Expression) else item.ok, item.problems) for item in items]
        self.assertEqual(described, [
            ("Expression", "panel 'Up' A", 'libvirt_up{instance=~".*"}', []),
            ("Expression", "panel 'Row' > 'panel 7' B", 'rate(x{target_device="vda"}[5m])', []),
            ("Expression", "panel 'Row' > 'panel 7' C", "rate(x[.*])", ["undefined Grafana variable $undefined"]),
            ("Expression", "annotation 'Jobs'", "changes(y[5m]) > 0", []),
            ("Expression", "variable $domain label_values", 'libvirt_domain_info_state{instance=~".*"}', []),
            ("Expression", "variable $instance label_values", "libvirt_up", []),
            ("Verdict", "variable $anylabel: label_values(vcpu)", False, ["no metric of the exporter has label vcpu"]),
            ("Verdict", "variable $names: metrics(...) (nothing to check)", True, []),
            ("Verdict", "variable $empty: has a query", False, ["empty query"]),
        ])

    def test_label_values_of_a_label_the_metric_lacks(self):
        dashboard = {"templating": {"list": [
            {"name": "v", "type": "query", "query": "label_values(libvirt_up, domain)"}]}}
        [item] = grafana.dashboard_items(dashboard, CATALOG)
        self.assertEqual(item.problems, ["libvirt_up has no label domain"])

    def test_the_committed_dashboard_has_an_expression_for_every_target(self):
        with open(os.path.join(REPOSITORY, "deploy/grafana/virt-exporter.json")) as f:
            dashboard = json.load(f)
        targets = []

        def walk(panels):
            for panel in panels:
                targets.extend(target["expr"] for target in panel.get("targets", []) or [] if "expr" in target)
                walk(panel.get("panels", []) or [])
        walk(dashboard["panels"])
        expressions = [item for item in grafana.dashboard_items(dashboard, CATALOG)
                       if isinstance(item, grafana.Expression) and item.where.startswith("panel ")]
        self.assertEqual(len(expressions), len(targets))
        self.assertGreater(len(targets), 20)
        self.assertFalse([e for e in expressions if "$" in e.text.replace("$1", "")], "variables left unreplaced")


class RuleFileTests(unittest.TestCase):
    RULES = """groups:
  - name: g
    rules:
      # a comment
      - alert: Plain
        expr: libvirt_up == 0  # trailing comment
      - alert: Block
        expr: |
          sum(x)
            > 1

        for: 5m
      - record: job:quoted
        expr: "rate(y[5m])"
      - alert: 'Single'
        expr: 'z{a=''b''}'
"""

    def test_reads_plain_block_and_quoted_scalars(self):
        rules = rule_files.Rules(self.RULES, "r.yml")
        self.assertEqual(rules.alerts, ["Plain", "Block", "Single"])
        self.assertEqual(rules.records, {"job:quoted"})
        self.assertEqual(rules.expressions, [
            ("r.yml:6 alert Plain", "libvirt_up == 0"),
            ("r.yml:8 alert Block", "sum(x)\n  > 1"),
            ("r.yml:14 record job:quoted", "rate(y[5m])"),
            ("r.yml:16 alert Single", "z{a='b'}"),
        ])

    def test_a_rule_without_expr_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "2 alert/record keys but 1 expr keys"):
            rule_files.Rules("- alert: A\n  expr: up\n- alert: B\n", "r.yml")

    def test_finds_firing_and_quiet_cases(self):
        lines = """tests:
  - interval: 1m
    alert_rule_test:
      - eval_time: 5m
        alertname: A
        exp_alerts: []
      - eval_time: 15m
        alertname: A
        exp_alerts:
          - exp_labels:
              severity: warning
      - alertname: "B"
        eval_time: 1m
        exp_alerts: [{exp_labels: {a: b}}]
      - eval_time: 2m
        alertname: C
""".split("\n")
        cases = [(case["name"], case["firing"]) for case in rule_files.test_cases(lines)]
        self.assertEqual(cases, [("A", False), ("A", True), ("B", True), ("C", False)])

    def test_input_series_must_carry_the_exporters_labels(self):
        lines = [
            "      - series: 'libvirt_domain_info_state{domain=\"a\",instance=\"h\",job=\"libvirt\"}'",
            "      - series: 'libvirt_domain_info_state{instance=\"h\"}'",
            '      - series: "libvirt_gone{domain=\\"a\\"}"',
            "        values: '1x5'",
        ]
        count, problems = rule_files.series_problems(lines, CATALOG)
        self.assertEqual(count, 3)
        self.assertEqual(problems, [
            "line 2: libvirt_domain_info_state has labels [], the exporter gives it ['domain']",
            "line 3: unknown metric libvirt_gone",
        ])


    def test_expression_tests_and_the_metrics_they_select(self):
        lines = """    promql_expr_test:
      - expr: instance:libvirt_domains_running:count
        eval_time: 10m
      - expr: 'project:libvirt_x:sum{project_name=''a''} > 0'
        eval_time: 10m
      - expr: "sum(job:y:rate5m)"
    alert_rule_test:
      - eval_time: 5m
        alertname: A
""".split("\n")
        tested = rule_files.expression_tests(lines)
        self.assertEqual(tested, ["instance:libvirt_domains_running:count",
                                  "project:libvirt_x:sum{project_name='a'} > 0", "sum(job:y:rate5m)"])
        self.assertEqual([rule_files.metric_names(text) for text in tested],
                         [{"instance:libvirt_domains_running:count"}, {"project:libvirt_x:sum"}, {"job:y:rate5m"}])
        self.assertEqual(rule_files.metric_names("sum(("), set())


class SetupTests(unittest.TestCase):
    def test_the_binary_is_the_debug_build_or_the_given_path_from_the_callers_directory(self):
        self.assertEqual(exporter_binary({}, "/elsewhere"), os.path.join(REPOSITORY, ".build/debug/virt-exporter"))
        self.assertEqual(exporter_binary({"VIRT_EXPORTER_BINARY": "bin/x"}, "/elsewhere"), "/elsewhere/bin/x")
        self.assertEqual(exporter_binary({"VIRT_EXPORTER_BINARY": "/opt/x"}, "/elsewhere"), "/opt/x")

    def test_exec_start_program_without_its_prefixes(self):
        self.assertEqual(systemd_unit.exec_path("[Service]\nExecStart=-@/usr/local/bin/virt-exporter $ARGS\n"),
                         "/usr/local/bin/virt-exporter")
        self.assertIsNone(systemd_unit.exec_path("[Service]\nType=simple\n"))
        with open(os.path.join(REPOSITORY, "deploy/systemd/virt-exporter.service")) as f:
            self.assertTrue(systemd_unit.exec_path(f.read()).startswith("/"))


if __name__ == "__main__":
    unittest.main()
