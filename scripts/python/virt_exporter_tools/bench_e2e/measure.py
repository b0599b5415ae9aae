"""CPU windows and memory readings of the exporters and libvirtd."""

import sys
import time

from . import procfs, scrape


def rss(results, n, exp, pid, key):
    """Records VmRSS as `key` and VmHWM (the peak) as `key` with rss replaced by hwm."""
    values = {key: procfs.status_kib(pid, "VmRSS"), key.replace("rss", "hwm"): procfs.status_kib(pid, "VmHWM")}
    results.record(n, exp, values)
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
