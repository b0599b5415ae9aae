"""scripts/leak-check: runs the AddressSanitizer build of the exporter twice on the same libvirt,
once for a few collections and once for many more, and fails when leaks grow with the work done
(collections, reconnects) or when the sanitizer reports a memory error.

A leak that does not grow (libvirt's and the Swift runtime's process-wide caches) is reported but
does not fail. Each scenario prints one line; the last line is `N passed, M failed`.

Scenarios: the test driver (test:///default, with its per-domain fallback calls and XML parsing),
a URI whose daemon is not there (every collection reconnects and fails), and, with --uri, a real
libvirtd.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

from .. import checks as checks_module
from ..cli import ArgumentParser
from ..repository import REPOSITORY
from . import leaks

UNREACHABLE_URI = "qemu+unix:///system?socket=/nonexistent/virt-exporter-leak-check.sock"


def run(binary, uri, seconds, interval="1s"):
    """Runs the exporter on `uri` for `seconds`, stops it with SIGTERM and returns its report."""
    environment = dict(os.environ)
    environment["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=0:halt_on_error=0"
    environment["LSAN_OPTIONS"] = "max_leaks=0"
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [binary, "--libvirt.uri", uri, "--collector.interval", interval,
             "--web.listen-address", "127.0.0.1:0", "--log.level", "error"],
            stdout=subprocess.DEVNULL, stderr=stderr, env=environment)
        time.sleep(seconds)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise RuntimeError(f"{binary} did not stop within 60 s of SIGTERM")
        stderr.seek(0)
        return leaks.Report(stderr.read().decode(errors="replace"))


def main(argv=None):
    parser = ArgumentParser(prog="scripts/leak-check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(REPOSITORY, ".build-asan/debug/virt-exporter"),
                        help="the exporter built with --sanitize=address")
    parser.add_argument("--uri", action="append", default=[],
                        help="a real libvirt URI to check as well (repeatable)")
    parser.add_argument("--short", type=float, default=4, help="seconds of the short run (default 4)")
    parser.add_argument("--long", type=float, default=14, help="seconds of the long run (default 14)")
    parser.add_argument("--tolerance", type=int, default=2,
                        help="leaked allocations the long run may have beyond the short one (default 2)")
    options = parser.parse_args(argv)
    if options.long <= options.short:
        parser.error("--long must be longer than --short")
    if not os.access(options.binary, os.X_OK):
        parser.error(f"--binary {options.binary} is not an executable; build it with "
                     "swift build --sanitize=address --scratch-path .build-asan --product virt-exporter")

    checks = checks_module.Checks()
    scenarios = [("test driver", "test:///default"), ("reconnecting", UNREACHABLE_URI)]
    scenarios += [(f"libvirtd at {uri}", uri) for uri in options.uri]
    collections = options.long - options.short
    for name, uri in scenarios:
        short = run(options.binary, uri, options.short)
        long = run(options.binary, uri, options.long)
        allocations, size = leaks.growth(short, long)
        description = (f"{name}: {short} after {options.short:g} s, {long} after {options.long:g} s "
                       f"(+{allocations} allocations, +{size} bytes over about {collections:g} more collections)")
        problems = [f"memory error: {error}" for error in short.errors + long.errors]
        if leaks.grows(short, long, options.tolerance):
            problems.append(f"leaks grow with collections: +{allocations} allocations beyond the tolerance "
                            f"of {options.tolerance}; rerun with LSAN_OPTIONS to see the stacks")
        checks.check(not problems, description, problems)
    checks.say(checks.summary())
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
