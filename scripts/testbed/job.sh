#!/usr/bin/env bash
# job.sh [DOMAIN=vx-job] [SECONDS=20]: starts a domain job that runs for about SECONDS (type
#     Unbounded, operation Dump) in the background and returns as soon as `virsh domjobinfo DOMAIN`
#     shows it. Prints the job's pid and log. DOMAIN vx-job is created and started when needed
#     (128 MiB, 96 MiB of it filled by the guest); other vx-* domains must be running already.
# job.sh --wait [DOMAIN=vx-job] [TIMEOUT=120]: waits until that job ended, prints its log and
#     `virsh domjobinfo --completed --keep-completed`; exits with the dump's exit status.
# job.sh --prepare [DOMAIN=vx-job]: only makes sure DOMAIN runs (creating vx-job), starts no job.
#
# How the duration is controlled: `virsh dump` (a full, non-memory-only dump: libvirt pauses the
# domain and streams QEMU's migration data into the target file) writes into a FIFO, and this
# script reads that FIFO at a fixed pace, so the job takes (non-zero guest RAM) / pace. The guest's
# fill=<MiB> says how much RAM is non-zero, which makes the stream size known in advance. Unlike a
# --memory-only dump, this kind of job leaves completed-job statistics behind in libvirt 9.0.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

JOB_DOMAIN=vx-job
JOB_MEM_MIB=128
JOB_FILL_MIB=96

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
check_domain_name() { case $1 in vx-*) ;; *) die "refusing to run a job on '$1': the testbed only touches vx-* domains" ;; esac; }
job_type() { vsh domjobinfo "$1" 2>/dev/null | awk -F': *' '/^Job type/{print $2}' | tr -d ' '; }
job_active() { [ "$(job_type "$1")" = Unbounded ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
files() { fifo=$TB/run/$1.job.fifo pidf=$TB/run/$1.job.pid rcf=$TB/run/$1.job.rc log=$TB/logs/$1.job.log; }

# --- internal: the background part (started by `job.sh DOMAIN SECONDS` through setsid) ---

# pace_reader FIFO BYTES SECONDS: reads BYTES from FIFO evenly over SECONDS (10 reads a second),
# then whatever is left at full speed, until end of file.
pace_reader() {
    local fifo=$1 bytes=$2 secs=$3 ticks chunk n=1 total=0 i=0 start now late
    ticks=$((secs * 10))
    chunk=$(((bytes + ticks - 1) / ticks))
    exec 3<"$fifo"                      # blocks until libvirt opened the FIFO for writing
    start=${EPOCHREALTIME/./}
    while [ "$i" -lt "$ticks" ] && [ "$n" -gt 0 ]; do
        n=$(head -c "$chunk" <&3 | wc -c)
        total=$((total + n))
        i=$((i + 1))
        now=${EPOCHREALTIME/./}
        late=$((start + i * 100000 - now))
        [ "$late" -le 0 ] || sleep "$(printf '%d.%06d' $((late / 1000000)) $((late % 1000000)))"
    done
    [ "$n" -eq 0 ] || total=$((total + $(wc -c <&3)))
    echo "$(date +%T) reader: $total bytes in $(((${EPOCHREALTIME/./} - start) / 1000)) ms"
}

run_job() {
    local dom=$1 bytes=$2 secs=$3 reader rc=0
    files "$dom"
    pace_reader "$fifo" "$bytes" "$secs" &
    reader=$!
    echo "$(date +%T) virsh dump $dom $fifo (~$((bytes >> 20)) MiB at ~$((bytes / secs >> 10)) KiB/s)"
    timeout $((secs * 4 + 60)) virsh -c "$URI" dump "$dom" "$fifo" || rc=$?
    echo "$(date +%T) virsh dump exited with status $rc"
    # after a failure libvirt may never have opened the FIFO: give the reader 5 s, then stop it
    for _ in $(seq 50); do kill -0 "$reader" 2>/dev/null || break; sleep 0.1; done
    kill "$reader" 2>/dev/null || true
    wait "$reader" 2>/dev/null || true
    rm -f "$fifo"
    echo "$rc" >"$rcf"
}

# --- job.sh --wait ---

wait_job() {
    local dom=${1:-$JOB_DOMAIN} limit=${2:-120} pid rc
    check_domain_name "$dom"
    files "$dom"
    [ -f "$pidf" ] || die "no job was started on $dom ($pidf missing)"
    pid=$(cat "$pidf")
    wait_for "$limit" "the job on $dom (pid $pid) to end" gone "$pid" ||
        die "the job on $dom is still running after ${limit}s; log: $log"
    rc=$(cat "$rcf" 2>/dev/null || echo 255)
    cat "$log"
    echo "== virsh domjobinfo --completed --keep-completed $dom"
    vsh domjobinfo --completed --keep-completed "$dom" || true
    rm -f "$pidf"
    return "$rc"
}

# --- job.sh --prepare [DOMAIN] ---

prepare_domain() {
    local dom=${1:-$JOB_DOMAIN}
    check_domain_name "$dom"
    vsh uri >/dev/null 2>&1 || die "cannot connect to $URI; run scripts/testbed/up.sh first"
    if [ "$dom" = "$JOB_DOMAIN" ] && [ "$(dom_state "$dom")" != running ]; then
        [ -s "$GUEST_ELF" ] || die "$GUEST_ELF missing; run scripts/testbed/up.sh first"
        define_domain "$dom" "$JOB_MEM_MIB" "fill=$JOB_FILL_MIB"
        start_domain "$dom" || die "could not start $dom"
    fi
    [ "$(dom_state "$dom")" = running ] || die "$dom is not running (state: $(dom_state "$dom"))"
}

# --- job.sh [DOMAIN] [SECONDS] ---

start_job() {
    local dom=${1:-$JOB_DOMAIN} secs=${2:-20} fill bytes pid
    check_domain_name "$dom"
    case $secs in '' | *[!0-9]*) die "SECONDS must be a whole number, got '$secs'" ;; esac
    if [ "$secs" -lt 1 ] || [ "$secs" -gt 600 ]; then die "SECONDS must be 1..600, got $secs"; fi
    vsh uri >/dev/null 2>&1 || die "cannot connect to $URI; run scripts/testbed/up.sh first"
    files "$dom"
    mkdir -p "$TB/run" "$TB/logs"

    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
        die "a job.sh job on $dom is still running (pid $(cat "$pidf"))"
    fi
    if dom_exists "$dom" && [ "$(job_type "$dom")" != None ]; then
        die "$dom already has a job ($(job_type "$dom")); see virsh domjobinfo $dom"
    fi
    prepare_domain "$dom"

    # The dump stream holds the guest's non-zero pages: its fill plus about 0.5 MiB (kernel,
    # firmware, device state). The job completes while about 1.6 MiB of it still sit in buffers
    # (pipe, QEMU), so pace fill - 1 MiB over SECONDS (measured: 9.9 s for 10 s with fill=8 and
    # fill=96; 19.9 s for 20 s and 29.9 s for 30 s with fill=96).
    fill=$(vsh dumpxml "$dom" | sed -n 's/.*<cmdline>.*\bfill=\([0-9]*\).*/\1/p')
    bytes=$(((${fill:-0} - 1) << 20))
    [ "$bytes" -ge $((1 << 20)) ] || bytes=$((1 << 20))

    rm -f "$fifo" "$rcf"
    mkfifo "$fifo"
    setsid "$0" __run "$dom" "$bytes" "$secs" >"$log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$pidf"
    if ! wait_for 30 "the dump job on $dom to show in virsh domjobinfo" job_active "$dom"; then
        cat "$log" >&2
        die "the job did not start"
    fi
    echo "job started: domain=$dom pid=$pid log=$log expected=~${secs}s"
    echo "watch it:    virsh -c $URI domjobinfo $dom"
    echo "wait for it: $0 --wait $dom"
}

case ${1:-} in
    -h | --help) usage ;;
    --wait) shift; wait_job "$@" ;;
    --prepare) shift; prepare_domain "$@" ;;
    __run)
        shift
        # Close every descriptor the caller passed down beyond 0-2: a caller that waits for one of
        # them to close (Foundation's Process does) would otherwise wait for the whole job.
        for fd in /proc/$$/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
        done
        run_job "$@" ;;
    *) start_job "$@" ;;
esac
