"""CPU windows and memory readings of the exporters and libvirtd."""

import os
import re
import subprocess
import sys
import time

from . import procfs, scrape


def rss(results, n, exp, pid, key):
    """Records VmRSS as `key` (rss_warm_kib), VmHWM (the peak) with rss replaced by hwm (hwm_warm_kib)
    and RssAnon (the private, anonymous part of VmRSS) with rss replaced by rss_anon (rss_anon_warm_kib)."""
    vm_rss, hwm, anon = procfs.status_kib(pid, "VmRSS", "VmHWM", "RssAnon")
    values = {key: vm_rss, key.replace("rss", "hwm"): hwm, key.replace("rss", "rss_anon"): anon}
    results.record(n, exp, values)
    return values


BULK_RUNS = 5  # timed `virsh -t domstats` runs per N, after one warm-up run
VIRSH_TIME = re.compile(r"\(Time: ([0-9]+(?:[.,][0-9]+)?) ms\)")


def virsh_time_ms(text):
    """The time `virsh -t` prints after a command, "(Time: 20.217 ms)", in ms: the last such line of
    `text` (virsh prints it to standard output after the command's own output), or None."""
    found = VIRSH_TIME.findall(text)
    return float(found[-1].replace(",", ".")) if found else None


def virsh_domains(text):
    """How many domains the output of `virsh domstats` has a "Domain: 'name'" line for."""
    return sum(1 for line in text.splitlines() if line.startswith("Domain: "))


def median(values):
    """The median of a non-empty list (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def bulk_command(uri, nowait=True):
    """One bulk `virConnectGetAllDomainStats` as virt-exporter makes it with every collector on: all
    stats groups (no group flag: stats = 0), every domain (no list flag), NOWAIT; `-t` makes virsh
    print the command's own time, without connecting."""
    return (["timeout", "60", "virsh", "-c", uri, "-t", "domstats", "--raw"]
            + (["--nowait"] if nowait else []))


def virsh_once(command, output_path):
    """Runs virsh with its standard output in output_path; returns (exit status, stdout + stderr)."""
    with open(output_path, "w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, LC_ALL="C"))
    with open(output_path) as f:
        return done.returncode, f.read() + "\n" + done.stderr


def bulk_call(results, n, uri, runs, output_path):
    """The bulk call alone, while no exporter runs: `virsh -t domstats` `runs` times after one
    warm-up run; records the median and the range of virsh's own times and how many domains the
    output has. The last output is kept at output_path. Drops --nowait when virsh rejects it, as
    virt-exporter drops the flag."""
    times, failures, nowait = [], [], True
    status, text = virsh_once(bulk_command(uri, nowait), output_path)
    if status != 0:
        nowait = False
        status, text = virsh_once(bulk_command(uri, nowait), output_path)
    if status != 0:
        failures.append(f"exit {status}: {text.strip()[-200:]}")
    for _ in range(runs):
        status, text = virsh_once(bulk_command(uri, nowait), output_path)
        ms = virsh_time_ms(text) if status == 0 else None
        if ms is None:
            failures.append(f"exit {status}: {text.strip()[-200:]}")
        else:
            times.append(ms)
    values = {"bulk_call_ms": median(times) if times else None,
              "bulk_call_min_ms": min(times) if times else None,
              "bulk_call_max_ms": max(times) if times else None,
              "bulk_call_runs": len(times), "bulk_call_domains": virsh_domains(text), "bulk_call_nowait": nowait}
    results.record(n, "libvirtd", values)
    if failures:
        print(f"virsh domstats: {len(failures)} runs gave no time, e.g. {failures[0]}", file=sys.stderr)
    return values


def idle(results, n, libvirtd, seconds):
    """libvirtd's CPU per second while no exporter runs."""
    t0, l0, r0 = time.monotonic(), procfs.ticks(libvirtd), procfs.runtimes(libvirtd)
    time.sleep(seconds)
    l1, r1, t1 = procfs.ticks(libvirtd), procfs.runtimes(libvirtd), time.monotonic()
    values = {"libvirtd_idle_ticks": l1 - l0, "libvirtd_idle_window_s": t1 - t0,
              "libvirtd_idle_ms_per_s": (l1 - l0) * 1000 / procfs.TICK / (t1 - t0),
              "libvirtd_idle_ms_per_s_sched": procfs.runtime_delta_ms(r0, r1) / (t1 - t0)}
    results.record(n, "libvirtd", values)
    return values


def cpu_values(idle_rates, collections, window, exporter_ticks, libvirtd_ticks, exporter_runtimes,
               libvirtd_runtimes, extra):
    """The CPU figures of one window. idle_rates: libvirtd's idle ms per s (utime+stime, then
    sum_exec_runtime); *_runtimes: (before, after) per-thread runtimes."""
    idle_ticks_rate, idle_sched_rate = idle_rates
    exporter_ms = exporter_ticks * 1000 / procfs.TICK
    libvirtd_ms = libvirtd_ticks * 1000 / procfs.TICK
    libvirtd_net = max(libvirtd_ms - idle_ticks_rate * window, 0.0)
    exporter_sched = procfs.runtime_delta_ms(*exporter_runtimes)
    libvirtd_sched = max(procfs.runtime_delta_ms(*libvirtd_runtimes) - idle_sched_rate * window, 0.0)
    values = {"collections": collections, "cpu_window_s": window,
              "exporter_cpu_ticks": exporter_ticks, "libvirtd_cpu_ticks": libvirtd_ticks,
              "exporter_cpu_ms_per_collection": exporter_ms / collections,
              "libvirtd_cpu_ms_per_collection": libvirtd_net / collections,
              "libvirtd_cpu_ms_per_collection_raw": libvirtd_ms / collections,
              "cpu_resolution_ms_per_collection": 1000 / procfs.TICK / collections,
              "exporter_vs_libvirtd_cpu": (exporter_ms / libvirtd_net) if libvirtd_net > 0 else None,
              "exporter_cpu_ms_per_collection_sched": exporter_sched / collections,
              "libvirtd_cpu_ms_per_collection_sched": libvirtd_sched / collections,
              "exporter_vs_libvirtd_cpu_sched": (exporter_sched / libvirtd_sched) if libvirtd_sched > 0 else None}
    values.update(extra)
    return values


class Window:
    """utime+stime and per-thread runtimes of the exporter and libvirtd from its start to stop()."""

    def __init__(self, exporter, libvirtd):
        self.exporter, self.libvirtd = exporter, libvirtd
        self.t0 = time.monotonic()
        self.e0, self.l0 = procfs.ticks(exporter), procfs.ticks(libvirtd)
        self.er0, self.lr0 = procfs.runtimes(exporter), procfs.runtimes(libvirtd)

    def stop(self):
        self.e1, self.l1 = procfs.ticks(self.exporter), procfs.ticks(self.libvirtd)
        self.er1, self.lr1 = procfs.runtimes(self.exporter), procfs.runtimes(self.libvirtd)
        self.t1 = time.monotonic()

    def values(self, idle_rates, collections, extra):
        """The figures of the stopped window (see cpu_values)."""
        return cpu_values(idle_rates, collections, self.t1 - self.t0, self.e1 - self.e0, self.l1 - self.l0,
                          (self.er0, self.er1), (self.lr0, self.lr1), extra)


def idle_rates(results, n):
    return (results.value(n, "libvirtd", "libvirtd_idle_ms_per_s", 0.0),
            results.value(n, "libvirtd", "libvirtd_idle_ms_per_s_sched", 0.0))


def virt_cpu(results, n, url, exporter, libvirtd, interval, k):
    """virt-exporter: a window of k whole collection intervals that starts 1 s after a collection ended."""
    last = scrape.metric(url, "libvirt_exporter_last_collection_timestamp_seconds")
    start_at = last + interval + 1.0  # 1 s after the next collection has ended
    while start_at - time.time() < 0.5:
        start_at += interval
    time.sleep(start_at - time.time())
    c0 = scrape.metric(url, "libvirt_exporter_collections_total")
    window = Window(exporter, libvirtd)
    time.sleep(k * interval)
    window.stop()
    c1 = scrape.metric(url, "libvirt_exporter_collections_total")
    duration = scrape.metric(url, "libvirt_exporter_last_collection_duration_seconds")
    collections = int(c1 - c0)
    if collections != k:
        print(f"note: {collections} collections in the window, expected {k}", file=sys.stderr)
    values = window.values(idle_rates(results, n), max(collections, 1),
                        {"collection_wall_ms": duration * 1000 if duration is not None else None})
    results.record(n, "virt", values)
    return values


def go_cpu(results, n, url, exporter, libvirtd, k, limit, timeout):
    """The Go exporter: up to k sequential gzip scrapes, one collection each, for at most limit seconds."""
    ok, errors, walls = 0, [], []
    window = Window(exporter, libvirtd)
    while len(walls) < k and time.monotonic() - window.t0 <= limit:
        started = time.monotonic()
        try:
            ok += scrape.fetch(url, gz=True, timeout=timeout)[0] == 200
        except Exception as error:
            errors.append(str(error))
        walls.append(time.monotonic() - started)
    window.stop()
    values = window.values(idle_rates(results, n), len(walls),
                        {"collection_wall_ms": sorted(walls)[len(walls) // 2] * 1000, "cpu_scrape_errors": len(errors)})
    results.record(n, "go", values)
    if errors:
        print(f"go exporter: {len(errors)} of {len(walls)} sequential scrapes failed, e.g. {errors[0]}", file=sys.stderr)
    return values


def settle(pid, limit):
    """Waits until the process used no CPU for 1 s (at most `limit` seconds)."""
    deadline = time.time() + limit
    previous = procfs.ticks(pid)
    while time.time() < deadline:
        time.sleep(1)
        current = procfs.ticks(pid)
        if current == previous:
            return
        previous = current
    print(f"pid {pid} still busy after {limit} s", file=sys.stderr)
