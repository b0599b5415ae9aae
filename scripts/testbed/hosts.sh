#!/usr/bin/env bash
# hosts.sh up [N=2] | down | uri HOST | guest HOST DOMAIN MEM_MIB CMDLINE | status
#   Namespaced libvirtd "hosts" on this machine, for live migrations between them: vxm-1..vxm-N,
#   each in its own network, mount and UTS namespaces (hostname vxm-I), with its own /etc/libvirt,
#   /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt bind-mounted from
#   $TB/hosts/vxm-I, its own host_uuid, and QEMU's migration address 10.221.21.I on a veth link
#   into the link namespace vxm-link, whose bridge joins the hosts. Nothing is added to the root
#   namespace's network, and the root testbed (qemu:///system, up.sh) is neither used nor touched:
#   no lock is needed.
#   up     brings the hosts up (idempotent; a running host is reused)
#   down   destroys and undefines every domain of every vxm- host, stops their libvirtd (by the
#          pid each wrote), deletes the namespaces and $TB/hosts (idempotent, never fails halfway:
#          it goes on past errors and says which)
#   uri    prints the host's client URI (clients stay in the root namespace and use its socket)
#   guest  defines and starts DOMAIN (a vxguest, as lib.sh's domain_xml, with CMDLINE such as
#          "fill=24 dirty=200") on HOST, replacing a domain of that name on any vxm- host; returns
#          once it printed VX-READY
#   status lists the hosts, their libvirtd pids and domains
# Environment: as lib.sh (TB, VX_VIRT_TYPE, ...); VXM_NET (first three octets, default 10.221.21).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PREFIX=vxm
LINK_NS=$PREFIX-link
NET=${VXM_NET:-10.221.21}
HOSTS_DIR=$TB/hosts

usage() { die "usage: hosts.sh up [N=2] | down | uri HOST | guest HOST DOMAIN MEM_MIB CMDLINE | status"; }
host_dir() { echo "$HOSTS_DIR/$1"; }
host_uri() { echo "qemu+unix:///system?socket=$(host_dir "$1")/run/libvirt-sock"; }
# hvsh HOST ARGS...: virsh on HOST, bounded like vsh
hvsh() {
    local host=$1
    shift
    timeout "${VSH_TIMEOUT:-60}" virsh -q -c "$(host_uri "$host")" "$@"
}
known_hosts() {
    local d
    for d in "$HOSTS_DIR"/$PREFIX-*; do [ -d "$d" ] && basename "$d"; done
    return 0
}
netns_exists() { ip netns list 2>/dev/null | grep -qE "^$1( |$)"; }
daemon_pid() {
    local pid
    pid=$(cat "$(host_dir "$1")/libvirtd.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ] && ! process_gone "$pid" && echo "$pid"
}
answers() { hvsh "$1" uri >/dev/null 2>&1; }
# process_gone PID: it exited (a zombie counts: this machine's init may never reap it)
process_gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

host_up() {
    local host=$1 index=$2 dir
    dir=$(host_dir "$host")
    mkdir -p "$dir"/{etc,run,lib,cache,log}
    uuid=$(printf 'virt-exporter-testbed-host/%s' "$host" | md5sum |
        sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
    cat >"$dir/etc/libvirtd.conf" <<EOF
host_uuid = "$uuid"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
    # stdio_handler "file": QEMU's logs go to files, so no virtlogd is needed in the namespace
    cat >"$dir/etc/qemu.conf" <<EOF
user = "root"
group = "root"
security_driver = "none"
stdio_handler = "file"
migration_host = "$NET.$index"
migration_address = "$NET.$index"
EOF
    if ! netns_exists "$host"; then
        ip netns add "$host"
        ip -n "$host" link set lo up
    fi
    # the veth link: "eth0" in the host, "$host" (its peer) on the link namespace's bridge
    if ! ip -n "$host" link show eth0 >/dev/null 2>&1; then
        ip link add "$host" netns "$LINK_NS" type veth peer name eth0 netns "$host"
        ip -n "$LINK_NS" link set "$host" master br0 up
    fi
    ip -n "$host" addr replace "$NET.$index/24" dev eth0
    ip -n "$host" link set eth0 up
    daemon_pid "$host" >/dev/null && answers "$host" && return 0
    rm -f "$dir/libvirtd.pid"
    ip netns exec "$host" unshare --mount --uts --propagation private bash -c "
        set -e
        mount --bind '$dir/etc' /etc/libvirt
        mount --bind '$dir/run' /run/libvirt
        mount --bind '$dir/lib' /var/lib/libvirt
        mount --bind '$dir/cache' /var/cache/libvirt
        mount --bind '$dir/log' /var/log/libvirt
        hostname '$host'
        # close inherited descriptors (beyond stdio): a caller that waits for its pipes or
        # sockets to close, as Foundation's Process does, would otherwise wait for libvirtd
        for fd in \$(ls /proc/\$\$/fd); do [ \$fd -gt 2 ] && eval \"exec \$fd>&-\" 2>/dev/null; done
        exec libvirtd -d --pid-file '$dir/libvirtd.pid'" </dev/null >/dev/null 2>&1 ||
        die "libvirtd of $host did not start (log: $dir/log/libvirtd.log)"
    wait_for 30 "libvirtd of $host to answer" answers "$host" ||
        die "libvirtd of $host does not answer on $(host_uri "$host") (log: $dir/log/libvirtd.log)"
    note "$host: libvirtd pid $(daemon_pid "$host"), migration address $NET.$index, $(host_uri "$host")"
}

hosts_up() {
    local n=$1 i
    [ "$(id -u)" = 0 ] || unavailable "hosts.sh must run as root (namespaces, libvirtd)"
    for tool in libvirtd virsh ip unshare qemu-system-x86_64; do
        command -v "$tool" >/dev/null || unavailable "$tool is missing (scripts/testbed/up.sh installs it)"
    done
    getent passwd libvirt-qemu >/dev/null || unavailable "no libvirt-qemu user: run scripts/testbed/up.sh first"
    mkdir -p "$HOSTS_DIR" "$TB/logs"
    if ! netns_exists "$LINK_NS"; then
        ip netns add "$LINK_NS"
        ip -n "$LINK_NS" link set lo up
        ip -n "$LINK_NS" link add br0 type bridge
        ip -n "$LINK_NS" link set br0 up
    fi
    for i in $(seq 1 "$n"); do host_up "$PREFIX-$i" "$i"; done
    build_guest
}

hosts_down() {
    local host pid failed=0
    for host in $(known_hosts); do
        if daemon_pid "$host" >/dev/null && answers "$host"; then
            for d in $(hvsh "$host" list --all --name 2>/dev/null); do
                hvsh "$host" destroy "$d" >/dev/null 2>&1 || true
                hvsh "$host" undefine "$d" >/dev/null 2>&1 || true
            done
        fi
        if pid=$(daemon_pid "$host"); then
            kill "$pid" 2>/dev/null || true
            wait_for 15 "libvirtd of $host (pid $pid) to exit" process_gone "$pid" ||
                kill -9 "$pid" 2>/dev/null || true
        fi
        # a QEMU that outlived its libvirtd (it was stopped by a signal) still runs in the namespace
        for pid in $(ip netns pids "$host" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        if netns_exists "$host"; then ip netns del "$host" || { note "cannot delete netns $host"; failed=1; }; fi
    done
    for host in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX-" || true); do
        for pid in $(ip netns pids "$host" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$host" || { note "cannot delete netns $host"; failed=1; }
    done
    rm -rf "$HOSTS_DIR"
    rm -f "$TB"/logs/$PREFIX-*.serial "$TB"/logs/$PREFIX-*.xml
    [ "$failed" = 0 ] || exit 1
    note "vxm hosts down"
}

guest() {
    local host=$1 name=$2 mem=$3 cmdline=$4 other
    [[ $name =~ ^$PREFIX-[A-Za-z0-9_.-]+$ ]] || die "a domain of the vxm hosts is named $PREFIX-…, got '$name'"
    answers "$host" || die "$host does not answer: run hosts.sh up first"
    for other in $(known_hosts); do
        answers "$other" || continue
        hvsh "$other" domstate "$name" >/dev/null 2>&1 || continue
        hvsh "$other" destroy "$name" >/dev/null 2>&1 || true
        hvsh "$other" undefine "$name" >/dev/null 2>&1 || true
    done
    URI=$(host_uri "$host")
    rm -f "$TB/logs/$name.serial"
    domain_xml "$name" "$mem" "$cmdline" >"$TB/logs/$name.xml"
    hvsh "$host" define "$TB/logs/$name.xml" >/dev/null || die "virsh define $name on $host failed"
    hvsh "$host" start "$name" >/dev/null || die "virsh start $name on $host failed"
    wait_for "${READY_TIMEOUT:-60}" "$name to print $READY_MARK" guest_ready "$name" ||
        die "$name did not boot: $(cat "$TB/logs/$name.serial" 2>/dev/null)"
}

case ${1:-} in
up)
    N=${2:-2}
    case $N in '' | *[!0-9]* | 0 | 1) die "usage: hosts.sh up [N=2], N at least 2" ;; esac
    hosts_up "$N"
    ;;
down) hosts_down ;;
uri)
    [ -n "${2:-}" ] || usage
    host_uri "$2"
    ;;
guest)
    [ $# -eq 5 ] || usage
    guest "$2" "$3" "$4" "$5"
    ;;
status)
    for host in $(known_hosts); do
        echo "$host: libvirtd $(daemon_pid "$host" || echo 'not running'), $(host_uri "$host")"
        answers "$host" && hvsh "$host" list --all | sed 's/^/  /'
    done
    ;;
*) usage ;;
esac
