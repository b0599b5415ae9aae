#!/usr/bin/env bash
# debian-exporter.sh: prints the path of Debian's prometheus-libvirt-exporter binary, unpacked from
# its .deb (apt-get download, dpkg-deb -x) into .build-debian-exporter/ of the checkout (or
# $VIRT_EXPORTER_DEBIAN_EXPORTER_DIR), and unpacked only once; the package's version is in the
# file `version` beside the unpacked tree. The compatibility test and scripts/bench-e2e run this
# binary: the package itself is not installed, since virt-exporter's package conflicts with it
# (both serve port 9177 and start their service on install).
set -euo pipefail
dir=${VIRT_EXPORTER_DEBIAN_EXPORTER_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/.build-debian-exporter}
binary=$dir/root/usr/bin/prometheus-libvirt-exporter
if [ ! -x "$binary" ] || [ ! -s "$dir/version" ]; then
    rm -rf "$dir" && mkdir -p "$dir/download"
    (cd "$dir/download" && apt-get download prometheus-libvirt-exporter >/dev/null 2>&1) || {
        apt-get update -qq >/dev/null
        (cd "$dir/download" && apt-get download prometheus-libvirt-exporter >/dev/null)
    }
    deb=$(ls "$dir"/download/prometheus-libvirt-exporter_*.deb)
    dpkg-deb -x "$deb" "$dir/root"
    dpkg-deb -f "$deb" Version >"$dir/version"
fi
echo "$binary"
