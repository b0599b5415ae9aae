"""Where the checkout is, and the Debian packages helper the shell scripts share."""

import os
import subprocess

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PACKAGES_SH = os.path.join(REPOSITORY, "scripts", "lib", "packages.sh")


def package_list(name):
    """The words of a variable of scripts/lib/packages.sh, e.g. VIRT_EXPORTER_BUILD_PACKAGES."""
    done = subprocess.run(["bash", "-c", f'. "$1" && printf "%s" "${name}"', "bash", PACKAGES_SH],
                          capture_output=True, text=True, check=True)
    return done.stdout.split()


def install_packages(packages, stdout=None):
    """Installs those of `packages` that are missing, with scripts/lib/packages.sh's ensure_packages
    (apt-get; needs root or sudo). Raises CalledProcessError when that fails."""
    subprocess.run(["bash", "-c", '. "$1" && shift && ensure_packages "$@"', "bash", PACKAGES_SH, *packages],
                   check=True, stdout=stdout)
