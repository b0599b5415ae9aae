#!/usr/bin/env bash
# down.sh [--purge]: takes the testbed down: stops job.sh jobs, destroys and undefines every vx-*
# domain (never any other), deletes the vxtap* devices. Stops libvirtd and virtlogd only when
# up.sh started them (recorded in $TB/run) and no other domain runs on that libvirtd.
# --purge also deletes the state dir $TB (guest kernel, disks, logs). Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PURGE=0
case ${1:-} in
    '') ;;
    --purge) PURGE=1 ;;
    *) die "usage: down.sh [--purge]" ;;
esac

process_gone() { ! kill -0 "$1" 2>/dev/null; }
# stop_daemon NAME RECORD: stops the daemon whose pid up.sh recorded in RECORD, if that still is NAME.
stop_daemon() {
    local name=$1 record=$2 pid
    [ -f "$record" ] || return 0
    pid=$(cat "$record")
    rm -f "$record"
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 0
    kill "$pid"
    wait_for 15 "$name (pid $pid) to exit" process_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
    note "stopped $name (pid $pid), which up.sh had started"
}

# job.sh jobs run in their own session (setsid), so their pid is also their process group
for pidf in "$TB"/run/*.job.pid; do
    [ -f "$pidf" ] || continue
    kill -- "-$(cat "$pidf")" 2>/dev/null || true
    rm -f "$pidf" "${pidf%.pid}.fifo"
done

if vsh uri >/dev/null 2>&1; then
    doms=$(vx_domains)
    for d in $doms; do   # in parallel: destroying a domain takes a few seconds
        (
            [ "$(dom_state "$d")" = "shut off" ] || vsh destroy "$d" >/dev/null || note "destroy $d failed"
            vsh undefine "$d" >/dev/null || note "undefine $d failed"
        ) &
    done
    wait
    [ -z "$doms" ] || note "removed domains: ${doms//$'\n'/ }"
    left=$(vx_domains)
    [ -z "$left" ] || die "some vx-* domains are still defined: ${left//$'\n'/ }"
else
    note "libvirtd does not answer on $URI: no domains to remove"
fi

for tap in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^vxtap' || true); do
    ip link del "$tap"
done

if [ -f "$TB/run/libvirtd.started" ]; then
    others=$(vsh list --name 2>/dev/null | grep -v '^vx-' | grep . || true)
    if [ -n "$others" ]; then
        note "leaving libvirtd running (up.sh started it, but these domains use it): ${others//$'\n'/ }"
    else
        stop_daemon libvirtd "$TB/run/libvirtd.started"
        stop_daemon virtlogd "$TB/run/virtlogd.started"
    fi
fi

if [ "$PURGE" = 1 ] && [ -d "$TB" ]; then
    [ -f "$TB/.virt-exporter-testbed" ] || die "not purging $TB: it lacks the testbed's marker file"
    rm -rf "$TB"
    note "removed $TB"
fi
echo "testbed down"
