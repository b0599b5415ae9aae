#!/usr/bin/env bash
# crowd.sh up N | down: N more running domains, vx-crowd-1..vx-crowd-N, for tests that need many
#     QEMUs at once (the fault test that stops most of a host's QEMUs). Each is transient (gone once
#     destroyed), 64 MiB, 1 vCPU, no disk and no NIC, with the guest command line "fill=8"; `up`
#     starts them side by side and returns once every one printed VX-READY. `down` destroys them;
#     so does down.sh, which removes every vx-* domain. Needs a running libvirtd (up.sh).
# Environment: as lib.sh (TB, VX_MEM, ...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { die "usage: crowd.sh up N | down"; }
crowd() { vsh list --all --name 2>/dev/null | grep '^vx-crowd-' || true; }

case ${1:-} in
up)
    N=${2:-}
    case $N in '' | *[!0-9]*) usage ;; esac
    vsh uri >/dev/null 2>&1 || die "cannot connect to $URI; run scripts/testbed/up.sh first"
    VX_VIRT_TYPE=$(virt_type)
    build_guest
    mkdir -p "$TB/logs"
    for i in $(seq 1 "$N"); do
        name=vx-crowd-$i
        [ "$(dom_state "$name")" = running ] && continue
        rm -f "$TB/logs/$name.serial"
        domain_xml "$name" "${VX_MEM:-64}" "fill=8" >"$TB/logs/$name.xml"
        vsh create "$TB/logs/$name.xml" >/dev/null || die "virsh create $name failed (XML in $TB/logs/$name.xml)"
    done
    for i in $(seq 1 "$N"); do
        wait_for "${READY_TIMEOUT:-60}" "vx-crowd-$i to print $READY_MARK" guest_ready "vx-crowd-$i" ||
            die "vx-crowd-$i did not boot; serial log: $(cat "$TB/logs/vx-crowd-$i.serial" 2>/dev/null)"
    done
    echo "$N crowd domains running"
    ;;
down)
    for name in $(crowd); do vsh destroy "$name" >/dev/null 2>&1 || note "destroy $name failed"; done
    [ -z "$(crowd)" ] || die "crowd domains left: $(crowd | tr '\n' ' ')"
    ;;
*) usage ;;
esac
