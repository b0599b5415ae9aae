"""The report of a run: one Markdown table per domain count N, and the targets reached."""

from .procfs import TICK

NGINX_HEADING = "nginx, same bytes from a file"


def fmt(v, unit=""):
    """A figure with as many digits as it deserves; None is n/a, booleans yes/no."""
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}{unit}"
    a = abs(v)
    if a == 0:
        s = "0"
    elif a >= 100:
        s = f"{v:,.0f}"
    elif a >= 10:
        s = f"{v:.1f}"
    elif a >= 1:
        s = f"{v:.2f}"
    elif a >= 0.01:
        s = f"{v:.3f}"
    else:
        s = f"{v:.2g}"
    return s + unit


def pct(r):
    return "n/a" if r is None else fmt(r * 100) + " %"


def ratio(a, b):
    """a / b, with small ratios also as 1/x."""
    if a is None or b is None or b == 0:
        return "n/a"
    r = a / b
    if r == 0:
        return "0"
    if r < 1:
        return f"{r:.2g} (1/{1 / r:,.0f})" if r < 0.1 else f"{r:.2f}"
    return fmt(r)


class Row:
    """A row of the table: its label, the figure's key, how to show it (""; "pct"; "done": completed /
    failed; "other": with the not-per-domain samples), a factor, whether the ratio column is filled,
    and whether nginx has the figure (the scrape figures)."""

    def __init__(self, label, key, kind="", mult=1, show_ratio=True, scrape=False):
        self.label, self.key, self.kind, self.mult = label, key, kind, mult
        self.show_ratio, self.scrape = show_ratio, scrape


def rows(meta):
    out = [Row("domains libvirt lists (N running + shut-off vx-off)", "libvirt_domains", show_ratio=False),
           Row("collection wall time, ms (virt: last collection; Go: median sequential scrape)", "collection_wall_ms")]
    for c in meta["connections"].split():
        who = "1 scraper" if c == "1" else f"{c} concurrent scrapers"
        for g, gl in (("plain", "gzip off"), ("gzip", "gzip on")):
            key = f"c{c}_{g}"
            out.append(Row(f"scrape p50, {who}, {gl}, ms", key + "_p50_ms", scrape=True))
            out.append(Row(f"scrape p99, {who}, {gl}, ms", key + "_p99_ms", scrape=True))
            out.append(Row(f"scrapes/s, {who}, {gl}", key + "_rps", scrape=True))
            out.append(Row(f"scrapes completed / failed (errors + timeouts), {who}, {gl}", key, "done",
                           show_ratio=False, scrape=True))
    out += [
        Row("exporter CPU per collection, ms (utime+stime)", "exporter_cpu_ms_per_collection"),
        Row("libvirtd CPU per collection, ms (utime+stime, idle rate subtracted)", "libvirtd_cpu_ms_per_collection"),
        Row("exporter CPU / libvirtd CPU (utime+stime)", "exporter_vs_libvirtd_cpu", "pct"),
        Row("exporter CPU per collection, ms (sum_exec_runtime)", "exporter_cpu_ms_per_collection_sched"),
        Row("libvirtd CPU per collection, ms (sum_exec_runtime, idle rate subtracted)",
            "libvirtd_cpu_ms_per_collection_sched"),
        Row("exporter CPU / libvirtd CPU (sum_exec_runtime)", "exporter_vs_libvirtd_cpu_sched", "pct"),
        Row("collections in the CPU window", "collections", show_ratio=False),
        Row("RSS after warm-up (VmRSS), MiB", "rss_warm_kib", mult=1 / 1024),
        Row("peak RSS at the end (VmHWM), MiB", "hwm_end_kib", mult=1 / 1024),
        Row("/metrics bytes per domain, gzip off", "bytes_per_domain"),
        Row("/metrics bytes per domain, gzip on", "gzip_bytes_per_domain"),
        Row("samples per domain (all samples / N)", "samples_per_domain"),
        Row("samples in total (of them not per-domain)", "samples", "other", show_ratio=False),
        Row("exporter CPU per exported sample, µs (sum_exec_runtime per collection / samples)", "cpu_us_per_sample"),
    ]
    return out


def value(d, key, mult):
    """The figure `key` of one exporter's figures `d`, times `mult`; cpu_us_per_sample is computed."""
    v = d.get(key)
    if key == "cpu_us_per_sample":
        c, s = d.get("exporter_cpu_ms_per_collection_sched"), d.get("samples")
        v = c * 1000 / s if c is not None and s else None
    if v is not None and not isinstance(v, bool) and mult != 1:
        v = v * mult
    return v


def cell(row, d):
    """How one exporter's figure of `row` is shown."""
    v = value(d, row.key, row.mult)
    if row.kind == "pct":
        return pct(v)
    if row.kind == "done":
        return f"{fmt(d.get(row.key + '_requests'))} / {fmt(d.get(row.key + '_errors'))}"
    if row.kind == "other":
        return f"{fmt(v)} ({fmt(d.get('other_samples'))})" if v is not None else "n/a"
    return fmt(v)


def table(data, n, meta):
    d_v, d_g, d_n = (data[n].get(exp, {}) for exp in ("virt", "go", "nginx"))
    lines = [f"#### N = {n} running domains", "",
             f"| measure | virt-exporter | Go exporter (kumina 0.2.0) | virt-exporter / Go | {NGINX_HEADING} "
             "| virt-exporter / nginx |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows(meta):
        a, b = value(d_v, row.key, row.mult), value(d_g, row.key, row.mult)
        nginx, against_nginx = "", ""
        if row.scrape:
            nginx = cell(row, d_n)
            against_nginx = ratio(a, value(d_n, row.key, row.mult)) if row.show_ratio else ""
        lines.append(f"| {row.label} | {cell(row, d_v)} | {cell(row, d_g)} | {ratio(a, b) if row.show_ratio else ''} "
                     f"| {nginx} | {against_nginx} |")
    lb = data[n].get("libvirtd", {})
    lines += ["", f"libvirtd idle, no exporter running: {fmt(lb.get('libvirtd_idle_ms_per_s'))} ms CPU per second "
              f"(sum_exec_runtime: {fmt(lb.get('libvirtd_idle_ms_per_s_sched'))}) "
              f"over {fmt(lb.get('libvirtd_idle_window_s'))} s. utime+stime figures are clock ticks of "
              f"{1000 // TICK} ms; resolution per collection: virt-exporter "
              f"{fmt(d_v.get('cpu_resolution_ms_per_collection'))} ms, Go "
              f"{fmt(d_g.get('cpu_resolution_ms_per_collection'))} ms. Load average before: {lb.get('loadavg', 'n/a')}."]
    return "\n".join(lines)


def targets(data, meta):
    ns = sorted(data)
    at = 100 if 100 in data else ns[-1]
    note = "" if at == 100 else f" (no run at 100 domains: figures at N = {at})"
    v = data[at].get("virt", {})
    conns = meta["connections"].split()
    c = "50" if "50" in conns else conns[-1]
    out = ["| target | reached | met |", "| --- | --- | --- |"]
    for g, gl in (("plain", "gzip off"), ("gzip", "gzip on")):
        p = v.get(f"c{c}_{g}_p99_ms")
        out.append(f"| scrape p99 < 1 ms at 100 domains, {c} concurrent scrapers, {gl}{note} | "
                   f"{fmt(p)} ms | {'n/a' if p is None else ('yes' if p < 1 else 'no')} |")
    for n in ns:
        d = data[n].get("virt", {})
        r, rs = d.get("exporter_vs_libvirtd_cpu"), d.get("exporter_vs_libvirtd_cpu_sched")
        met = "n/a" if rs is None else ("yes" if rs <= 0.10 else "no")
        out.append(f"| exporter CPU per collection <= 10 % of libvirtd's, N = {n} | "
                   f"{pct(rs)} (sum_exec_runtime); {pct(r)} (utime+stime) | {met} |")
    rss = v.get("rss_warm_kib")
    out.append(f"| RSS < 25 MiB at 100 domains{note} | {fmt(None if rss is None else rss / 1024)} MiB | "
               f"{'n/a' if rss is None else ('yes' if rss / 1024 < 25 else 'no')} |")
    hwm = v.get("hwm_end_kib")
    if hwm is not None:
        out.append(f"| (peak RSS after all the load, same target) | {fmt(hwm / 1024)} MiB | "
                   f"{'yes' if hwm / 1024 < 25 else 'no'} |")
    return "\n".join(out)


def report(data, meta):
    """The tables of every N, then the targets: what the run prints."""
    return ("\n\n".join(table(data, n, meta) for n in sorted(data))
            + "\n\nTargets (a benchmark, not a test: what this run reached)\n\n" + targets(data, meta))
