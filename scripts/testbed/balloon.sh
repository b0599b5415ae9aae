#!/usr/bin/env bash
# balloon.sh: defines and starts the two domains that show what libvirt reports when a guest's
#     memory statistics are missing. Each is a vx-I domain (64 MiB, 1 vCPU, a qcow2 disk on virtio
#     vda, an rtl8139 NIC on its own tap, the guest command line VX_CMDLINE) but for its balloon:
#       vx-noperiod  the guest runs its balloon driver, but <memballoon> has no stats period, so
#                    QEMU takes the guest's statistics once, at boot, and never asks again
#                    (tap vxtapnoperiod);
#       vx-nodriver  the guest runs no balloon driver (balloon=0), under the vx-I domains' 5 s
#                    stats period (tap vxtapnodriver).
#     Returns once both printed VX-READY, and vx-noperiod its balloon driver's line. Needs a running
#     libvirtd (up.sh); builds the guest kernel into $TB/guest when it is missing or older than its
#     sources. Idempotent: an existing domain is started, not redefined. down.sh removes both.
# Environment: as lib.sh (TB, VX_MEM, VX_CMDLINE, ...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 0 ] || die "usage: balloon.sh (no arguments)"
[ "$(id -u)" = 0 ] || die "balloon.sh must run as root (it creates tap devices)"
vsh uri >/dev/null 2>&1 || die "cannot connect to $URI; run scripts/testbed/up.sh first"
VX_VIRT_TYPE=$(virt_type)
CMDLINE=${VX_CMDLINE:-fill=8 tx=10 drop=5}
build_guest

# define NAME STATS_PERIOD CMDLINE: a vx-I domain with its own tap and disk, and that stats period.
define() {
    local tap=vxtap${1#vx-}
    # As up.sh's taps: unmanaged, no address, IPv6 off, so the host sends nothing into it.
    ip link show "$tap" >/dev/null 2>&1 || ip tuntap add dev "$tap" mode tap
    sysctl -q -w "net.ipv6.conf.$tap.disable_ipv6=1" >/dev/null || true
    ip link set "$tap" up
    VX_STATS_PERIOD=$2 define_domain "$1" "${VX_MEM:-64}" "$3" "$tap" "$TB/images/$1.qcow2"
}
define vx-noperiod 0 "$CMDLINE"
define vx-nodriver 5 "$CMDLINE balloon=0"
for domain in vx-noperiod vx-nodriver; do
    start_domain "$domain" || die "could not start $domain; serial log: $(cat "$TB/logs/$domain.serial" 2>/dev/null)"
done
grep -q "virtio-balloon driver up" "$TB/logs/vx-noperiod.serial" ||
    die "vx-noperiod's balloon driver did not come up; serial log: $(cat "$TB/logs/vx-noperiod.serial")"
echo "vx-noperiod running (balloon driver, no stats period), vx-nodriver running (no balloon driver, 5 s period)"
