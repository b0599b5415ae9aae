"""scripts/bench-e2e: end-to-end benchmark of virt-exporter side by side with Debian's Go exporter
(prometheus-libvirt-exporter) and nginx, on a real libvirtd with N running KVM domains (scripts/testbed).

For each N of --domains (ascending), it brings the testbed up to N running domains, then runs
virt-exporter, nginx and the Go exporter ONE AFTER THE OTHER, each on a free loopback port, and measures:
  - scrape latency p50/p99 with 1 and with 50 concurrent scrapers, gzip off and on (wrk, bounded
    duration and timeout; a Lua hook prints wrk's exact percentiles); nginx serves the plain and
    gzip bodies virt-exporter served last, from files (sendfile, gzip_static, one worker): the
    physical limit of serving those bytes, in the same run;
  - exporter CPU per collection against libvirtd's CPU in the same window (utime+stime from
    /proc/PID/stat). virt-exporter collects every --collector.interval (15s): the window spans a
    whole number of collections, counted with libvirt_exporter_collections_total. The Go
    exporter collects once per scrape: the window spans a known number of sequential gzip scrapes;
  - the bulk virConnectGetAllDomainStats call alone, while no exporter runs: the median of virsh's
    own time (`virsh -t domstats --raw --nowait`, all groups, all domains) over 5 runs, against
    which virt-exporter's collection wall time is compared;
  - VmRSS and its private part RssAnon after warm-up (and VmHWM, the peak, at the end);
  - /metrics bytes and samples per domain, and exporter CPU per exported sample.
It prints a table per N (the exporters, nginx and the ratios) and writes the method, the machine
and the figures into docs/performance.md (between bench-e2e markers; the rest of the file, e.g.
the Micro-benchmarks section, is kept).

Every load goes to 127.0.0.1 and is bounded in count and time. Everything it starts is stopped on
exit, and the testbed is torn down at the end unless --keep-testbed. Needs root (the testbed).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from ..repository import REPOSITORY, install_packages, package_list
from . import document, machine, measure, nginx, options as options_module, procfs, report, scrape, testbed, wrk
from .children import Children
from .results import Results

# Debian's Go exporter, unpacked from its .deb (virt-exporter's package conflicts with it).
DEBIAN_EXPORTER = os.path.join(REPOSITORY, "scripts", "lib", "debian-exporter.sh")
VIRT_BINARY = os.path.join(REPOSITORY, ".build/release/virt-exporter")
BENCH_PACKAGES = ["wrk", "procps", "nginx-light"]
HEAVY = ("BenchmarkTool", "swift-build")


class Failure(Exception):
    """Ends the run with `bench-e2e: error: …` and exit status 1 (or `status`)."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def log(message):
    print(f"{time.strftime('%H:%M:%S')} bench-e2e: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    def __init__(self, options, work):
        self.options = options
        self.work = work
        self.results = Results(os.path.join(work, "results.jsonl"))
        self.children = Children(log)
        self.lua = wrk.write_script(work)
        self.started = time.time()
        self.quiet_deadline = None
        self.testbed_touched = False
        self.go_logged_at = []

    def path(self, name):
        return os.path.join(self.work, name)

    # --- the steps ----------------------------------------------------------------------------

    def execute(self):
        log("checking packages")
        install_packages(package_list("VIRT_EXPORTER_BUILD_PACKAGES") + BENCH_PACKAGES, stdout=sys.stderr)
        for tool in ("wrk", "nginx"):
            if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin"):
                raise Failure(f"{tool} is missing even after installing it")
        self.go_binary = subprocess.run([DEBIAN_EXPORTER], capture_output=True, text=True).stdout.strip()
        if not os.access(self.go_binary, os.X_OK):
            raise Failure(f"{DEBIAN_EXPORTER} did not unpack Debian's prometheus-libvirt-exporter")
        self.wait_quiet()
        if self.options.build:
            self.build()
        if not os.access(VIRT_BINARY, os.X_OK):
            raise Failure(f"{VIRT_BINARY} is missing")
        built_from = self.built_from()
        self.prepare_testbed()
        log(f"work directory: {self.work}; domains: {' '.join(map(str, self.options.domains))}; "
            f"wrk {self.options.duration}s per run")
        for n in self.options.domains:
            if not self.measure(n):
                break
        if not any("go" in by_exp for by_exp in self.results.load().values()):
            raise Failure("no domain count was measured")
        self.finish(built_from)

    def wait_quiet(self):
        """Waits (bounded) until no micro-benchmark or Swift build of anyone runs. --quiet-wait is the
        budget of the whole run, not of each call."""
        if self.quiet_deadline is None:
            self.quiet_deadline = time.monotonic() + self.options.quiet_wait
        said = False
        while True:
            busy = {pid: line for pid, line in procfs.command_lines().items()
                    if pid != os.getpid() and any(word in line for word in HEAVY)}
            if not busy:
                return
            described = ";".join(f"{pid} {line[:120]}" for pid, line in sorted(busy.items()))
            pids = ",".join(map(str, sorted(busy)))
            if time.monotonic() >= self.quiet_deadline:
                log(f"WARNING: heavy processes still running after {self.options.quiet_wait}s (pids {pids}); "
                    "measuring anyway")
                with open(self.path("quiet.log"), "a") as f:
                    f.write(f"{time.strftime('%H:%M:%S')} still running: {described}\n")
                return
            if not said:
                left = int(self.quiet_deadline - time.monotonic())
                log(f"waiting for BenchmarkTool/swift-build processes to end (pids {pids}; {left}s left of "
                    f"{self.options.quiet_wait}s)")
                with open(self.path("waited.log"), "a") as f:
                    f.write(f"{time.strftime('%H:%M:%S')} waited for: {described}\n")
                said = True
            time.sleep(10)

    def build(self):
        """The release binary; built again when another build or an editor touched Sources/ meanwhile."""
        log("building the release binary")
        build_log = self.path("build.log")
        for attempt in (1, 2, 3):
            status = self.children.run(["swift", "build", "-c", "release", "--product", "virt-exporter"], build_log)
            if status == 0:
                return
            with open(build_log) as f:
                text = f.read()
            if "modified during the build" not in text or attempt == 3:
                print("\n".join(text.splitlines()[-30:]), file=sys.stderr)
                raise Failure("build failed")
            log("sources changed during the build; building again")
            time.sleep(5)

    def built_from(self):
        commit = machine.output(["git", "rev-parse", "--short", "HEAD"]).strip() or "unknown"
        described = f"commit {commit}"
        if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "Sources", "Package.swift"]).returncode != 0:
            described += " with uncommitted changes in Sources/"
        return described

    def prepare_testbed(self):
        """Brings libvirtd up, and starts from a testbed with no more vx-I domains than the smallest N."""
        self.testbed_touched = True
        status = testbed.up(0, self.path("testbed-up-0.log"))
        if status != 0:
            self.show_tail(self.path("testbed-up-0.log"), 5)
            if status == testbed.UNAVAILABLE:
                raise Failure("the testbed cannot run here", status=3)
            raise Failure("scripts/testbed/up.sh failed")
        names = testbed.domains(self.options.uri)
        existing = len(testbed.numbered(names))
        first = self.options.domains[0]
        if existing > first or "vx-job" in names:
            log(f"the testbed has {existing} vx-I domains (or vx-job), more than N={first}: taking it down first")
            if not testbed.down(self.path("testbed-down-first.log")):
                raise Failure("down.sh failed")

    def show_tail(self, path, lines):
        with open(path) as f:
            print("\n".join(f.read().splitlines()[-lines:]), file=sys.stderr)

    def measure(self, n):
        """All the figures at N running domains; False when the testbed could not be brought there."""
        self.wait_quiet()  # 100 idle guests take about a third of this machine's CPU: spare others' benchmarks
        log(f"=== N = {n}: bringing the testbed up to {n} running domains")
        status = testbed.up(n, self.path(f"testbed-up-{n}.log"))
        if status != 0:
            self.show_tail(self.path(f"testbed-up-{n}.log"), 5)
            log(f"up.sh {n} failed (exit {status}): stopping at the domain counts already measured")
            return False
        libvirtd = testbed.libvirtd_pid()
        if libvirtd is None:
            raise Failure("no libvirtd process found")
        total = len(testbed.domains(self.options.uri))
        time.sleep(5)  # let the guests' boot settle
        self.wait_quiet()
        with open("/proc/loadavg") as f:
            self.results.record(n, "libvirtd", {"loadavg": " ".join(f.read().split()[:3])})
        if self.options.baseline > 0:
            log(f"libvirtd (pid {libvirtd}) idle CPU for {self.options.baseline}s, no exporter running")
            measure.idle(self.results, n, libvirtd, self.options.baseline)
        command = " ".join(measure.bulk_command(self.options.uri)[2:])
        log(f"the bulk call alone: {measure.BULK_RUNS} timed runs of {command}")
        bulk = measure.bulk_call(self.results, n, self.options.uri, measure.BULK_RUNS, self.path(f"domstats-{n}.txt"))
        log(f"bulk call: {json.dumps(bulk)}")
        if bulk["bulk_call_domains"] != total:
            log(f"WARNING: virsh domstats reported {bulk['bulk_call_domains']} domains, virsh list {total}")
        plain, gz = self.virt_exporter(n, libvirtd, total)
        self.nginx(n, plain, gz)
        self.go_exporter(n, libvirtd, total)
        return True

    def virt_exporter(self, n, libvirtd, total):
        """virt-exporter's figures; returns the plain and gzip bodies it served."""
        port = free_port()
        url = f"http://127.0.0.1:{port}/metrics"
        exporter_log = self.path(f"virt-exporter-{n}.log")
        process = self.children.start(
            [VIRT_BINARY, "--web.listen-address", f"127.0.0.1:{port}", "--libvirt.uri", self.options.uri,
             "--collector.interval", self.options.interval], exporter_log, "virt-exporter")
        if not self.wait_for_log(exporter_log, f"address=127.0.0.1:{port}", 30):
            self.show_tail(exporter_log, 1000)
            raise Failure(f"virt-exporter did not log address=127.0.0.1:{port}")
        if not scrape.wait_http(url, 60):
            raise Failure("virt-exporter served no snapshot within 60 s")
        seen = scrape.metric(url, "libvirt_exporter_domains")
        if seen != total:
            log(f"WARNING: virt-exporter sees {seen} domains, virsh lists {total}")
        scrape.warm(url)
        log(f"virt-exporter CPU window: {self.options.collections} collections of {self.options.interval}")
        cpu = measure.virt_cpu(self.results, n, url, process.pid, libvirtd, self.options.interval_s,
                               self.options.collections)
        log(f"virt-exporter CPU: {json.dumps(cpu)}")
        measure.rss(self.results, n, "virt", process.pid, "rss_warm_kib")
        # sizes after the CPU window: the derived gauges (rates) appear from the second collection on
        plain, gz = self.body(n, "virt", url, total)
        self.wrk_runs(n, "virt", url, process.pid)
        measure.rss(self.results, n, "virt", process.pid, "rss_end_kib")
        if process.poll() is not None:
            raise Failure(f"virt-exporter exited during the run, see {exporter_log}")
        self.children.stop(process)
        return plain, gz

    def nginx(self, n, plain, gz):
        """nginx serving virt-exporter's bodies from files: the scrape figures only."""
        port = free_port()
        url = f"http://127.0.0.1:{port}/metrics"
        directory = self.path(f"nginx-{n}")
        os.makedirs(directory)
        command = nginx.prepare(directory, port, plain, gz, self.work)
        process = self.children.start(command, self.path(f"nginx-{n}.log"), "nginx")
        if not scrape.wait_http(url, 30):
            self.show_tail(os.path.join(directory, "error.log"), 20)
            raise Failure("nginx did not answer within 30 s")
        served, served_gz, _ = scrape.bodies(url)
        if (served, served_gz) != (plain, gz):
            raise Failure("nginx does not serve the bytes virt-exporter served")
        workers = procfs.children(process.pid)
        self.wrk_runs(n, "nginx", url, workers[0] if workers else process.pid)
        self.children.stop(process)

    def go_exporter(self, n, libvirtd, total):
        port = free_port()
        url = f"http://127.0.0.1:{port}/metrics"
        exporter_log = self.path(f"go-exporter-{n}.log")
        process = self.children.start(
            [self.go_binary, "--web.listen-address", f"127.0.0.1:{port}", "--libvirt.uri", self.options.uri],
            exporter_log, "prometheus-libvirt-exporter")
        if not scrape.wait_http(url, 60):
            self.show_tail(exporter_log, 1000)
            raise Failure("the Go exporter did not answer within 60 s")
        scrape.warm(url)
        measure.settle(process.pid, 30)
        log(f"Go exporter CPU window: {self.options.go_scrapes} sequential scrapes")
        cpu = measure.go_cpu(self.results, n, url, process.pid, libvirtd, self.options.go_scrapes, 60, 60)
        log(f"Go exporter CPU: {json.dumps(cpu)}")
        measure.rss(self.results, n, "go", process.pid, "rss_warm_kib")
        self.body(n, "go", url, total)
        measure.settle(process.pid, 30)
        self.wrk_runs(n, "go", url, process.pid)
        measure.rss(self.results, n, "go", process.pid, "rss_end_kib")
        if process.poll() is not None:
            raise Failure(f"the Go exporter exited during the run, see {exporter_log}")
        self.children.stop(process)
        with open(exporter_log) as f:
            lines = f.read().splitlines()
        if lines:
            self.go_logged_at.append(n)
            log(f"the Go exporter logged {len(lines)} lines at N={n} (see {exporter_log}); first: {lines[0][:300]}")

    def wait_for_log(self, path, text, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with open(path) as f:
                if text in f.read():
                    return True
            time.sleep(0.2)
        return False

    def body(self, n, exp, url, total):
        """Records the sizes of one plain and one gzip body, and saves both."""
        plain, gz, honoured = scrape.bodies(url)
        with open(self.path(f"metrics-{exp}-{n}.txt"), "wb") as f:
            f.write(plain)
        with open(self.path(f"metrics-{exp}-{n}.txt.gz"), "wb") as f:
            f.write(gz)
        self.results.record(n, exp, scrape.body_figures(plain, gz, honoured, n, total))
        return plain, gz

    def wrk_runs(self, n, exp, url, pid):
        """The latency runs; waits for the server to be idle after each one."""
        for connections in map(int, self.options.connections.split()):
            for encoding in ("plain", "gzip"):
                key = f"c{connections}_{encoding}"
                wrk_log = self.path(f"wrk-{exp}-{n}-{key}.log")
                status = self.children.run(
                    wrk.command(url, connections, encoding == "gzip", self.options.wrk_threads, self.options.duration,
                                self.options.timeout, self.lua), wrk_log)
                if status != 0:
                    log(f"wrk exited with an error ({exp}, N={n}, {key}), see {wrk_log}")
                with open(wrk_log) as f:
                    fields = wrk.result_fields(f.read())
                if fields is None:
                    print(f"no WRKRESULT line in {wrk_log}", file=sys.stderr)
                else:
                    self.results.record(n, exp, wrk.figures(key, fields))
                measure.settle(pid, 120)
                log(f"{exp} N={n} {key}: {wrk.summary(fields)}")

    def finish(self, built_from):
        elapsed = int(time.time() - self.started)
        elapsed_text = f"{elapsed // 60} min {elapsed % 60} s including the build and the testbed"
        quiet = ""
        if os.path.exists(self.path("quiet.log")):
            with open(self.path("quiet.log")) as f:
                quiet = f.read()
        o = self.options
        meta = dict(
            command=o.command_line, date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), elapsed=elapsed_text,
            uri=o.uri, interval=o.interval, collections=str(o.collections), go_scrapes=str(o.go_scrapes),
            baseline=str(o.baseline), quiet_wait=str(o.quiet_wait), duration=str(o.duration), timeout=str(o.timeout),
            connections=o.connections, wrk_threads=str(o.wrk_threads), quiet=quiet, built_from=built_from,
            **machine.facts(o.uri))
        with open(self.path("meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        data = self.results.load()
        text = report.report(data, meta)
        print()
        print(f"virt-exporter vs Debian's Go exporter and nginx ({o.command_line}; {elapsed_text})")
        print()
        print(text, flush=True)
        with open(self.path("report.md"), "w") as f:
            f.write(text + "\n")
        if o.write_docs:
            document.update(os.path.join(REPOSITORY, o.docs), data, meta)
            log(f"updated {o.docs}")
        if self.go_logged_at:
            log(f"the Go exporter logged messages at N = {' '.join(map(str, self.go_logged_at))} (logs in {self.work})")

    def cleanup(self):
        self.children.stop_all()
        if self.testbed_touched:
            if self.options.keep_testbed:
                log("--keep-testbed: the testbed's domains stay up (scripts/testbed/down.sh removes them)")
            else:
                log("tearing the testbed down")
                if not testbed.down(self.path("testbed-down.log")):
                    log(f"down.sh failed, see {self.path('testbed-down.log')}")
        log(f"results, logs and scrape bodies: {self.work}")


def main(argv=None):
    options = options_module.parse(sys.argv[1:] if argv is None else argv)
    if os.geteuid() != 0:
        print("bench-e2e: run as root (the testbed starts libvirtd and domains)", file=sys.stderr)
        return 1
    os.chdir(REPOSITORY)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = Run(options, tempfile.mkdtemp(prefix="virt-exporter-bench.", dir="/var/tmp"))
    try:
        run.execute()
        return 0
    except KeyboardInterrupt:
        return 130
    except Failure as failure:
        log(f"error: {failure}")
        return failure.status
    except subprocess.CalledProcessError as error:
        log(f"error: {' '.join(map(str, error.cmd))} failed with status {error.returncode}")
        return 1
    finally:
        run.cleanup()


if __name__ == "__main__":
    sys.exit(main())
