"""bench-binary: what each build of virt-exporter costs as a hypervisor runs it, beside Debian's Go
exporter, in one run on the same libvirtd: the binary's size as packages ship it (stripped with
dh_strip's options), its shared libraries, the time from exec to the first /metrics answer with
domains, and VmRSS and its private part (RssAnon) at idle (the testbed as it is) and at N running
domains (scripts/testbed/up.sh N).

Each exporter runs alone, at its defaults apart from the listen address (virt-exporter: a 15 s
collection interval), one after the other. "Idle" is after the first answer, 20 s and one scrape
later (virt-exporter has collected twice); the Go exporter collects on each scrape, so it gets the
same scrapes. The figures are printed as a Markdown table, each column divided by the Go exporter's.

Usage: scripts/bench-binary --binary LABEL=PATH [--binary ...] [--domains N] [--keep-testbed]
Needs root (the testbed); run it under flock /tmp/vx-testbed.lock.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from .bench_e2e import procfs, testbed
from .cli import ArgumentParser
from .repository import REPOSITORY

URI = "qemu:///system"
PORT = 19420
DEBIAN_EXPORTER = os.path.join(REPOSITORY, "scripts", "lib", "debian-exporter.sh")


def log(message):
    print(f"bench-binary: {message}", file=sys.stderr, flush=True)


def stripped_size(path, scratch):
    """Bytes of `path` stripped as dh_strip strips a package's binaries."""
    copy = os.path.join(scratch, "stripped")
    subprocess.run(["strip", "--remove-section=.comment", "--remove-section=.note", "--strip-unneeded",
                    "-o", copy, path], check=True)
    return os.path.getsize(copy)


def libraries(path):
    """The shared libraries ldd resolves for `path`, by file name; `None` for one not found."""
    done = subprocess.run(["ldd", path], capture_output=True, text=True)
    found = {}
    for line in done.stdout.splitlines():
        match = re.match(r"\s*(\S+) => (\S+|not found)", line)
        if match:
            found[match.group(1)] = None if match.group(2) == "not found" else match.group(2)
    return found


def scrape(port):
    """The /metrics body, or None when nothing answers yet (or not with 200)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as answer:
            return answer.read().decode() if answer.status == 200 else None
    except OSError:
        return None


def domain_count(body):
    """Domains with a libvirt_domain_info_* series: every domain for virt-exporter, the running ones
    for the Go exporter."""
    return len(set(re.findall(r'^libvirt_domain_info_[a-z_]+\{domain="([^"]+)"', body, re.M)))


def running_domains():
    return [name for name in testbed.virsh(URI, "list", "--name").split("\n") if name]


def measure(label, command, scratch, expected_domains):
    """Starts `command` (which listens on PORT), and measures it; returns a dict of figures. The
    first answer is the first /metrics with `expected_domains` (the running ones) or more."""
    log(f"{label}: {' '.join(command)}")
    started = time.monotonic()
    with open(os.path.join(scratch, f"{label}.log"), "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        first = None
        while time.monotonic() - started < 120:
            body = scrape(PORT)
            if body is not None and domain_count(body) >= expected_domains:
                first = time.monotonic() - started
                break
            time.sleep(0.05)
        if first is None:
            raise RuntimeError(f"{label} served no /metrics with {expected_domains} domains within 120 s")
        time.sleep(20)
        scrape(PORT)
        rss, anon = procfs.status_kib(process.pid, "VmRSS", "RssAnon")
        return {"first_answer_s": first, "rss_kib": rss, "rss_anon_kib": anon}
    finally:
        process.terminate()
        process.wait(timeout=15)


def run_all(binaries, go_binary, scratch, expected_domains):
    results = {}
    for label, path in binaries:
        results[label] = measure(label, [path, "--web.listen-address", f"127.0.0.1:{PORT}", "--libvirt.uri", URI],
                                 scratch, expected_domains)
    results["go"] = measure("go", [go_binary, "--web.listen-address", f"127.0.0.1:{PORT}", "--libvirt.uri", URI],
                            scratch, expected_domains)
    return results


def table(rows, labels):
    """A Markdown table: one row per measure, one column per exporter and its ratio to Go's."""
    head = "| measure | " + " | ".join(f"{label} | {label} / Go" for label in labels if label != "go") + " | Go |"
    lines = [head, "| --- |" + " ---: | ---: |" * (len(labels) - 1) + " ---: |"]
    for name, values, unit in rows:
        cells = []
        for label in labels:
            if label == "go":
                continue
            ratio = values[label] / values["go"] if values["go"] else float("nan")
            cells += [f"{values[label]:,.{unit}f}", f"{ratio:.2f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {values['go']:,.{unit}f} |")
    return "\n".join(lines)


def main():
    parser = ArgumentParser(prog="scripts/bench-binary", description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", action="append", required=True, metavar="LABEL=PATH",
                        help="a virt-exporter binary to measure, with its label (repeat)")
    parser.add_argument("--domains", type=int, default=100, help="running domains of the second round (100)")
    parser.add_argument("--keep-testbed", action="store_true", help="leave the testbed up at the end")
    options = parser.parse_args()
    binaries = []
    for item in options.binary:
        label, _, path = item.partition("=")
        if not label or not os.access(path, os.X_OK):
            parser.error(f"--binary {item}: not LABEL=PATH of an executable")
        binaries.append((label, path))
    go_binary = subprocess.run([DEBIAN_EXPORTER], capture_output=True, text=True, check=True).stdout.strip()
    labels = [label for label, _ in binaries] + ["go"]
    scratch = tempfile.mkdtemp(prefix="vx-bench-binary-")
    try:
        sizes = {label: stripped_size(path, scratch) / 1048576 for label, path in binaries}
        sizes["go"] = stripped_size(go_binary, scratch) / 1048576
        for label, path in binaries + [("go", go_binary)]:
            found = libraries(path)
            toolchain = sorted(name for name, where in found.items() if where and where.startswith("/opt/swift"))
            log(f"{label}: {len(found)} shared libraries, {len(toolchain)} from /opt/swift {toolchain}")
        if testbed.up(3, os.path.join(scratch, "up-idle.log")) != 0:
            raise RuntimeError("scripts/testbed/up.sh 3 failed")
        idle_domains = len(running_domains())
        idle = run_all(binaries, go_binary, scratch, idle_domains)
        log(f"up.sh {options.domains}")
        if testbed.up(options.domains, os.path.join(scratch, "up-n.log")) != 0:
            raise RuntimeError(f"scripts/testbed/up.sh {options.domains} failed")
        many_domains = len(running_domains())
        many = run_all(binaries, go_binary, scratch, many_domains)
        rows = [
            ("binary, stripped, MiB", sizes, 1),
            (f"first /metrics with every running domain, s ({idle_domains} running)",
             {k: v["first_answer_s"] for k, v in idle.items()}, 2),
            (f"VmRSS idle, MiB ({idle_domains} running)", {k: v["rss_kib"] / 1024 for k, v in idle.items()}, 1),
            (f"RssAnon idle, MiB ({idle_domains} running)", {k: v["rss_anon_kib"] / 1024 for k, v in idle.items()}, 1),
            (f"first /metrics with every running domain, s ({many_domains} running)",
             {k: v["first_answer_s"] for k, v in many.items()}, 2),
            (f"VmRSS, MiB ({many_domains} running)", {k: v["rss_kib"] / 1024 for k, v in many.items()}, 1),
            (f"RssAnon, MiB ({many_domains} running)", {k: v["rss_anon_kib"] / 1024 for k, v in many.items()}, 1),
        ]
        print(table(rows, labels))
    finally:
        if not options.keep_testbed:
            testbed.down(os.path.join(scratch, "down.log"))
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
