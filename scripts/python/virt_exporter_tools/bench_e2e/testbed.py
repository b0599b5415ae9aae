"""The project's testbed (scripts/testbed): N running domains vx-1..vx-N and the shut-off vx-off."""

import os
import re
import subprocess

from ..repository import REPOSITORY

SCRIPTS = os.path.join(REPOSITORY, "scripts", "testbed")
UNAVAILABLE = 3  # up.sh's exit status on a machine that cannot run libvirtd and QEMU


def up(n, log_path):
    """scripts/testbed/up.sh N; returns its exit status."""
    with open(log_path, "w") as out:
        return subprocess.run([os.path.join(SCRIPTS, "up.sh"), str(n)], stdout=out, stderr=subprocess.STDOUT).returncode


def down(log_path):
    """scripts/testbed/down.sh: removes every vx-* domain. Returns whether it succeeded."""
    with open(log_path, "w") as out:
        return subprocess.run([os.path.join(SCRIPTS, "down.sh")], stdout=out, stderr=subprocess.STDOUT).returncode == 0


def virsh(uri, *arguments):
    """virsh's output, or "" when it fails (bounded: a hung libvirtd must not hang the run)."""
    try:
        done = subprocess.run(["timeout", "60", "virsh", "-q", "-c", uri, *arguments], capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout if done.returncode == 0 else ""


def domains(uri):
    """The names of every domain, running or not."""
    return [name for name in virsh(uri, "list", "--all", "--name").split("\n") if name]


def numbered(names):
    """The testbed's vx-I domains among `names`."""
    return [name for name in names if re.fullmatch(r"vx-[0-9]+", name)]


def libvirtd_pid():
    """libvirtd's pid, from its pid file or by its process name; None if none runs."""
    try:
        with open("/run/libvirtd.pid") as f:
            pid = f.read().strip()
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() == "libvirtd":
                return int(pid)
    except (OSError, ValueError):
        pass
    done = subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True, text=True)
    pids = done.stdout.split()
    return int(pids[0]) if pids else None
