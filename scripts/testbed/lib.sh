# Shared settings and helpers of the virt-exporter testbed scripts. Source it; it does nothing by itself.
# shellcheck shell=bash

TB=${TB:-/var/tmp/virt-exporter-testbed}        # state: guest kernel, disks, serial logs, job logs
URI=${VX_URI:-qemu:///system}
# shellcheck disable=SC2034 # used by the scripts that source this file
TB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_ELF=$TB/guest/vxguest.elf
READY_MARK=VX-READY

die() { echo "testbed: error: $*" >&2; exit 1; }
note() { echo "testbed: $*" >&2; }
# The machine cannot run libvirtd/QEMU at all: say so loudly, exit 3 so callers can skip.
unavailable() { echo "TESTBED UNAVAILABLE: $*" >&2; exit 3; }

# virsh on the testbed's connection; every call is bounded (a hung libvirtd must not hang us).
vsh() { timeout "${VSH_TIMEOUT:-60}" virsh -q -c "$URI" "$@"; }
dom_exists() { vsh domstate "$1" >/dev/null 2>&1; }
dom_state() { vsh domstate "$1" 2>/dev/null || echo missing; }
vx_domains() { vsh list --all --name 2>/dev/null | grep '^vx-' || true; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
    local limit=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || { note "timed out after ${limit}s waiting for $what"; return 1; }
        sleep 0.2
    done
}

guest_ready() { grep -q "$READY_MARK" "$TB/logs/$1.serial" 2>/dev/null; }

# build_guest: builds the vxguest kernel into $GUEST_ELF when it is missing or older than its sources.
build_guest() {
    if [ ! -s "$GUEST_ELF" ] || [ -n "$(find "$TB_SRC/guest" -newer "$GUEST_ELF" -type f)" ]; then
        "$TB_SRC/guest/build.sh" "$GUEST_ELF" || die "building the guest kernel failed"
    fi
}

# Domain type: kvm when libvirt reports KVM as usable, else qemu (TCG). VX_VIRT_TYPE overrides.
virt_type() {
    if [ -z "${VX_VIRT_TYPE:-}" ]; then
        VX_VIRT_TYPE=qemu
        [ -c /dev/kvm ] && [[ $(vsh capabilities 2>/dev/null) == *"<domain type='kvm'"* ]] && VX_VIRT_TYPE=kvm
    fi
    echo "$VX_VIRT_TYPE"
}

# Firmware: QEMU's qboot, which reaches the guest kernel in well under a second; SeaBIOS (QEMU's
# default) spends about 4 s of CPU per boot under this machine's nested KVM. VX_FIRMWARE=seabios
# switches back; so does a missing qboot.rom.
QBOOT=/usr/share/qemu/qboot.rom
firmware_xml() {
    [ "${VX_FIRMWARE:-qboot}" = qboot ] && [ -f "$QBOOT" ] && echo "<loader type='rom'>$QBOOT</loader>"
    return 0
}

# domain_xml NAME MEM_MIB CMDLINE [TAP] [DISK]: a vxguest domain. TAP: an existing tap device the
# NIC (rtl8139) uses unmanaged; DISK: a qcow2 image attached as virtio vda, or with "ide:" before
# its path as IDE hda (which the guest's io=<N> reads and writes; it has no virtio-blk driver).
# Every domain has a virtio balloon, which the guest drives unless CMDLINE has balloon=0; its
# statistics period is VX_STATS_PERIOD seconds (default 5; 0: no <stats> element, so QEMU takes the
# guest's statistics once, at boot, and never asks again).
domain_xml() {
    local name=$1 mem=$2 cmdline=$3 tap=${4:-} disk=${5:-} target="dev='vda' bus='virtio'"
    case $disk in ide:*) disk=${disk#ide:} target="dev='hda' bus='ide'" ;; esac
    # a stable UUID per name, so re-definitions keep the same identity
    uuid=$(printf 'virt-exporter-testbed/%s' "$name" | md5sum |
        sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
    cat <<EOF
<domain type='$(virt_type)'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <description>virt-exporter testbed domain (scripts/testbed)</description>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    $(firmware_xml)
    <kernel>$GUEST_ELF</kernel>
    <cmdline>$cmdline</cmdline>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
EOF
    [ -z "$disk" ] || cat <<EOF
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$disk'/>
      <target $target/>
    </disk>
EOF
    [ -z "$tap" ] || cat <<EOF
    <interface type='ethernet'>
      <target dev='$tap' managed='no'/>
      <model type='rtl8139'/>
    </interface>
EOF
    cat <<EOF
    <serial type='file'>
      <source path='$TB/logs/$name.serial'/>
      <target port='0'/>
    </serial>
EOF
    if [ "${VX_STATS_PERIOD:-5}" = 0 ]; then
        echo "    <memballoon model='virtio'/>"
    else
        cat <<EOF
    <memballoon model='virtio'>
      <stats period='${VX_STATS_PERIOD:-5}'/>
    </memballoon>
EOF
    fi
    cat <<EOF
  </devices>
</domain>
EOF
}

# define_domain NAME MEM_MIB CMDLINE [TAP] [DISK]: defines NAME unless it exists (creates DISK if
# missing; DISK as for domain_xml).
define_domain() {
    local name=$1 disk=${5:-}
    disk=${disk#ide:}
    dom_exists "$name" && return 0
    mkdir -p "$TB/logs" "$TB/images"
    if [ -n "$disk" ] && [ ! -e "$disk" ]; then
        qemu-img create -q -f qcow2 "$disk" 64M || die "qemu-img create $disk failed"
    fi
    domain_xml "$@" >"$TB/logs/$name.xml"
    vsh define "$TB/logs/$name.xml" >/dev/null || die "virsh define $name failed (XML in $TB/logs/$name.xml)"
}

# start_domain NAME: starts NAME unless it runs (a paused one is resumed); waits for its READY mark.
start_domain() {
    local name=$1 err
    case $(dom_state "$name") in
        running) ;;
        paused) vsh resume "$name" >/dev/null ;;
        *)
            rm -f "$TB/logs/$name.serial"
            err=$(vsh start "$name" 2>&1) || { echo "$err" >&2; return 1; }
            ;;
    esac
    wait_for "${READY_TIMEOUT:-60}" "$name to print $READY_MARK on its serial log ($TB/logs/$name.serial)" \
        guest_ready "$name"
}
