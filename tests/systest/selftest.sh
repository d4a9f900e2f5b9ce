#!/usr/bin/env bash
# Self-test of the system-test bench (container.sh): boot a container, check that it runs a
# real systemd, that device policies are enforced in it (the recipe's EPERM/ENXIO
# difference: a misconfigured container silently drops DevicePolicy=), then tear it down
# and check that nothing is left behind.
#
# Usage: selftest.sh        (as root; the last line is "N passed, N failed")
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
container=$here/container.sh
name=selftest-$$
rundir=${VMUNIT_SYSTEST_RUNDIR:-/run/vmunit-systest}
passed=0
failed=0
started=0

pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
check() {               # DESCRIPTION COMMAND... : pass if COMMAND succeeds
        local what=$1; shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}
expect_eq() {           # DESCRIPTION EXPECTED ACTUAL
        if [[ $3 == "$2" ]]; then
                pass "$1"
        else
                fail "$1: expected '$2', got '$3'"
        fi
}
now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

finish() {
        local rc=$?
        trap - EXIT
        if [[ $started == 1 ]]; then
                "$container" stop "$name" >/dev/null 2>&1 || true
        fi
        [[ $rc -eq 0 ]] || fail "$prog aborted (exit status $rc)"
        printf '%d passed, %d failed\n' "$passed" "$failed"
        [[ $failed -eq 0 ]]
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

[[ $EUID -eq 0 ]] || { echo "$prog: must run as root" >&2; exit 1; }

in_container() { "$container" exec "$name" "$@"; }

# Opens each path O_RDWR and prints "PATH OK" or "PATH ERRNO-NAME".
probe='import errno, os, sys
for p in sys.argv[1:]:
    try:
        os.close(os.open(p, os.O_RDWR | os.O_CLOEXEC))
        print(p, "OK")
    except OSError as e:
        print(p, errno.errorcode.get(e.errno, str(e.errno)))'
python=/usr/bin/python3
# Not /dev/vdX (EPERM even on the host) and not a loop device (opening b 7:N creates it on
# the host): 240 is a "local/experimental" block major with no driver, hence ENXIO.
probe_node=/dev/vmunit-probe

# --- start ---------------------------------------------------------------------------------
t0=$(now)
started=1
if "$container" start "$name"; then
        pass "container '$name' started in $(elapsed "$t0" "$(now)") s"
else
        fail "container start"
        exit 1
fi

state=$(cat "$rundir/$name/state")
pid1=$(sed -n 's/^pid1=//p' <<<"$state")
nspawn_pid=$(sed -n 's/^nspawn_pid=//p' <<<"$state")

expect_eq "PID 1 inside is systemd" systemd "$(in_container cat /proc/1/comm)"
expect_eq "PID 1 inside is host pid $pid1 (recorded)" 1 \
        "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid1/status")"
expect_eq "system state is running" running "$(in_container systemctl is-system-running)"
expect_eq "no failed units" "" "$(in_container systemctl --failed --no-legend --plain)"
expect_eq "cgroup2 only inside (needed for DevicePolicy=)" cgroup2fs \
        "$(in_container stat -fc %T /sys/fs/cgroup)"
expect_eq "/dev/kvm is root:kvm 0660 inside" "crw-rw---- root kvm" \
        "$(in_container stat -c '%A %U %G' /dev/kvm)"
rc=0
in_container sh -c 'exit 3' || rc=$?
expect_eq "exec passes the exit status through" 3 "$rc"

# --- device policy -------------------------------------------------------------------------
if in_container mknod -m 0600 "$probe_node" b 240 0; then
        pass "mknod $probe_node b 240:0"
else
        fail "mknod $probe_node b 240:0"
fi

out=$(in_container "$python" -c "$probe" /dev/kvm "$probe_node") || true
expect_eq "outside any scope (nsenter): /dev/kvm opens, b 240:0 gives ENXIO" \
        "/dev/kvm OK|$probe_node ENXIO" "$(paste -sd'|' <<<"$out")"

out=$(in_container systemd-run --quiet --wait --pipe --collect -- "$python" -c "$probe" /dev/kvm "$probe_node") || true
expect_eq "service without a device policy: b 240:0 gives ENXIO" \
        "/dev/kvm OK|$probe_node ENXIO" "$(paste -sd'|' <<<"$out")"

# The supervisor's pattern: a process (here nsenter'd, then from a service) creates a
# transient scope with DevicePolicy=closed + DeviceAllow=/dev/kvm rw. EPERM (not ENXIO)
# proves the BPF device program is attached and enforced.
out=$(in_container systemd-run --quiet --scope -p DevicePolicy=closed -p "DeviceAllow=/dev/kvm rw" \
        -- "$python" -c "$probe" /dev/kvm "$probe_node" /dev/null) || true
expect_eq "scope with DevicePolicy=closed: /dev/kvm opens, b 240:0 gives EPERM" \
        "/dev/kvm OK|$probe_node EPERM|/dev/null OK" "$(paste -sd'|' <<<"$out")"

out=$(in_container systemd-run --quiet --wait --pipe --collect -- \
        systemd-run --quiet --scope -p DevicePolicy=closed -p "DeviceAllow=/dev/kvm rw" \
        -- "$python" -c "$probe" /dev/kvm "$probe_node") || true
expect_eq "scope created by a service: /dev/kvm opens, b 240:0 gives EPERM" \
        "/dev/kvm OK|$probe_node EPERM" "$(paste -sd'|' <<<"$out")"

out=$(in_container systemd-run --quiet --wait --pipe --collect --uid=nobody -p SupplementaryGroups=kvm \
        -- "$python" -c "$probe" /dev/kvm) || true
expect_eq "a non-root member of group kvm opens /dev/kvm" "/dev/kvm OK" "$out"
out=$(in_container systemd-run --quiet --wait --pipe --collect --uid=nobody \
        -- "$python" -c "$probe" /dev/kvm) || true
expect_eq "a non-root non-member gets EACCES on /dev/kvm" "/dev/kvm EACCES" "$out"

# --- stop ----------------------------------------------------------------------------------
t0=$(now)
if "$container" stop "$name"; then
        pass "container stopped in $(elapsed "$t0" "$(now)") s"
        started=0
else
        fail "container stop"
fi
check "a second stop is harmless" "$container" stop "$name"

gone() {                # PID -> no such live process
        [[ ! -d /proc/$1 ]] || [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == Z ]]
}
no_nspawn_for() {       # NAME -> no process runs with --machine=NAME
        ! pgrep -f -- "--machine=$1( |\$)" >/dev/null
}
nothing_mounted_below() {       # DIR
        ! findmnt -rn -o TARGET | grep -q -e "^$1\(/\|\$\)"
}
no_mount_from() {       # SOURCE
        ! findmnt -rn -o SOURCE | grep -qxF -e "$1"
}
no_cgroup() {           # NAME -> in no hierarchy, whether cgroup2-only or hybrid
        ! compgen -G "/sys/fs/cgroup/$1" >/dev/null && ! compgen -G "/sys/fs/cgroup/*/$1" >/dev/null
}
check "nspawn (pid $nspawn_pid) is gone" gone "$nspawn_pid"
check "the container's PID 1 (pid $pid1) is gone" gone "$pid1"
check "no process runs with --machine=$name" no_nspawn_for "$name"
check "nothing mounted below $rundir/$name" nothing_mounted_below "$rundir/$name"
check "no overlay or tmpfs named vmunit-systest-$name" no_mount_from "vmunit-systest-$name"
check "no cgroup vmunit-systest-$name left" no_cgroup "vmunit-systest-$name"
check "no state directory left" test ! -e "$rundir/$name"
check "no /run/systemd/nspawn/propagate/$name left" test ! -e "/run/systemd/nspawn/propagate/$name"
