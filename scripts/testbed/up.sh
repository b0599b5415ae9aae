#!/usr/bin/env bash
# up.sh [N=3]: brings up virt-exporter's libvirt/KVM testbed on Debian 12 (as root; systemd not needed).
# Idempotent: run it again to repair or re-check; it leaves what is already fine alone.
#   1. installs the Debian packages that are missing
#   2. creates the libvirt-qemu user, kvm/libvirt groups, libvirt's directories, qemu.conf settings,
#      and libvirtd.conf's sockets as on a Debian host (read-write 0770 root:libvirt, read-only
#      0777), with auth_unix_ro = "none" standing in for Debian's polkit rule that anyone may read
#   3. starts virtlogd and libvirtd unless they run (a running libvirtd is reused; it is restarted
#      only when up.sh started it and its sockets are not yet those of step 2; its domains go on)
#   4. builds the vxguest kernel (guest/) into $TB/guest
#   5. defines and starts vx-1..vx-N (64 MiB, 1 vCPU, qcow2 disk, rtl8139 NIC on its own tap vxtapI,
#      virtio balloon with a 5 s stats period that the guest serves, serial log in $TB/logs) and
#      waits for their VX-READY, and defines vx-off (with a disk), which stays shut off
# Exits 3 after a "TESTBED UNAVAILABLE: <reason>" line on stderr when this machine cannot run
# libvirtd/QEMU at all; any other failure exits 1.
# Environment: TB (state dir, default /var/tmp/virt-exporter-testbed), VX_MEM (MiB, default 64),
# VX_CMDLINE (guest command line, default "fill=8 tx=10 drop=5"), VX_VIRT_TYPE (kvm or qemu,
# default: kvm when libvirt can use it), VX_FIRMWARE (qboot or seabios, default qboot).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${1:-3}
case $N in '' | *[!0-9]*) die "usage: up.sh [N=3]" ;; esac
MEM=${VX_MEM:-64}
CMDLINE=${VX_CMDLINE:-fill=8 tx=10 drop=5}
PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
    iproute2 procps gcc gcc-multilib binutils)
started_at=$SECONDS

[ "$(id -u)" = 0 ] || unavailable "up.sh must run as root (it starts libvirtd and creates tap devices)"

# --- 1. packages ---
missing=()
for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    note "installing ${missing[*]}"
    timeout 600 apt-get update -qq || unavailable "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
        unavailable "apt-get install ${missing[*]} failed"
fi
for tool in qemu-system-x86_64 qemu-img libvirtd virtlogd virsh ip gcc ld; do
    command -v "$tool" >/dev/null || unavailable "$tool is missing even after installing ${PACKAGES[*]}"
done

# --- 2. users, groups, directories, qemu.conf ---
for g in kvm libvirt libvirt-qemu; do getent group "$g" >/dev/null || groupadd --system "$g"; done
id libvirt-qemu >/dev/null 2>&1 ||
    useradd --system -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
# On a fresh machine these may not exist, and virtlogd then fails to open its log file.
mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt /etc/libvirt
QEMU_CONF=/etc/libvirt/qemu.conf
conf_changed=0
for setting in 'user = "root"' 'group = "root"' 'security_driver = "none"'; do
    key=${setting%% *}
    grep -qE "^[[:space:]]*${key}[[:space:]]*=[[:space:]]*${setting#* = }[[:space:]]*$" "$QEMU_CONF" 2>/dev/null && continue
    [ -f "$QEMU_CONF" ] && sed -i "/^[[:space:]]*${key}[[:space:]]*=/d" "$QEMU_CONF"
    echo "$setting" >>"$QEMU_CONF"
    conf_changed=1
done

# libvirtd.conf: the sockets of a Debian host. This libvirtd has no system bus, so polkit cannot
# answer for a non-root client; "none" on the read-only socket stands in for Debian's polkit rule
# that any local user may read, so unprivileged clients (the packaged exporter's user) are tested.
LIBVIRTD_CONF=/etc/libvirt/libvirtd.conf
for setting in 'unix_sock_group = "libvirt"' 'unix_sock_ro_perms = "0777"' 'unix_sock_rw_perms = "0770"' \
    'auth_unix_ro = "none"'; do
    key=${setting%% *}
    grep -qxF "$setting" "$LIBVIRTD_CONF" 2>/dev/null && continue
    [ -f "$LIBVIRTD_CONF" ] && sed -i "/^[[:space:]]*${key}[[:space:]]*=/d" "$LIBVIRTD_CONF"
    echo "$setting" >>"$LIBVIRTD_CONF"
done
# Whether the running libvirtd's sockets are those of libvirtd.conf.
debian_sockets() {
    [ "$(stat -c '%a %G' /run/libvirt/libvirt-sock 2>/dev/null)" = "770 libvirt" ] &&
        [ "$(stat -c '%a' /run/libvirt/libvirt-sock-ro 2>/dev/null)" = 777 ]
}

# --- 3. virtlogd and libvirtd ---
mkdir -p "$TB/run" "$TB/logs" "$TB/images" "$TB/guest"
touch "$TB/.virt-exporter-testbed"               # marks the dir as ours (down.sh --purge checks it)
# The root namespace's daemons are known by their pid files: a process search would also find the
# libvirtd (or virtlogd) of a namespaced host on this machine and take it for the testbed's.
# daemon_runs NAME: whether /run/NAME.pid names a running NAME.
daemon_runs() {
    local pid
    pid=$(cat "/run/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]
}
if ! daemon_runs virtlogd || [ ! -S /run/libvirt/virtlogd-sock ]; then
    virtlogd -d || unavailable "virtlogd -d failed (see /var/log/libvirt/virtlogd.log)"
    wait_for 10 "virtlogd's pid file" test -s /run/virtlogd.pid || unavailable "virtlogd did not come up"
    cat /run/virtlogd.pid >"$TB/run/virtlogd.started"
    note "started virtlogd (pid $(cat /run/virtlogd.pid))"
fi
# forget a libvirtd recorded by an earlier up.sh that is gone by now
if [ -f "$TB/run/libvirtd.started" ] && [ "$(cat "$TB/run/libvirtd.started")" != "$(cat /run/libvirtd.pid 2>/dev/null)" ]; then
    rm -f "$TB/run/libvirtd.started"
fi
if vsh uri >/dev/null 2>&1 && ! debian_sockets && [ -f "$TB/run/libvirtd.started" ]; then
    # Ours, from before libvirtd.conf had the sockets: restart it (its domains keep running).
    pid=$(cat "$TB/run/libvirtd.started")
    kill "$pid"
    wait_for 30 "libvirtd (pid $pid) to exit" sh -c "! kill -0 $pid" || die "libvirtd (pid $pid) did not exit"
    libvirtd -d || unavailable "libvirtd -d failed"
    wait_for 30 "libvirtd to answer on $URI" vsh uri ||
        unavailable "libvirtd did not come up again on $URI: $(vsh uri 2>&1 | tr '\n' ' ')"
    cat /run/libvirtd.pid >"$TB/run/libvirtd.started"
    note "restarted libvirtd (pid $(cat /run/libvirtd.pid)) for the sockets of $LIBVIRTD_CONF"
fi
if vsh uri >/dev/null 2>&1; then
    [ "$conf_changed" = 0 ] ||
        note "WARNING: $QEMU_CONF changed, but libvirtd was already running: restart it for the change to apply"
    debian_sockets ||
        note "WARNING: libvirtd, which up.sh did not start, runs without the sockets of $LIBVIRTD_CONF: restart it for unprivileged clients to be tested"
elif daemon_runs libvirtd; then
    # running but not answering (yet): maybe it is just starting
    wait_for 30 "the running libvirtd to answer on $URI" vsh uri ||
        unavailable "libvirtd runs but $URI does not answer: $(vsh uri 2>&1 | tr '\n' ' ')"
else
    rm -f "$TB/run/libvirtd.started"
    libvirtd -d || unavailable "libvirtd -d failed"
    wait_for 30 "libvirtd to answer on $URI" vsh uri ||
        unavailable "libvirtd did not come up on $URI: $(vsh uri 2>&1 | tr '\n' ' ')"
    cat /run/libvirtd.pid >"$TB/run/libvirtd.started"
    note "started libvirtd (pid $(cat /run/libvirtd.pid)); down.sh will stop it"
fi
[[ $(vsh capabilities) == *"<arch name='x86_64'>"* ]] ||
    unavailable "libvirt's qemu driver offers no x86_64 guests (check libvirt-qemu user, $QEMU_CONF)"
VX_VIRT_TYPE=$(virt_type)   # computed once here, used by every domain_xml
[ "$VX_VIRT_TYPE" = kvm ] || note "KVM is not usable here: domains use type='$VX_VIRT_TYPE' (TCG emulation)"

# --- 4. guest kernel (rebuilt when a source is newer) ---
build_guest

# --- 5. domains ---
# vx-off: defined with a disk, kept shut off
define_domain vx-off "$MEM" "$CMDLINE" "" "$TB/images/vx-off.qcow2"
[ "$(dom_state vx-off)" = "shut off" ] || vsh destroy vx-off >/dev/null
for i in $(seq 1 "$N"); do
    tap=vxtap$i
    # An unmanaged tap with no address, not bridged: only the guest uses it. IPv6 off, so the
    # host sends nothing into it and the guest's rx counters stay at 0.
    ip link show "$tap" >/dev/null 2>&1 || ip tuntap add dev "$tap" mode tap
    sysctl -q -w "net.ipv6.conf.$tap.disable_ipv6=1" >/dev/null || true
    ip link set "$tap" up
    define_domain "vx-$i" "$MEM" "$CMDLINE" "$tap" "$TB/images/vx-$i.qcow2"
done
# start them all first, then wait for each one's READY mark
for i in $(seq 1 "$N"); do
    case $(dom_state "vx-$i") in
        running) ;;
        paused) vsh resume "vx-$i" >/dev/null ;;
        *)
            rm -f "$TB/logs/vx-$i.serial"
            err=$(vsh start "vx-$i" 2>&1) || unavailable "cannot start QEMU domain vx-$i: $err"
            ;;
    esac
done
for i in $(seq 1 "$N"); do
    wait_for "${READY_TIMEOUT:-60}" "vx-$i to print $READY_MARK in $TB/logs/vx-$i.serial" guest_ready "vx-$i" ||
        die "vx-$i did not boot; serial log: $(cat "$TB/logs/vx-$i.serial" 2>/dev/null)"
done
extra=$(vx_domains | grep -vxE "vx-off|vx-job|$(seq -s '|' -f 'vx-%g' 1 "$N")" || true)
[ -z "$extra" ] || note "other testbed domains exist too (down.sh removes them): ${extra//$'\n'/ }"

echo "testbed up in $((SECONDS - started_at)) s: $N running vxguest domains (type $VX_VIRT_TYPE), vx-off shut off, state in $TB"
virsh -c "$URI" list --all
