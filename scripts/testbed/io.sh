#!/usr/bin/env bash
# io.sh [DOMAIN=vx-io] [SECTORS_PER_S=20]: defines and starts a domain whose disk and NIC are busy,
#     for block and interface stats that move: 64 MiB, 1 vCPU, a qcow2 disk on IDE (hda) that the
#     guest reads, writes and flushes (io=SECTORS_PER_S: that many one-sector reads and as many
#     writes a second, one flush a second) and an rtl8139 NIC on its own tap (tx=10 drop=5, as the
#     vx-I domains). Returns once the guest printed VX-READY. Needs a running libvirtd (up.sh);
#     builds the guest kernel into $TB/guest when it is missing or older than its sources.
#     Idempotent: an existing DOMAIN is started, not redefined. down.sh removes vx-io; a DOMAIN
#     outside vx-* is its creator's to remove (virsh destroy, undefine; ip link del the tap).
# Environment: as lib.sh (TB, VX_MEM, ...), and VX_IO_TAP, the tap device (default vxtapio).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DOMAIN=${1:-vx-io}
SECTORS=${2:-20}
TAP=${VX_IO_TAP:-vxtapio}
case $SECTORS in '' | *[!0-9]*) die "usage: io.sh [DOMAIN=vx-io] [SECTORS_PER_S=20]: SECTORS_PER_S must be a whole number" ;; esac
[[ $DOMAIN =~ ^[A-Za-z0-9_.-]+$ ]] || die "DOMAIN must be letters, digits, '.', '_' or '-', got '$DOMAIN'"
[ "${#TAP}" -le 15 ] || die "VX_IO_TAP must be at most 15 characters (a Linux interface name), got '$TAP'"
[ "$(id -u)" = 0 ] || die "io.sh must run as root (it creates a tap device)"
vsh uri >/dev/null 2>&1 || die "cannot connect to $URI; run scripts/testbed/up.sh first"
VX_VIRT_TYPE=$(virt_type)

build_guest
# As up.sh's taps: unmanaged, no address, IPv6 off, so the host sends nothing into it.
ip link show "$TAP" >/dev/null 2>&1 || ip tuntap add dev "$TAP" mode tap
sysctl -q -w "net.ipv6.conf.$TAP.disable_ipv6=1" >/dev/null || true
ip link set "$TAP" up
define_domain "$DOMAIN" "${VX_MEM:-64}" "fill=8 tx=10 drop=5 io=$SECTORS" "$TAP" "ide:$TB/images/$DOMAIN.qcow2"
start_domain "$DOMAIN" || die "could not start $DOMAIN; serial log: $(cat "$TB/logs/$DOMAIN.serial" 2>/dev/null)"
grep -q "IDE disk" "$TB/logs/$DOMAIN.serial" || die "$DOMAIN found no IDE disk; serial log: $(cat "$TB/logs/$DOMAIN.serial")"
echo "$DOMAIN running: reads and writes $SECTORS sectors/s on hda, flushes once a second, sends 10 frames/s on $TAP"
