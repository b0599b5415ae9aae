#!/usr/bin/env bash
# oci-image.sh DEB OUTPUT.tar: an OCI image of virt-exporter, made without a container daemon: a
# Debian 12 root file system from Debian's own packages (mmdebstrap: the essential packages and the
# .deb's Depends, without apt, manuals or translations; copyright files kept), the .deb installed
# in it by dpkg; turned into one OCI layer by umoci, with the exporter as entry point, run as the package's virt-exporter user
# (numeric, for Kubernetes' runAsNonRoot), port 9177. OUTPUT.tar is an OCI layout archive
# (`podman load -i`, `skopeo copy oci-archive:OUTPUT.tar:virt-exporter …`). Needs root.
set -euo pipefail
deb=$(realpath "$1")
output=$(realpath -m "$2")
. "$(dirname "$0")/packages.sh"
# shellcheck disable=SC2086
ensure_packages $VIRT_EXPORTER_OCI_PACKAGES
version=$(dpkg-deb -f "$deb" Version)
work=$(mktemp -d /var/tmp/vx-oci.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The package's Depends, without their versions: "adduser, libc6 (>= 2.35), …" → adduser,libc6,…
depends=$(dpkg-deb -f "$deb" Depends | sed -E 's/ *\([^)]*\)//g; s/ //g')
echo "== mmdebstrap: Debian 12, $depends, $(basename "$deb")" >&2
mmdebstrap --variant=essential --quiet --include="$depends" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook="copy-in $deb /tmp" \
    --customize-hook="chroot \"\$1\" dpkg -i /tmp/$(basename "$deb")" \
    --customize-hook="rm -f \"\$1\"/tmp/*.deb" \
    bookworm "$work/rootfs.tar"

uid=$(tar -xOf "$work/rootfs.tar" ./etc/passwd | awk -F: '$1 == "virt-exporter" {print $3 ":" $4}')
[ -n "$uid" ] || { echo "oci-image.sh: the image has no virt-exporter user" >&2; exit 1; }

echo "== umoci: one layer, entry point /usr/bin/virt-exporter, user $uid" >&2
layout=$work/oci
umoci init --layout "$layout"
umoci new --image "$layout:$version"
umoci unpack --image "$layout:$version" "$work/bundle" >/dev/null
tar -C "$work/bundle/rootfs" -xf "$work/rootfs.tar"
umoci repack --image "$layout:$version" "$work/bundle"
umoci config --image "$layout:$version" --config.entrypoint /usr/bin/virt-exporter \
    --config.user "$uid" --config.exposedports 9177/tcp --config.workingdir / \
    --config.label "org.opencontainers.image.title=virt-exporter" \
    --config.label "org.opencontainers.image.version=$version"
umoci gc --layout "$layout"
tar -C "$layout" -cf "$output" .
echo "$output: $(du -k "$output" | cut -f1) KiB, tag $version"
