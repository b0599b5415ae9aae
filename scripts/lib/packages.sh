# Debian packages virt-exporter needs, and a helper that installs whichever are missing.
# Source this file; it does nothing by itself.

# Headers and pkg-config files the build links against: libvirt, libmicrohttpd, zlib, libxml2
# (domain XML), GnuTLS (TLS sessions and client certificates), libxcrypt (bcrypt for basic auth)
# and libyaml (the web config file).
VIRT_EXPORTER_BUILD_PACKAGES="pkg-config libvirt-dev libmicrohttpd-dev zlib1g-dev libxml2-dev libgnutls28-dev libcrypt-dev libyaml-dev"
# Tools the test suite runs: promtool and the Prometheus server (prometheus), gzip,
# systemd-analyze and systemd-socket-activate (systemd) for the unit files and socket activation,
# openssl for the TLS tests' CA and certificates, curl as their HTTPS client, Debian's Python
# with pyflakes for the programs of scripts/python, and Debian's own libvirt exporter
# (prometheus-libvirt-exporter), which the compatibility test runs beside virt-exporter (its
# package enables and, under systemd, starts its service on :9177; the tests use other ports).
VIRT_EXPORTER_TEST_PACKAGES="prometheus gzip systemd openssl curl python3 python3-pyflakes prometheus-libvirt-exporter"

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
