"""CPU time and memory of a process, from /proc."""

import os

TICK = os.sysconf("SC_CLK_TCK")


def ticks(pid):
    """utime + stime of the whole process (dead threads included), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def runtimes(pid):
    """On-CPU time per thread in ns (se.sum_exec_runtime of /proc/PID/task/TID/sched): a cross-check
    with ns resolution. A thread that exits within a window takes its share with it."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/sched") as f:
                for line in f:
                    if line.startswith("se.sum_exec_runtime"):
                        out[tid] = float(line.split(":")[1]) * 1e6
                        break
        except OSError:
            pass
    return out


def runtime_delta_ms(before, after):
    """The on-CPU time of the threads of `after` since `before` (both from runtimes()), in ms."""
    return sum(v - before.get(t, 0.0) for t, v in after.items()) / 1e6


def status_figures(text):
    """The kB figures of the text of /proc/PID/status ("VmRSS:    4096 kB" → {"VmRSS": 4096}): VmRSS,
    VmHWM, RssAnon (the private, anonymous part of VmRSS), RssFile, RssShmem, …"""
    out = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        words = rest.split()
        if len(words) == 2 and words[1] == "kB" and words[0].isdigit():
            out[key.strip()] = int(words[0])
    return out


def status_kib(pid, *keys):
    """kB figures of /proc/PID/status, in the order of `keys` (VmRSS, VmHWM, RssAnon), each None when
    the kernel does not report it; one key gives one figure."""
    with open(f"/proc/{pid}/status") as f:
        figures = status_figures(f.read())
    values = [figures.get(key) for key in keys]
    return values[0] if len(keys) == 1 else values


def children(pid):
    """The pids of the process's children (of its main thread)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(word) for word in f.read().split()]
    except OSError:
        return []


def command_lines():
    """{pid: command line with spaces between its arguments} of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    found[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                pass
    return found
