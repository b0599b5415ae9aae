"""wrk runs: the Lua hook that prints wrk's exact figures, the command line, and its result line."""

import os

# Prints wrk's exact figures (latencies in microseconds) on one line.
REPORT_LUA = """\
-- prints wrk's exact figures (latencies in microseconds) on one line for bench_e2e
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d bytes=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""
ERROR_KINDS = ("err_connect", "err_read", "err_write", "err_status", "err_timeout")


def write_script(directory):
    path = os.path.join(directory, "report.lua")
    with open(path, "w") as f:
        f.write(REPORT_LUA)
    return path


def command(url, connections, gz, threads, duration, timeout, script):
    """wrk's command line for one run: at most one thread per connection, bounded by `timeout`."""
    header = ["-H", "Accept-Encoding: gzip"] if gz else []
    return (["timeout", str(duration + timeout + 30), "wrk", f"-t{min(threads, connections)}", f"-c{connections}",
             f"-d{duration}s", "--timeout", f"{timeout}s"] + header + ["-s", script, url])


def result_fields(output):
    """The key=value fields of wrk's WRKRESULT line, or None when there is none."""
    line = next((line for line in output.splitlines() if line.startswith("WRKRESULT ")), None)
    if line is None:
        return None
    return dict(part.split("=", 1) for part in line.split()[1:])


def figures(key, fields):
    """The figures of one run under `key` (c1_plain, c50_gzip, …). No latency recorded (no scrape, or
    only ones that timed out) gives no percentiles, not zeros."""
    requests, seconds = int(fields["requests"]), int(fields["duration_us"]) / 1e6
    recorded = float(fields["max_us"]) > 0

    def ms(name):
        return float(fields[name]) / 1000 if recorded else None

    return {f"{key}_p50_ms": ms("p50_us"), f"{key}_p99_ms": ms("p99_us"), f"{key}_max_ms": ms("max_us"),
            f"{key}_rps": requests / seconds, f"{key}_requests": requests,
            f"{key}_errors": sum(int(fields[kind]) for kind in ERROR_KINDS),
            f"{key}_timeouts": int(fields["err_timeout"]),
            f"{key}_bytes_per_request": int(fields["bytes"]) / requests if requests else None}


def summary(fields):
    """The log line of one run: percentiles, request count and any errors."""
    if fields is None:
        return "no result"
    errors = " ".join(f"{kind}={fields[kind]}" for kind in ERROR_KINDS if int(fields[kind]))
    return (f"p50_us={fields['p50_us']} p90_us={fields['p90_us']} p99_us={fields['p99_us']} "
            f"requests={fields['requests']} errors: {errors}")
