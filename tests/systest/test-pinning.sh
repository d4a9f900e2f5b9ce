#!/usr/bin/env bash
# System test of host CPU pinning under a real systemd: the tiny test guest with 2 vCPUs and an
# iothread runs as vm@pin with <vcpupin vcpu='0' cpuset='1'/>, <vcpupin vcpu='1' cpuset='0'/>,
# <emulatorpin cpuset='0'/> and <iothreadpin iothread='1' cpuset='1'/>; every thread of its QEMU
# (/proc/PID/task/TID/status Cpus_allowed_list) must have the set its role says, the roles taken
# from QMP's query-cpus-fast and query-iothreads, all other threads the emulator's. Then vm@pin99,
# whose <vcpupin> names host CPU 99, must be refused at start with its file:line and the host's
# CPUs, leaving no QEMU, no scope and no runtime dir behind. Needs a host with CPUs 0 and 1.
#
# Usage: test-pinning.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. Environment as test-supervisor.sh (VMUNIT_TEST_BOOT_TIMEOUT, VMUNIT_TEST_KEEP=1).
# Prints one line per check and last "N passed, N failed"; exit 0 only if all passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"
checks_init pin "${1:-}"


qmp() { cx vmctl qemu-monitor-command pin "{\"execute\":\"$1\"}" 2>&1 || true; }
# "TID ID" lines from a QMP reply: ID is the member @2 (cpu-index, id) of each object with a thread-id
thread_ids() {
        python3 -c 'import json, sys
r = json.loads(sys.stdin.read())
for o in r.get("return", r) if isinstance(r, dict) else r:
    print(o["thread-id"], o[sys.argv[1]])' "$1"
}
allowed() { cx sed -n 's/^Cpus_allowed_list:\t*//p' "/proc/$1/task/$2/status"; }

online=$(cat /sys/devices/system/cpu/online)
[[ $online == 0-* ]] || { info "needs host CPUs 0 and 1, the host has $online"; exit 1; }
checks_boot_container

mkdir -p "$root/etc/vmunit/domains"
# $1 NAME, $2 the <cputune> content
domain() {
        "$top/tests/guest/guest-domain.sh" "$1" "$img" |
                sed "s|^  <vcpu>1</vcpu>|  <vcpu placement='static'>2</vcpu>\n  <iothreads>1</iothreads>\n  <cputune>\n$2  </cputune>|"
}
domain pin "    <vcpupin vcpu='0' cpuset='1'/>\n    <vcpupin vcpu='1' cpuset='0'/>\n    <emulatorpin cpuset='0'/>\n    <iothreadpin iothread='1' cpuset='1'/>\n" \
        >"$root/etc/vmunit/domains/pin.xml"
domain pin99 "    <vcpupin vcpu='0' cpuset='1'/>\n    <vcpupin vcpu='1' cpuset='0,99'/>\n" \
        >"$root/etc/vmunit/domains/pin99.xml"
line99=$(grep -n "cpuset='0,99'" "$root/etc/vmunit/domains/pin99.xml" | cut -d: -f1)
cx systemctl daemon-reload

# --- a pinned VM ---------------------------------------------------------------------------
if ! cx systemctl start vm@pin || ! wait_for "$boot_timeout" console_has pin VMUNIT-GUEST-READY; then
        fail "vm@pin started and the guest booted"
        cx journalctl --no-pager -q -o cat -u vm@pin -n 20 || true
        exit 1
fi
pass "vm@pin started and the guest booted"

pid=$(cx vmctl dumpxml pin | sed -n "s/^<domain type='[a-z]*' id='\([0-9]*\)'.*/\1/p")
check "QEMU's pid from the live XML ($pid)" test -n "$pid"
vcpus=$(qmp query-cpus-fast | thread_ids cpu-index)
iothreads=$(qmp query-iothreads | thread_ids id)
check "query-cpus-fast: two vCPU threads ($(tr '\n' ' ' <<<"$vcpus"))" test "$(sort -u -k1,1 <<<"$vcpus" | wc -l)" -eq 2
check "query-iothreads: iothread1 ($iothreads)" has "^[0-9]* iothread1$" "$iothreads"

declare -A want=()
while read -r tid idx; do
        case $idx in 0) want[$tid]=1 ;; 1) want[$tid]=0 ;; esac
done <<<"$vcpus"
while read -r tid id; do
        [[ $id == iothread1 ]] && want[$tid]=1
done <<<"$iothreads"
tids=$(cx ls "/proc/$pid/task")
n=0 bad=''
for tid in $tids; do
        expected=${want[$tid]:-0}      # the emulator's: <emulatorpin cpuset='0'/>
        got=$(allowed "$pid" "$tid" 2>/dev/null || echo gone)
        [[ $got == gone ]] && continue
        n=$((n + 1))
        [[ $got == "$expected" ]] || bad+=" $tid:$got(want $expected)"
done
check "all $n threads of QEMU have their set (vCPU 0 on 1, vCPU 1 on 0, iothread on 1, the rest on 0)${bad:+:$bad}" \
        test -z "$bad"
check "the main thread is the emulator's ($(allowed "$pid" "$pid"))" test "$(allowed "$pid" "$pid")" == 0
check "the guest runs" has '"status":"running"' "$(qmp query-status)"
check "the live XML keeps the pins" has "<vcpupin vcpu='1' cpuset='0'/>" "$(cx vmctl dumpxml pin)"
cx systemctl stop vm@pin
check "vm@pin stopped" bash -c "! '$here/container.sh' exec '$container' systemctl -q is-active vm@pin"

# --- a CPU the host does not have ----------------------------------------------------------
check "vm@pin99 is refused at start" bash -c "! '$here/container.sh' exec '$container' systemctl start vm@pin99 2>/dev/null"
log=$(cx journalctl --no-pager -q -o cat -u vm@pin99 2>&1 || true)
msg="/etc/vmunit/domains/pin99.xml:$line99: <cputune><vcpupin vcpu='1'>: host CPU 99 is not online or not available to VMs; this host has CPUs $online."
check "... with file:line, the CPU and the host's CPUs ($(grep -m1 'CPU 99' <<<"$log" || echo "no message"))" has "$msg" "$log"
check "... before any QEMU or scope was started (its journal is empty)" \
        test -z "$(cx journalctl --no-pager -q -o cat -u machine-pin99.scope 2>&1 || true)"
check "... no scope is left" bash -c "! '$here/container.sh' exec '$container' systemctl list-units --all --no-legend | grep -q machine-pin99"
check "... no QEMU process is left" bash -c "! '$here/container.sh' exec '$container' pgrep -f 'guest=pin99'"
check "... no runtime dir is left" bash -c "! '$here/container.sh' exec '$container' test -e /run/vmunit/pin99"
