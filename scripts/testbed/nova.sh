#!/usr/bin/env bash
# nova.sh up|down [DOMAIN=vxn-nova]: a domain as OpenStack Nova defines one, for the exporters'
#     Nova labels. up: defines and starts DOMAIN (64 MiB, 1 vCPU, a qcow2 disk on virtio vda, an
#     rtl8139 NIC on the Linux bridge VX_NOVA_BRIDGE, which it creates: no address, no other port,
#     IPv6 off) with Nova 1.1 metadata: instance name db-primary, flavor m1.large, user alice,
#     project storage-team; returns once the guest printed VX-READY. Idempotent: an existing DOMAIN
#     is started, not redefined. down: destroys and undefines DOMAIN, deletes its disk and the
#     bridge. The name is outside vx-*, so the tests that take every vx-* domain never see it, and
#     down.sh leaves it alone: run nova.sh down.
# Environment: as lib.sh (TB, VX_MEM, ...), and VX_NOVA_BRIDGE (default vxbr-nova).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ACTION=${1:-}
DOMAIN=${2:-vxn-nova}
BRIDGE=${VX_NOVA_BRIDGE:-vxbr-nova}
case $ACTION in up | down) ;; *) die "usage: nova.sh up|down [DOMAIN=vxn-nova]" ;; esac
[[ $DOMAIN =~ ^[A-Za-z0-9_.-]+$ ]] || die "DOMAIN must be letters, digits, '.', '_' or '-', got '$DOMAIN'"
[ "${#BRIDGE}" -le 15 ] || die "VX_NOVA_BRIDGE must be at most 15 characters (a Linux interface name), got '$BRIDGE'"
[ "$(id -u)" = 0 ] || die "nova.sh must run as root (it creates a bridge)"
vsh uri >/dev/null 2>&1 || die "cannot connect to $URI; run scripts/testbed/up.sh first"
DISK=$TB/images/$DOMAIN.qcow2

if [ "$ACTION" = down ]; then
    if dom_exists "$DOMAIN"; then
        [ "$(dom_state "$DOMAIN")" = "shut off" ] || vsh destroy "$DOMAIN" >/dev/null || true
        vsh undefine "$DOMAIN" >/dev/null || die "virsh undefine $DOMAIN failed"
    fi
    rm -f "$DISK"
    ! ip link show "$BRIDGE" >/dev/null 2>&1 || ip link del "$BRIDGE"
    echo "$DOMAIN and $BRIDGE removed"
    exit 0
fi

VX_VIRT_TYPE=$(virt_type)
build_guest
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge || die "cannot create the bridge $BRIDGE"
fi
sysctl -q -w "net.ipv6.conf.$BRIDGE.disable_ipv6=1" >/dev/null || true
ip link set "$BRIDGE" up

if ! dom_exists "$DOMAIN"; then
    mkdir -p "$TB/logs" "$TB/images"
    [ -e "$DISK" ] || qemu-img create -q -f qcow2 "$DISK" 64M || die "qemu-img create $DISK failed"
    # lib.sh's domain, with Nova's metadata element after its description and a bridged NIC
    # before its serial port, as Nova writes them.
    domain_xml "$DOMAIN" "${VX_MEM:-64}" "fill=8 tx=10 drop=5" "" "$DISK" | sed -e "/<\/description>/a\\
  <metadata>\\
    <nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\">\\
      <nova:package version=\"27.1.0\"/>\\
      <nova:name>db-primary</nova:name>\\
      <nova:flavor name=\"m1.large\"><nova:memory>64</nova:memory><nova:vcpus>1</nova:vcpus></nova:flavor>\\
      <nova:owner>\\
        <nova:user uuid=\"9f2d4c1a6b0e4d2f8a3b5c7d9e1f2a3b\">alice</nova:user>\\
        <nova:project uuid=\"1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6\">storage-team</nova:project>\\
      </nova:owner>\\
    </nova:instance>\\
  </metadata>" -e "/<serial type=/i\\
    <interface type='bridge'>\\
      <source bridge='$BRIDGE'/>\\
      <model type='rtl8139'/>\\
    </interface>" >"$TB/logs/$DOMAIN.xml"
    vsh define "$TB/logs/$DOMAIN.xml" >/dev/null || die "virsh define $DOMAIN failed (XML in $TB/logs/$DOMAIN.xml)"
fi
start_domain "$DOMAIN" || die "could not start $DOMAIN; serial log: $(cat "$TB/logs/$DOMAIN.serial" 2>/dev/null)"
echo "$DOMAIN running with Nova 1.1 metadata (db-primary, m1.large, storage-team), its NIC on bridge $BRIDGE"
