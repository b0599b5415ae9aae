"""`systemd-analyze verify` of the unit file, in a scratch root.

`systemd-analyze verify` also checks that ExecStart's program exists, which it does not on a build
machine; so the unit is verified in a scratch root holding the system's units, this unit as an
installed one, and the exporter binary (a stub if there is none) where ExecStart says."""

import os
import re
import shutil
import subprocess

SYSTEM_UNITS = "/usr/lib/systemd/system"


def exec_path(unit_text):
    """The program of the unit's first ExecStart= (prefixes such as - and @ removed), or None."""
    match = re.search(r"^ExecStart=[-@:+!|]*([^ \n]*)", unit_text, re.M)
    return match.group(1) if match else None


def verify(unit, binary, scratch, service=None, drop_in=None):
    """(ok, description, problems) of verifying `unit` with `binary` installed as its ExecStart.

    A socket unit is verified beside `service`, the unit it starts, whose ExecStart then counts;
    `drop_in`, a drop-in file, is installed in the unit's .d folder."""
    description = f"systemd-analyze verify {unit}" + (f" with {drop_in}" if drop_in else "")
    with open(service or unit) as f:
        program = exec_path(f.read())
    if not program or not program.startswith("/"):
        return False, description, [f"no ExecStart= with an absolute path in {service or unit}"]
    if not os.path.isdir(SYSTEM_UNITS):
        return False, description, [f"{SYSTEM_UNITS} is missing"]
    root = os.path.join(scratch, "root-" + os.path.basename(unit) + ("-" + os.path.basename(drop_in) if drop_in else ""))
    installed = root + program
    os.makedirs(os.path.join(root, "etc/systemd/system"), exist_ok=True)
    os.makedirs(os.path.dirname(installed), exist_ok=True)
    shutil.copytree(SYSTEM_UNITS, root + SYSTEM_UNITS, symlinks=True)
    for installed_unit in [unit] + ([service] if service else []):
        shutil.copy(installed_unit, os.path.join(root, "etc/systemd/system"))
    if drop_in:
        folder = os.path.join(root, "etc/systemd/system", os.path.basename(unit) + ".d")
        os.makedirs(folder, exist_ok=True)
        shutil.copy(drop_in, folder)
    if os.access(binary, os.X_OK):
        shutil.copy(binary, installed)
    else:
        with open(installed, "w") as f:
            f.write("#!/bin/sh\n")
    os.chmod(installed, 0o755)
    description += f" (in a scratch root with {program} installed)"
    # --man=no: the manual page Documentation= names is made by scripts/package, not in the tree
    # (scripts/check-package verifies the installed units with it).
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={root}",
                           f"/etc/systemd/system/{os.path.basename(unit)}"], capture_output=True, text=True)
    output = (done.stdout + done.stderr).rstrip("\n")
    # It reports problems as warnings and may still exit 0: any output fails the check.
    if done.returncode == 0 and not output:
        return True, description, []
    return False, description, [output or "exit status non-zero"]
