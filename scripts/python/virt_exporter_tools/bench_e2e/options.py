"""bench-e2e's command line."""

import argparse
import os
import re
from dataclasses import dataclass

from ..cli import ArgumentParser

USAGE_NOTES = """\
--quick is a debugging run: --domains 3 --duration 2 --collections 2 --interval 5s --go-scrapes 10
--baseline 5 --no-docs; options given besides it win (--docs writes the document after all).
Results (JSON lines, logs, the scrape bodies) go to a new directory under /var/tmp, printed at the end.
"""

QUICK = {"domains": "3", "duration": 2, "collections": 2, "interval": "5s", "go_scrapes": 10, "baseline": 5}
DEFAULTS = {"duration": 10, "timeout": 10, "connections": "1 50", "wrk_threads": 1, "collections": 8,
            "go_scrapes": 100, "baseline": 20, "interval": "15s", "uri": "qemu:///system", "quiet_wait": 1200}


@dataclass
class Options:
    domains: list  # ascending, unique
    duration: int
    timeout: int
    connections: str
    wrk_threads: int
    collections: int
    go_scrapes: int
    baseline: int
    interval: str
    interval_s: int
    uri: str
    quiet_wait: int
    docs: str
    write_docs: bool
    keep_testbed: bool
    build: bool
    command_line: str


def whole_number(text):
    if not re.fullmatch(r"[0-9]+", text):
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}")
    return int(text)


def domain_counts(text):
    """The domain counts of --domains ("10 50"), ascending and unique; each a positive whole number."""
    words = text.split()
    if not words or any(not re.fullmatch(r"[0-9]+", word) or int(word) == 0 for word in words):
        raise ValueError("--domains takes positive whole numbers")
    return sorted({int(word) for word in words})


def connection_counts(text):
    """--connections ("1 50"): positive whole numbers, kept as written."""
    words = text.split()
    if not words or any(not re.fullmatch(r"[0-9]+", word) or int(word) == 0 for word in words):
        raise ValueError("--connections takes positive whole numbers")
    return " ".join(words)


def interval_seconds(text):
    """The seconds of a --interval of whole seconds or minutes (15s, 1m)."""
    match = re.fullmatch(r"([0-9]+)([sm])", text)
    if not match or int(match.group(1)) == 0:
        raise ValueError("--interval takes whole seconds or minutes, e.g. 15s")
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def parser():
    p = ArgumentParser(prog="scripts/bench-e2e", epilog=USAGE_NOTES,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                description="End-to-end benchmark of virt-exporter side by side with Debian's Go "
                                            "exporter and nginx on a real libvirtd (scripts/testbed).")
    number = {"type": whole_number, "metavar": "SECONDS"}
    p.add_argument("--domains", metavar='"10 50"',
                   help='running domains to measure at (default "10 50"; env BENCH_DOMAINS)')
    p.add_argument("--duration", **number, help="length of each wrk run (default 10)")
    p.add_argument("--timeout", **number, help="wrk's per-request timeout (default 10)")
    p.add_argument("--connections", metavar='"1 50"', help='concurrent scrapers per wrk run (default "1 50")')
    p.add_argument("--wrk-threads", type=whole_number, metavar="T",
                   help="wrk threads (default 1: leaves the other core to the exporter)")
    p.add_argument("--collections", type=whole_number, metavar="K",
                   help="virt-exporter collections in its CPU window (default 8, i.e. 120 s at 15s)")
    p.add_argument("--go-scrapes", type=whole_number, metavar="K",
                   help="sequential scrapes (= collections) in the Go exporter's CPU window, stopped after 60 s "
                        "(default 100)")
    p.add_argument("--baseline", **number,
                   help="libvirtd idle CPU window with no exporter running (default 20; 0: skip)")
    p.add_argument("--interval", metavar="DURATION", help="virt-exporter --collector.interval (default 15s)")
    p.add_argument("--uri", help="libvirt URI (default qemu:///system)")
    p.add_argument("--quiet-wait", **number,
                   help="wait at most this long for BenchmarkTool/swift-build processes to end before measuring "
                        "(default 1200; 0: do not wait)")
    p.add_argument("--docs", metavar="FILE",
                   help="the document to update (default docs/performance.md; also after --quick)")
    p.add_argument("--no-docs", action="store_true", help="do not touch the document")
    p.add_argument("--keep-testbed", action="store_true", help="leave the testbed's domains running at the end")
    p.add_argument("--skip-build", action="store_true", help="use the existing .build/release/virt-exporter")
    p.add_argument("--quick", action="store_true", help="a debugging run (below)")
    return p


def parse(argv, environment=None):
    """The options of `argv`; exits with status 2 and a message naming the option on a bad one."""
    environment = os.environ if environment is None else environment
    p = parser()
    given = p.parse_args(argv)
    values = dict(DEFAULTS, domains=environment.get("BENCH_DOMAINS", "10 50"))
    if given.quick:
        values.update(QUICK)
    values.update({key: value for key, value in vars(given).items() if key in values and value is not None})
    try:
        domains = domain_counts(values["domains"])
        seconds = interval_seconds(values["interval"])
        connections = connection_counts(values["connections"])
    except ValueError as error:
        p.error(str(error))
    write_docs = given.docs is not None or not (given.no_docs or given.quick)
    return Options(
        domains=domains, duration=values["duration"], timeout=values["timeout"], connections=connections,
        wrk_threads=values["wrk_threads"], collections=values["collections"], go_scrapes=values["go_scrapes"],
        baseline=values["baseline"], interval=values["interval"], interval_s=seconds, uri=values["uri"],
        quiet_wait=values["quiet_wait"], docs=given.docs or "docs/performance.md", write_docs=write_docs,
        keep_testbed=given.keep_testbed, build=not given.skip_build,
        command_line="scripts/bench-e2e" + "".join(" " + argument for argument in argv))
