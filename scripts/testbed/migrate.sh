#!/usr/bin/env bash
# migrate.sh [--bandwidth MiB/s] [--mem MiB] [--fill MiB] [--dirty PAGES] [--undefinesource]
#            [--postcopy] [--postcopy-after SECONDS] [--postcopy-bandwidth MiB/s]
#            [--keep] [--domain NAME] [-- VIRSH_MIGRATE_OPTIONS...]
#   A live migration between two namespaced libvirtd hosts (hosts.sh): brings vxm-1 and vxm-2 up,
#   starts the guest DOMAIN (default vxm-guest; MEM MiB, default 128, with FILL MiB of non-zero
#   pages, default 24, of which DIRTY pages are rewritten every 10 ms, default 0) on vxm-1 and runs
#   `virsh migrate --live --persistent --bandwidth MiB/s` (default 1) to vxm-2, in the foreground,
#   printing domjobinfo on the source every second while it runs and both sides' completed job
#   after it. A migration that cannot converge (e.g. --dirty 200 at --bandwidth 1) runs until
#   `virsh -c $(hosts.sh uri vxm-1) domjobabort vxm-guest`, or Ctrl-C, which aborts it.
#   --postcopy allows post-copy (virsh migrate --postcopy); --postcopy-after SECONDS (implies it)
#   switches to it that many seconds after the start (virsh migrate-postcopy on the source), as an
#   operator would once a migration does not converge; --postcopy-bandwidth caps post-copy's
#   transfer (QEMU's default is no cap). While it runs, each host's domain state and reason are
#   printed every second too (source paused/post-copy, destination running/post-copy).
#   Exits with virsh migrate's status. Unless --keep, the hosts are taken down on exit, also on
#   failure or interruption (hosts.sh down); with --keep they stay for another run or for tests.
# Environment: as lib.sh and hosts.sh.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

BW=1 MEM=128 FILL=24 DIRTY=0 KEEP=0 DOMAIN=vxm-guest POSTCOPY= POSTCOPY_AFTER=
EXTRA=(--persistent)
while [ $# -gt 0 ]; do
    case $1 in
    --bandwidth) BW=$2 && shift ;;
    --mem) MEM=$2 && shift ;;
    --fill) FILL=$2 && shift ;;
    --dirty) DIRTY=$2 && shift ;;
    --domain) DOMAIN=$2 && shift ;;
    --undefinesource) EXTRA+=(--undefinesource) ;;
    --postcopy) POSTCOPY=1 ;;
    --postcopy-after) POSTCOPY_AFTER=$2 && POSTCOPY=1 && shift ;;
    --postcopy-bandwidth) EXTRA+=(--postcopy-bandwidth "$2") && shift ;;
    --keep) KEEP=1 ;;
    --) shift && EXTRA+=("$@") && break ;;
    *) die "unknown option '$1' (see the comment at the top of $0)" ;;
    esac
    shift
done
# once, whether asked for directly, by --postcopy-after or both: virsh refuses an option seen twice
[ -n "$POSTCOPY" ] && EXTRA+=(--postcopy)
for n in "$BW" "$MEM" "$FILL" "$DIRTY" ${POSTCOPY_AFTER:+"$POSTCOPY_AFTER"}; do
    case $n in '' | *[!0-9]*) die "--bandwidth, --mem, --fill, --dirty and --postcopy-after take whole numbers" ;; esac
done

SRC=vxm-1 DST=vxm-2
cleanup() {
    [ -n "${POLL:-}" ] && kill "$POLL" 2>/dev/null
    [ -n "${SWITCH:-}" ] && kill "$SWITCH" 2>/dev/null
    if [ "$KEEP" = 0 ]; then "$HERE/hosts.sh" down; fi
}
abort() {
    note "interrupted: aborting the migration"
    virsh -c "$("$HERE/hosts.sh" uri $SRC)" domjobabort "$DOMAIN" >/dev/null 2>&1
    exit 130
}
trap cleanup EXIT
trap abort INT TERM

"$HERE/hosts.sh" up 2 || exit 1
US=$("$HERE/hosts.sh" uri $SRC)
UD=$("$HERE/hosts.sh" uri $DST)
"$HERE/hosts.sh" guest $SRC "$DOMAIN" "$MEM" "fill=$FILL dirty=$DIRTY" || exit 1

(
    while sleep 1; do
        info=$(virsh -c "$US" domjobinfo "$DOMAIN" 2>/dev/null | grep -E \
            'Job type|Time elapsed:|Memory remaining|Memory bandwidth|Dirty rate|Iteration|Expected downtime') || continue
        echo "$info" | tr -s ' ' | paste -sd ';' -
        echo "state: $SRC $(virsh -c "$US" domstate --reason "$DOMAIN" 2>/dev/null | head -1)," \
            "$DST $(virsh -c "$UD" domstate --reason "$DOMAIN" 2>/dev/null | head -1)"
    done
) &
POLL=$!
if [ -n "$POSTCOPY_AFTER" ]; then
    (
        sleep "$POSTCOPY_AFTER"
        note "switching to post-copy after $POSTCOPY_AFTER s (virsh migrate-postcopy)"
        virsh -c "$US" migrate-postcopy "$DOMAIN"
    ) &
    SWITCH=$!
fi
started=$(date +%s.%N)
virsh -c "$US" migrate --live --bandwidth "$BW" "${EXTRA[@]}" "$DOMAIN" "$UD" &
wait $!
rc=$?
echo "virsh migrate exit status $rc after $(echo "$(date +%s.%N) - $started" | bc) s" \
    "(bandwidth $BW MiB/s, $MEM MiB guest, fill $FILL MiB, dirty $DIRTY pages per 10 ms)"
kill "$POLL" 2>/dev/null
POLL=
[ -n "${SWITCH:-}" ] && kill "$SWITCH" 2>/dev/null
SWITCH=
echo "== source ($SRC) completed job"
virsh -c "$US" domjobinfo "$DOMAIN" --completed --keep-completed 2>&1
echo "== destination ($DST) completed job"
virsh -c "$UD" domjobinfo "$DOMAIN" --completed --keep-completed 2>&1
exit $rc
