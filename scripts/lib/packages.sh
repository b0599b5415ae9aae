# Debian packages virt-exporter needs, and a helper that installs whichever are missing.
# Source this file; it does nothing by itself.

# Headers and pkg-config files the build links against: libvirt, libmicrohttpd, zlib, libxml2
# (domain XML), GnuTLS (TLS sessions and client certificates), libxcrypt (bcrypt for basic auth)
# and libyaml (the web config file).
VIRT_EXPORTER_BUILD_PACKAGES="pkg-config libvirt-dev libmicrohttpd-dev zlib1g-dev libxml2-dev libgnutls28-dev libcrypt-dev libyaml-dev"
# What scripts/package uses: debhelper (and dpkg-dev, which it brings) for the .deb, help2man for
# its manual page, lintian to check it, binutils' strip for the tarball; mmdebstrap and umoci for
# the OCI image.
VIRT_EXPORTER_PACKAGE_PACKAGES="debhelper help2man lintian binutils"
VIRT_EXPORTER_OCI_PACKAGES="mmdebstrap umoci"
# Tools the test suite runs: promtool and the Prometheus server (prometheus), Alertmanager
# (prometheus-alertmanager) for the migration alert tests, gzip,
# systemd-analyze and systemd-socket-activate (systemd) for the unit files and socket activation,
# openssl for the TLS tests' CA and certificates, curl as their HTTPS client, Debian's Python
# with pyflakes and yaml (the Kubernetes manifest) for the programs of scripts/python,
# util-linux's unshare and setpriv for running the installed package as its user, and strace
# standing in for its unit's seccomp filter. Debian's own libvirt exporter, which the
# compatibility test runs beside virt-exporter, is not installed: virt-exporter's package
# conflicts with it, so scripts/lib/debian-exporter.sh unpacks its .deb instead.
VIRT_EXPORTER_TEST_PACKAGES="prometheus prometheus-alertmanager gzip systemd openssl curl python3 python3-pyflakes python3-yaml util-linux strace $VIRT_EXPORTER_PACKAGE_PACKAGES"

# ensure_packages PACKAGE...: installs the packages that are not installed yet (needs root then).
ensure_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing Debian packages: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
