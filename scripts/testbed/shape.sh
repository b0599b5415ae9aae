#!/usr/bin/env bash
# shape.sh up|down [DOMAIN=vx-budget-4cpu]: a testbed domain of a common production shape, for the
#     series budget (README, "What each part costs in series"): lib.sh's domain with 4 vCPUs, two
#     qcow2 disks on virtio (vda, vdb) and two rtl8139 NICs on their own unmanaged taps (no address,
#     not bridged, IPv6 off). up: defines and starts DOMAIN, returns once the guest printed
#     VX-READY; an existing DOMAIN is started, not redefined. down: destroys and undefines DOMAIN,
#     deletes its disks and taps. Run it under the testbed lock; down.sh also removes a vx-* domain.
# Environment: as lib.sh (TB, VX_MEM, ...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ACTION=${1:-}
DOMAIN=${2:-vx-budget-4cpu}
case $ACTION in up | down) ;; *) die "usage: shape.sh up|down [DOMAIN=vx-budget-4cpu]" ;; esac
[[ $DOMAIN =~ ^[A-Za-z0-9_.-]+$ ]] || die "DOMAIN must be letters, digits, '.', '_' or '-', got '$DOMAIN'"
[ "$(id -u)" = 0 ] || die "shape.sh must run as root (it creates tap devices)"
vsh uri >/dev/null 2>&1 || die "cannot connect to $URI; run scripts/testbed/up.sh first"
# Tap names: at most 15 characters, unique per domain name, vxtap* so that down.sh removes them too.
TAG=$(printf '%s' "$DOMAIN" | md5sum | cut -c1-6)
TAPS=("vxtap${TAG}a" "vxtap${TAG}b")
DISKS=("$TB/images/$DOMAIN-a.qcow2" "$TB/images/$DOMAIN-b.qcow2")

if [ "$ACTION" = down ]; then
    if dom_exists "$DOMAIN"; then
        [ "$(dom_state "$DOMAIN")" = "shut off" ] || vsh destroy "$DOMAIN" >/dev/null || true
        vsh undefine "$DOMAIN" >/dev/null || die "virsh undefine $DOMAIN failed"
    fi
    rm -f "${DISKS[@]}"
    for tap in "${TAPS[@]}"; do ! ip link show "$tap" >/dev/null 2>&1 || ip link del "$tap"; done
    echo "$DOMAIN, its disks and taps removed"
    exit 0
fi

VX_VIRT_TYPE=$(virt_type)
build_guest
for tap in "${TAPS[@]}"; do
    ip link show "$tap" >/dev/null 2>&1 || ip tuntap add dev "$tap" mode tap
    sysctl -q -w "net.ipv6.conf.$tap.disable_ipv6=1" >/dev/null || true
    ip link set "$tap" up
done
if ! dom_exists "$DOMAIN"; then
    mkdir -p "$TB/logs" "$TB/images"
    for disk in "${DISKS[@]}"; do
        [ -e "$disk" ] || qemu-img create -q -f qcow2 "$disk" 64M || die "qemu-img create $disk failed"
    done
    # lib.sh's domain (first disk and NIC), with 4 vCPUs and a second disk and NIC after the first.
    domain_xml "$DOMAIN" "${VX_MEM:-64}" "fill=8 tx=10 drop=5" "${TAPS[0]}" "${DISKS[0]}" | sed \
        -e "s|<vcpu>1</vcpu>|<vcpu>4</vcpu>|" -e "/<target dev='vda' bus='virtio'\/>/{n;a\\
    <disk type='file' device='disk'>\\
      <driver name='qemu' type='qcow2'/>\\
      <source file='${DISKS[1]}'/>\\
      <target dev='vdb' bus='virtio'/>\\
    </disk>
}" -e "/<target dev='${TAPS[0]}' managed='no'\/>/{n;n;a\\
    <interface type='ethernet'>\\
      <target dev='${TAPS[1]}' managed='no'/>\\
      <model type='rtl8139'/>\\
    </interface>
}" >"$TB/logs/$DOMAIN.xml"
    grep -q "<vcpu>4</vcpu>" "$TB/logs/$DOMAIN.xml" && grep -q "dev='vdb'" "$TB/logs/$DOMAIN.xml" &&
        grep -q "dev='${TAPS[1]}'" "$TB/logs/$DOMAIN.xml" || die "could not build the XML of $DOMAIN"
    vsh define "$TB/logs/$DOMAIN.xml" >/dev/null || die "virsh define $DOMAIN failed (XML in $TB/logs/$DOMAIN.xml)"
fi
start_domain "$DOMAIN" || die "could not start $DOMAIN; serial log: $(cat "$TB/logs/$DOMAIN.serial" 2>/dev/null)"
echo "$DOMAIN running: 4 vCPUs, disks vda and vdb, NICs on ${TAPS[*]}"
