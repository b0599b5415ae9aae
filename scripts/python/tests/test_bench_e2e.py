"""Unit tests of bench_e2e's pure parts: options, wrk's result line, body figures, CPU arithmetic, the
report's tables, the document's markers and nginx's configuration."""

import contextlib
import io
import os
import tempfile
import unittest
from unittest import mock

from virt_exporter_tools.bench_e2e import document, measure, nginx, options, procfs, report, scrape, wrk
from virt_exporter_tools.bench_e2e.results import Results

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:1/metrics
  1 threads and 1 connections
WRKRESULT requests=2000 duration_us=2000000 bytes=126000000 p50_us=450.0 p90_us=700.5 p99_us=1200.0 \
max_us=3000.0 err_connect=0 err_read=1 err_write=0 err_status=0 err_timeout=2
"""
META = {"connections": "1 50"}


def figures_of(exp, p50):
    return {"c1_plain_p50_ms": p50, "c1_plain_p99_ms": p50 * 2, "c1_plain_rps": 1000 / p50,
            "c1_plain_requests": 100, "c1_plain_errors": 0}


class OptionsTests(unittest.TestCase):
    def parse(self, *argv, environment=None):
        return options.parse(list(argv), environment or {})

    def test_defaults_and_sorted_unique_domain_counts(self):
        o = self.parse("--domains", "50 10 50")
        self.assertEqual((o.domains, o.duration, o.interval_s, o.write_docs, o.build), ([10, 50], 10, 15, True, True))
        self.assertEqual(o.command_line, "scripts/bench-e2e --domains 50 10 50")
        self.assertEqual(self.parse(environment={"BENCH_DOMAINS": "7"}).domains, [7])

    def test_quick_sets_a_short_run_and_explicit_options_win(self):
        o = self.parse("--duration", "4", "--quick")
        self.assertEqual((o.domains, o.duration, o.collections, o.interval, o.interval_s, o.go_scrapes, o.baseline,
                          o.write_docs), ([3], 4, 2, "5s", 5, 10, 5, False))
        self.assertTrue(self.parse("--quick", "--docs", "x.md").write_docs)
        self.assertEqual(self.parse("--interval", "2m").interval_s, 120)

    def test_bad_values_exit_2_with_one_line_naming_the_option(self):
        for argv, said in ((["--duration", "x"], "argument --duration: must be a whole number, not 'x'"),
                           (["--domains", "3 0"], "--domains takes positive whole numbers"),
                           (["--connections", "1 a"], "--connections takes positive whole numbers"),
                           (["--interval", "15"], "--interval takes whole seconds or minutes, e.g. 15s"),
                           (["--bogus"], "unrecognized arguments: --bogus")):
            stderr = io.StringIO()
            with self.subTest(argv=argv), contextlib.redirect_stderr(stderr), self.assertRaises(SystemExit) as done:
                self.parse(*argv)
            self.assertEqual(done.exception.code, 2)
            self.assertEqual(stderr.getvalue(), f"scripts/bench-e2e: {said} (see --help)\n")


class WrkTests(unittest.TestCase):
    def test_figures_of_the_result_line(self):
        values = wrk.figures("c1_plain", wrk.result_fields(WRK_OUTPUT))
        self.assertEqual(values, {"c1_plain_p50_ms": 0.45, "c1_plain_p99_ms": 1.2, "c1_plain_max_ms": 3.0,
                                  "c1_plain_rps": 1000.0, "c1_plain_requests": 2000, "c1_plain_errors": 3,
                                  "c1_plain_timeouts": 2, "c1_plain_bytes_per_request": 63000.0})
        self.assertEqual(wrk.summary(wrk.result_fields(WRK_OUTPUT)),
                         "p50_us=450.0 p90_us=700.5 p99_us=1200.0 requests=2000 errors: err_read=1 err_timeout=2")

    def test_no_latency_recorded_gives_no_percentiles(self):
        fields = wrk.result_fields(WRK_OUTPUT.replace("max_us=3000.0", "max_us=0.0").replace("requests=2000",
                                                                                               "requests=0"))
        values = wrk.figures("c50_gzip", fields)
        self.assertIsNone(values["c50_gzip_p50_ms"])
        self.assertIsNone(values["c50_gzip_bytes_per_request"])
        self.assertIsNone(wrk.result_fields("wrk: connection refused\n"))
        self.assertEqual(wrk.summary(None), "no result")

    def test_command_uses_at_most_one_thread_per_connection(self):
        self.assertEqual(wrk.command("http://u", 1, True, 2, 10, 5, "r.lua"),
                         ["timeout", "45", "wrk", "-t1", "-c1", "-d10s", "--timeout", "5s",
                          "-H", "Accept-Encoding: gzip", "-s", "r.lua", "http://u"])


class FiguresTests(unittest.TestCase):
    def test_body_figures_count_samples_per_domain(self):
        plain = (b"# HELP libvirt_up x\n# TYPE libvirt_up gauge\nlibvirt_up 1\n"
                 b'libvirt_domain_info_state{domain="a"} 1\nlibvirt_domain_info_state{domain="b"} 1\n'
                 b'libvirt_domain_info{domain="a",uuid="u"} 1\n')
        values = scrape.body_figures(plain, b"x" * 40, True, 2, 3)
        self.assertEqual(values, {"bytes": len(plain), "gzip_bytes": 40, "gzip_honoured": True, "samples": 4,
                                  "domain_samples": 3, "other_samples": 1, "metric_names": 3, "libvirt_domains": 3,
                                  "bytes_per_domain": len(plain) / 2, "gzip_bytes_per_domain": 20.0,
                                  "samples_per_domain": 2.0})
        self.assertEqual(scrape.sample_value(plain.decode(), "libvirt_up"), 1.0)
        self.assertIsNone(scrape.sample_value(plain.decode(), "libvirt_domain_info"))

    def test_cpu_values_subtract_libvirtds_idle_rate(self):
        before, after = {"1": 0.0, "2": 5e6}, {"1": 40e6, "2": 25e6, "3": 10e6}  # ns per thread
        values = measure.cpu_values((2.0, 1.0), 4, 10.0, 8, 30, (before, after), ({"9": 0.0}, {"9": 110e6}), {"x": 1})
        tick_ms = 1000 / measure.procfs.TICK
        self.assertAlmostEqual(values["exporter_cpu_ms_per_collection"], 8 * tick_ms / 4)
        self.assertAlmostEqual(values["libvirtd_cpu_ms_per_collection"], max(30 * tick_ms - 20, 0) / 4)
        self.assertAlmostEqual(values["exporter_cpu_ms_per_collection_sched"], 70 / 4)
        self.assertAlmostEqual(values["libvirtd_cpu_ms_per_collection_sched"], 100 / 4)
        self.assertAlmostEqual(values["exporter_vs_libvirtd_cpu_sched"], 0.7)
        self.assertEqual(values["x"], 1)
        self.assertIsNone(measure.cpu_values((0, 1000.0), 1, 1.0, 0, 0, ({}, {}), ({}, {}), {})[
            "exporter_vs_libvirtd_cpu_sched"])


class ReportTests(unittest.TestCase):
    def test_numbers_ratios_and_missing_figures(self):
        self.assertEqual([report.fmt(v) for v in (None, True, 1234, 0.0, 123.4, 12.34, 1.234, 0.1234, 0.001234)],
                         ["n/a", "yes", "1,234", "0", "123", "12.3", "1.23", "0.123", "0.0012"])
        self.assertEqual([report.ratio(*pair) for pair in ((1, 2), (1, 400), (3, 1), (1, None), (1, 0), (0, 5))],
                         ["0.50", "0.0025 (1/400)", "3.00", "n/a", "n/a", "0"])
        self.assertEqual(report.pct(0.478), "47.8 %")

    def test_the_table_has_a_column_for_nginx_on_the_scrape_rows_only(self):
        data = {3: {"virt": dict(figures_of("virt", 0.5), exporter_cpu_ms_per_collection=6.0, samples=600),
                    "go": dict(figures_of("go", 50.0), exporter_cpu_ms_per_collection=3.0),
                    "nginx": figures_of("nginx", 0.25),
                    "libvirtd": {"loadavg": "0.5 0.4 0.3"}}}
        lines = report.table(data, 3, {"connections": "1"}).split("\n")
        self.assertEqual(lines[2], "| measure | virt-exporter | Go exporter (kumina 0.2.0) | virt-exporter / Go "
                                   "| nginx, same bytes from a file | virt-exporter / nginx |")
        row = {line.split(" | ")[0][2:]: line for line in lines if line.startswith("| ")}
        self.assertEqual(row["scrape p50, 1 scraper, gzip off, ms"],
                         "| scrape p50, 1 scraper, gzip off, ms | 0.500 | 50.0 | 0.01 (1/100) | 0.250 | 2.00 |")
        self.assertEqual(row["scrapes completed / failed (errors + timeouts), 1 scraper, gzip off"],
                         "| scrapes completed / failed (errors + timeouts), 1 scraper, gzip off | 100 / 0 | 100 / 0 | "
                         " | 100 / 0 |  |")
        self.assertEqual(row["exporter CPU per collection, ms (utime+stime)"],
                         "| exporter CPU per collection, ms (utime+stime) | 6.00 | 3.00 | 2.00 |  |  |")
        self.assertEqual(row["scrape p50, 1 scraper, gzip on, ms"],
                         "| scrape p50, 1 scraper, gzip on, ms | n/a | n/a | n/a | n/a | n/a |")
        self.assertIn("Load average before: 0.5 0.4 0.3.", lines[-1])

    def test_the_table_has_the_bulk_call_and_the_private_rss(self):
        data = {3: {"virt": {"collection_wall_ms": 30.0, "rss_anon_warm_kib": 5 * 1024},
                    "go": {"collection_wall_ms": 60.0, "rss_anon_warm_kib": 10 * 1024},
                    "nginx": {}, "libvirtd": {"bulk_call_ms": 20.0}}}
        row = {line.split(" | ")[0][2:]: line for line in report.table(data, 3, {"connections": "1"}).split("\n")
               if line.startswith("| ")}
        bulk = [label for label in row if label.startswith("the bulk call alone, ms")]
        self.assertEqual(len(bulk), 1)
        self.assertTrue(row[bulk[0]].endswith("| 20.0 | 20.0 |  |  |  |"))
        self.assertEqual(row["collection wall time / the bulk call alone"],
                         "| collection wall time / the bulk call alone | 1.50× | 3.00× |  |  |  |")
        self.assertEqual(row["private RSS after warm-up (RssAnon, the anonymous part of VmRSS), MiB"],
                         "| private RSS after warm-up (RssAnon, the anonymous part of VmRSS), MiB | 5.00 | 10.0 | 0.50 "
                         "|  |  |")

    def targets_of(self, data, connections="1 50"):
        lines = report.targets(data, {"connections": connections}).split("\n")
        self.assertEqual(lines[:2], ["| target | reached | met |", "| --- | --- | --- |"])
        return lines[2:]

    def test_targets_are_issue_11s_goals_at_100_domains(self):
        virt = {"exporter_vs_libvirtd_cpu_sched": 0.12, "exporter_vs_libvirtd_cpu": 0.125,
                "exporter_cpu_ms_per_collection_sched": 30.0, "libvirtd_cpu_ms_per_collection_sched": 250.0,
                "collection_wall_ms": 270.0, "rss_warm_kib": 30 * 1024, "rss_anon_warm_kib": 6 * 1024,
                "hwm_end_kib": 40 * 1024, "c1_plain_rps": 900.0, "c1_gzip_rps": 2000.0}
        go = {"rss_warm_kib": 34 * 1024, "rss_anon_warm_kib": 5 * 1024, "hwm_end_kib": 100 * 1024}
        data = {10: {"virt": {"exporter_vs_libvirtd_cpu_sched": 0.3}},
                100: {"virt": virt, "go": go, "nginx": {"c1_plain_rps": 1000.0, "c1_gzip_rps": 1000.0},
                      "libvirtd": {"bulk_call_ms": 200.0, "bulk_call_runs": 5}}}
        lines = self.targets_of(data, "1")
        self.assertEqual(lines[0], "| exporter CPU per collection <= 15 % of libvirtd's for the same collection at "
                                   "100 domains | 12.0 % (sum_exec_runtime: 30.0 against 250 ms); 12.5 % (utime+stime) "
                                   "| yes |")
        self.assertEqual(lines[1], "| stretch: <= 10 % | 12.0 % (sum_exec_runtime) | no |")
        self.assertEqual(lines[2], "| (information) exporter CPU / libvirtd's, N = 10 | 30.0 % (sum_exec_runtime: "
                                   "n/a against n/a ms); n/a (utime+stime) | n/a |")
        self.assertEqual(lines[3], "| collection wall time at 100 domains <= 1.3× the bulk "
                                   "virConnectGetAllDomainStats call alone | 270 ms (last collection) against 200 ms "
                                   "(virsh domstats, median of 5): 1.35× | no |")
        self.assertEqual(lines[4], "| RSS after warm-up (VmRSS) at 100 domains <= the Go exporter's in the same run | "
                                   "30.0 MiB against 34.0 MiB | yes |")
        self.assertEqual(lines[5], "| its private part (RssAnon) at 100 domains <= the Go exporter's in the same run | "
                                   "6.00 MiB against 5.00 MiB | no |")
        self.assertTrue(lines[6].startswith("| (information) peak RSS after all the load"))
        self.assertTrue(lines[6].endswith("| 40.0 MiB against 100 MiB | n/a |"))
        self.assertEqual(lines[7:], [
            "| (information) scrapes/s against nginx's, N = 100, 1 scraper, gzip off: no earlier figure | 90.0 % "
            "(900 against 1,000 scrapes/s) | n/a |",
            "| (information) scrapes/s against nginx's, N = 100, 1 scraper, gzip on: no earlier figure | 200 % "
            "(2,000 against 1,000 scrapes/s) | n/a |"])

    def test_serving_at_50_domains_is_held_to_issue_11s_figures(self):
        data = {50: {"virt": {"c50_plain_rps": 930.0, "c50_gzip_rps": 600.0}, "go": {},
                     "nginx": {"c50_plain_rps": 1000.0, "c50_gzip_rps": 1000.0}, "libvirtd": {}}}
        lines = self.targets_of(data, "50")
        note = " (no run at 100 domains: figures at N = 50)"
        self.assertTrue(lines[0].endswith(f"at 100 domains{note} | n/a (sum_exec_runtime: n/a against n/a ms); "
                                          "n/a (utime+stime) | n/a |"))
        self.assertTrue(lines[2].endswith(f"call alone{note} | n/a ms (last collection) against n/a ms (virsh "
                                          "domstats, median of 5): n/a | n/a |"))
        self.assertEqual(lines[-2:], [
            "| scrapes/s against nginx's, N = 50, 50 concurrent scrapers, gzip off: not below issue 11's (92 %) | "
            "93.0 % (930 against 1,000 scrapes/s) | yes |",
            "| scrapes/s against nginx's, N = 50, 50 concurrent scrapers, gzip on: not below issue 11's (65 %) | "
            "60.0 % (600 against 1,000 scrapes/s) | no |"])


class BulkCallTests(unittest.TestCase):
    def test_virsh_time_is_the_last_timing_line(self):
        output = "Domain: 'vx-1'\n  state.state=1\n\nDomain: 'vx-off'\n  state.state=5\n\n(Time: 20.217 ms)\n"
        self.assertEqual(measure.virsh_time_ms(output), 20.217)
        self.assertEqual(measure.virsh_domains(output), 2)
        self.assertEqual(measure.virsh_time_ms("(Time: 1.5 ms)\n(Time: 1,25 ms)\n"), 1.25)
        self.assertEqual(measure.virsh_time_ms("(Time: 7 ms)"), 7.0)
        self.assertIsNone(measure.virsh_time_ms("error: failed to connect to the hypervisor\n"))
        self.assertEqual((measure.median([3, 1, 2]), measure.median([4, 1, 3, 2])), (2, 2.5))

    def test_the_command_is_the_exporters_call_all_groups_all_domains(self):
        self.assertEqual(measure.bulk_command("qemu:///system"),
                         ["timeout", "60", "virsh", "-c", "qemu:///system", "-t", "domstats", "--raw", "--nowait"])
        self.assertNotIn("--nowait", measure.bulk_command("test:///default", nowait=False))

    def test_median_of_the_timed_runs_after_a_warm_up_without_nowait_when_rejected(self):
        script = ('case "$*" in *--nowait*) echo "error: unsupported flag" >&2; exit 1;; esac; '
                  'n=$(cat "$COUNTER"); echo $((n + 1)) > "$COUNTER"; '
                  'printf "Domain: \'a\'\\n\\n(Time: %s ms)\\n" $((n * 10))')
        with tempfile.TemporaryDirectory() as directory, mock.patch.dict(os.environ, {"COUNTER": f"{directory}/c"}), \
                mock.patch.object(measure, "bulk_command", lambda uri, nowait=True: ["sh", "-c", script, "virsh"]
                                  + (["--nowait"] if nowait else [])), \
                contextlib.redirect_stderr(io.StringIO()):
            with open(f"{directory}/c", "w") as f:
                f.write("0\n")
            results = Results(os.path.join(directory, "r.jsonl"))
            values = measure.bulk_call(results, 3, "test:///default", 4, os.path.join(directory, "out.txt"))
            self.assertEqual(results.load()[3]["libvirtd"], values)
        # runs 0 (warm-up), 10, 20, 30, 40
        self.assertEqual(values, {"bulk_call_ms": 25.0, "bulk_call_min_ms": 10.0, "bulk_call_max_ms": 40.0,
                                  "bulk_call_runs": 4, "bulk_call_domains": 1, "bulk_call_nowait": False})


class ProcfsTests(unittest.TestCase):
    STATUS = "Name:\tvirt-exporter\nVmHWM:\t   52000 kB\nVmRSS:\t   49000 kB\nRssAnon:\t    4500 kB\n" \
             "RssFile:\t   44500 kB\nThreads:\t8\nSigQ:\t0/7000\n"

    def test_status_figures_are_the_kb_lines(self):
        self.assertEqual(procfs.status_figures(self.STATUS),
                         {"VmHWM": 52000, "VmRSS": 49000, "RssAnon": 4500, "RssFile": 44500})

    def test_rss_records_vmrss_the_peak_and_the_private_part(self):
        with tempfile.TemporaryDirectory() as directory:
            results = Results(os.path.join(directory, "r.jsonl"))
            values = measure.rss(results, 3, "virt", os.getpid(), "rss_warm_kib")
        self.assertEqual(sorted(values), ["hwm_warm_kib", "rss_anon_warm_kib", "rss_warm_kib"])
        self.assertTrue(all(isinstance(v, int) and v > 0 for v in values.values()))
        self.assertLessEqual(values["rss_anon_warm_kib"], values["rss_warm_kib"])
        self.assertIsInstance(procfs.status_kib(os.getpid(), "VmRSS"), int)


class DocumentTests(unittest.TestCase):
    def test_reflow_wraps_paragraphs_and_list_items_but_not_tables(self):
        text = document.reflow("word " * 30 + "\n\n- item " + "x " * 60 + "\n\n| a | b |\n| --- | --- |", width=40)
        paragraph, item, table = text.split("\n\n")
        self.assertTrue(all(len(line) <= 40 for line in paragraph.split("\n")))
        self.assertTrue(item.startswith("- item x") and item.split("\n")[1].startswith("  x"))
        self.assertEqual(table, "| a | b |\n| --- | --- |")

    def test_update_replaces_only_the_part_between_the_markers(self):
        data = {3: {"virt": {}, "go": {}, "nginx": {}, "libvirtd": {}}}
        meta = {key: "v" for key in ("uri", "interval", "go_version", "nginx", "quiet_wait", "baseline", "collections",
                                     "go_scrapes", "wrk_threads", "duration", "timeout", "quiet", "nproc", "cpu_model",
                                     "memory", "kernel", "libvirt", "qemu", "virt_type", "swift", "wrk", "date",
                                     "command", "elapsed")}
        meta["connections"] = "1 50"
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "performance.md")
            with open(path, "w") as f:
                f.write(f"# Performance\n\nkept\n\n{document.BEGIN}\nold\n{document.END}\n\n## Micro-benchmarks\n\nmine\n")
            document.update(path, data, meta)
            with open(path) as f:
                text = f.read()
        self.assertTrue(text.startswith(f"# Performance\n\nkept\n\n{document.BEGIN}\n## End-to-end"))
        self.assertTrue(text.endswith(f"{document.END}\n\n## Micro-benchmarks\n\nmine\n"))
        self.assertNotIn("\nold\n", text)
        self.assertIn("| nginx | nginx-light v |", text)
        self.assertIn("#### N = 3 running domains", text)


class NginxTests(unittest.TestCase):
    def test_serves_both_bodies_from_files_with_one_worker_on_loopback(self):
        with tempfile.TemporaryDirectory() as top:
            directory = os.path.join(top, "nginx")
            os.makedirs(directory)
            command = nginx.prepare(directory, 4242, b"plain", b"\x1f\x8bgz", top)
            with open(os.path.join(directory, "www", "metrics.gz"), "rb") as f:
                self.assertEqual(f.read(), b"\x1f\x8bgz")
            with open(os.path.join(directory, "nginx.conf")) as f:
                config = f.read()
            self.assertEqual(os.stat(top).st_mode & 0o005, 0o005)
        self.assertEqual(command[0], "nginx")
        for line in ("worker_processes 1;", "sendfile on;", "gzip_static on;", "listen 127.0.0.1:4242;",
                     'default_type "text/plain; version=0.0.4; charset=utf-8";', f"root {directory}/www;"):
            self.assertIn(line, config)


class ResultsTests(unittest.TestCase):
    def test_records_are_read_back_by_n_and_what_was_measured(self):
        with tempfile.TemporaryDirectory() as directory:
            results = Results(os.path.join(directory, "r.jsonl"))
            self.assertEqual(results.load(), {})
            results.record(3, "virt", {"a": 1, "b": None})
            results.record(3, "virt", {"a": 2})
            results.record(10, "libvirtd", {"loadavg": "1 2 3"})
            self.assertEqual(results.load(), {3: {"virt": {"a": 2, "b": None}}, 10: {"libvirtd": {"loadavg": "1 2 3"}}})
            self.assertEqual(results.value(10, "go", "a", 0.0), 0.0)


if __name__ == "__main__":
    unittest.main()
