#!/usr/bin/env bash
# System test of vmunit-supervisor and vm@.service under a real systemd: boots a throw-away
# container (container.sh) with the project installed, runs the tiny test guest (TCG) as
# vm@demo.service and checks start/READY, the serial marker, QEMU's confinement, the device ACL,
# re-attach after the supervisor's death, stop, QEMU's death, an ACPI-deaf guest and config errors.
#
# Usage: test-supervisor.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. The guest is built with tests/guest/make-guest.sh into BUILD_DIR/guest (cached).
# Environment: VMUNIT_TEST_BOOT_TIMEOUT (seconds to the guest's marker, default 90),
# VMUNIT_TEST_KEEP=1 keeps the container on failure for a look (stop it with container.sh stop).
# Prints one line per check, timings, and last "N passed, N failed"; exit 0 only if all passed.
# Always tears the container down (no QEMU, container or mount is left).
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(readlink -f "${1:-$top/build}")
boot_timeout=${VMUNIT_TEST_BOOT_TIMEOUT:-90}
container=vmunit-sup-$$
started=0
passed=0
failed=0

now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
info() { printf '%s: %s\n' "$prog" "$*" >&2; }

finish() {
        local rc=$?
        trap - EXIT
        if [[ $started == 1 ]]; then
                if [[ ${VMUNIT_TEST_KEEP:-0} == 1 && $failed -gt 0 ]]; then
                        info "keeping container '$container' (VMUNIT_TEST_KEEP=1)"
                else
                        "$here/container.sh" stop "$container" >/dev/null 2>&1 ||
                                info "warning: tear-down of '$container' reported problems"
                fi
        fi
        if [[ $rc -ne 0 && $passed -eq 0 && $failed -eq 0 ]]; then
                failed=1        # set-up failed before any check ran
        fi
        echo "$passed passed, $failed failed"
        [[ $failed -eq 0 && $rc -eq 0 ]] && exit 0
        exit 1
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

pass() { passed=$((passed + 1)); printf 'ok      %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL    %s\n' "$*"; }
# check DESCRIPTION COMMAND...: runs COMMAND, passes if it succeeds.
check() {
        local what=$1; shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

cx() { "$here/container.sh" exec "$container" "$@"; }
prop() { cx systemctl show -P "$2" "$1" 2>/dev/null; }     # UNIT PROPERTY

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds.
wait_for() {
        local deadline
        deadline=$(awk -v n="$(now)" -v t="$1" 'BEGIN { printf "%.1f", n + t }'); shift
        until "$@"; do
                awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n < d) }' || return 1
                sleep 0.1
        done
}

console_has() {          # VM MARKER [MIN_COUNT]
        local n
        n=$(cx journalctl --no-pager -q -o cat -u "machine-$1.scope" -t console 2>/dev/null | grep -c -- "$2") || true
        [[ $n -ge ${3:-1} ]]
}
last_uptime() {         # VM -> the last VMUNIT-GUEST-UPTIME value
        cx journalctl --no-pager -q -o cat -u "machine-$1.scope" -t console 2>/dev/null |
                sed -n 's/.*VMUNIT-GUEST-UPTIME \([0-9]*\).*/\1/p' | tail -n 1
}
qemu_pid() { cx sed -n 's/^PID=//p' "/run/vmunit/$1/vmunit-state" 2>/dev/null; }
unit_gone() { [[ $(prop "$1" LoadState) == not-found ]]; }
no_runtime_dir() { ! cx test -e "/run/vmunit/$1"; }
is_state() { [[ $(prop "$1" ActiveState) == "$2" ]]; }
props_are() {           # UNIT PROP=VALUE...: every property has that value
        local unit=$1 kv; shift
        for kv; do
                [[ $(prop "$unit" "${kv%%=*}") == "${kv#*=}" ]] || return 1
        done
}
journal_has() {         # UNIT REGEX: a supervisor message of UNIT matches
        cx journalctl --no-pager -q -o cat -u "$1" 2>/dev/null | grep -q -- "$2"
}
proc_alive() { cx test -d "/proc/$1"; }

# --- set-up ------------------------------------------------------------------------------
[[ $EUID -eq 0 ]] || { info "must run as root"; exit 1; }
[[ -x $build/supervisor/vmunit-supervisor ]] || { info "no supervisor in '$build' (run ninja first)"; exit 1; }

t0=$(now)
"$top/tests/guest/make-guest.sh" "$build/guest" >/dev/null 2>&1 || { info "building the test guest failed"; exit 1; }
info "guest ready in $(elapsed "$t0" "$(now)") s"

started=1
t0=$(now)
"$here/container.sh" start "$container" --install-from "$build" >/dev/null 2>&1 ||
        { info "container start failed"; exit 1; }
info "container '$container' up in $(elapsed "$t0" "$(now)") s"
root=$("$here/container.sh" root "$container")

# Guest files and the probe under a path the vmunit-qemu user can read, in the container's own
# upper layer (the build tree may not be reachable for that user).
img=/var/lib/vmunit-test
install -d -m 0755 "$root$img"
install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$root$img/"
cat >"$root$img/probe.sh" <<'EOF'
#!/bin/bash
# probe.sh [CGROUP_PROCS]: move into that cgroup if given, then open /dev/kvm and the b 240:0 node.
if [[ -n ${1:-} ]]; then echo $$ >"$1" || { echo "move: failed"; exit 1; }; fi
if (exec 3<>/dev/kvm) 2>/dev/null; then echo "kvm: ok"; else echo "kvm: failed"; fi
err=$( (exec 4</var/lib/vmunit-test/probe-blk) 2>&1 ) && echo "blk: opened" || echo "blk: ${err##*: }"
EOF
chmod 0755 "$root$img/probe.sh"

domain() {              # NAME EXTRA_CMDLINE [EMULATOR]
        cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <memtune><hard_limit unit='MiB'>1024</hard_limit></memtune>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$img/vmlinuz</kernel>
    <initrd>$img/initrd.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 cryptomgr.notests$2</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>${3:-/usr/bin/qemu-system-x86_64}</emulator>
    <serial type='stdio'><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}
domains=$root/etc/vmunit/domains
mkdir -p "$domains"
domain demo "" >"$domains/demo.xml"
domain deaf " vmunit.ignore_acpi=1" >"$domains/deaf.xml"
domain noemu "" /usr/bin/qemu-system-nonexistent >"$domains/noemu.xml"
domain hung "" >"$domains/hung.xml"
domain bad "" | sed 's|<vcpu>1</vcpu>|<vcpu>1</vcpu><bogus/>|' >"$domains/bad.xml"    # line 5
# The ACPI-deaf guest gets a short shutdown timeout through the documented environment knob.
mkdir -p "$root/etc/systemd/system/vm@deaf.service.d"
printf '[Service]\nEnvironment=VMUNIT_SHUTDOWN_TIMEOUT=3\n' >"$root/etc/systemd/system/vm@deaf.service.d/timeout.conf"
# A supervisor that hangs (SIGSTOP) while stopping is killed after this TimeoutStopSec=.
mkdir -p "$root/etc/systemd/system/vm@hung.service.d"
printf '[Service]\nTimeoutStopSec=3\n' >"$root/etc/systemd/system/vm@hung.service.d/timeout.conf"
cx systemctl daemon-reload

# --- the unit file -------------------------------------------------------------------------
check "systemd-analyze verify vm@demo.service is clean" \
        bash -c "[[ -z \$('$here/container.sh' exec '$container' systemd-analyze verify vm@demo.service 2>&1) ]]"
check "sysusers.d created vmunit-qemu in group kvm" \
        bash -c "'$here/container.sh' exec '$container' id -nG vmunit-qemu | grep -qw kvm"

# --- start -----------------------------------------------------------------------------
t0=$(now)
if cx systemctl start vm@demo; then
        t_start=$(elapsed "$t0" "$(now)")
        pass "systemctl start vm@demo returned after READY (${t_start} s)"
else
        fail "systemctl start vm@demo"
        cx journalctl --no-pager -u vm@demo -n 20 || true
        exit 1
fi
check "vm@demo is active with STATUS=Running" props_are vm@demo ActiveState=active StatusText=Running
if wait_for "$boot_timeout" console_has demo VMUNIT-GUEST-READY; then
        pass "guest marker VMUNIT-GUEST-READY in the journal ($(elapsed "$t0" "$(now)") s after start)"
else
        fail "guest marker VMUNIT-GUEST-READY within ${boot_timeout}s"
fi
check "machinectl lists demo" bash -c "'$here/container.sh' exec '$container' machinectl list --no-legend | grep -q '^demo '"

qpid=$(qemu_pid demo)
status=$(cx cat "/proc/$qpid/status" 2>/dev/null || true)
field() { awk -v k="$1:" '$1 == k { print $2 }' <<<"$status"; }
check "QEMU (pid $qpid) runs as vmunit-qemu, not root" \
        bash -c "[[ '$(field Uid)' != 0 && -n '$(field Uid)' && '$(cx id -u vmunit-qemu)' == '$(field Uid)' ]]"
for c in CapEff CapPrm CapInh CapBnd CapAmb; do
        check "QEMU $c is zero" test "$(field "$c")" = 0000000000000000
done
check "QEMU NoNewPrivs is 1" test "$(field NoNewPrivs)" = 1
check "QEMU Seccomp is 2 (filter)" test "$(field Seccomp)" = 2
check "QEMU lives in machine-demo.scope" \
        bash -c "'$here/container.sh' exec '$container' cat /proc/$qpid/cgroup | grep -q '/machine.slice/machine-demo.scope\$'"

# --- device ACL ------------------------------------------------------------------------
acl=$(prop machine-demo.scope DeviceAllow | tr '\n' ' ')
check "scope has DevicePolicy=closed" test "$(prop machine-demo.scope DevicePolicy)" = closed
# shellcheck disable=SC2016 # expanded by the inner shell
check "scope DeviceAllow= is the computed ACL" bash -c '
        for d in /dev/null /dev/full /dev/zero /dev/random /dev/urandom /dev/ptmx /dev/kvm /dev/rtc \
                 /dev/hpet /dev/net/tun char-pts; do
                [[ " $1 " == *" $d rw "* ]] || { echo "missing $d in: $1" >&2; exit 1; }
        done
        [[ $(wc -w <<<"$1") -eq 22 ]] || { echo "unexpected entries: $1" >&2; exit 1; }' _ "$acl"
check "scope MemoryMax= from <memtune><hard_limit>" test "$(prop machine-demo.scope MemoryMax)" = 1073741824
cx mknod "$img/probe-blk" b 240 0
inside=$(cx systemd-run --quiet --wait --pipe --collect "$img/probe.sh" \
                /sys/fs/cgroup/machine.slice/machine-demo.scope/cgroup.procs 2>&1 || true)
outside=$(cx systemd-run --quiet --wait --pipe --collect "$img/probe.sh" 2>&1 || true)
check "inside the scope /dev/kvm opens" grep -qx "kvm: ok" <<<"$inside"
check "inside the scope b 240:0 gives EPERM" grep -qx "blk: Operation not permitted" <<<"$inside"
check "outside the scope b 240:0 gives ENXIO (enforcement is real)" grep -qx "blk: No such device or address" <<<"$outside"

# --- a second supervisor for the same VM is refused and disturbs nothing ------------------
supervisor=$(cx systemctl cat vm@demo.service | sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p')
if cx systemd-run --quiet --wait --collect --unit=vmunit-second "$supervisor" demo 2>/dev/null; then
        fail "a second supervisor for demo succeeded"
else
        check "a second supervisor is refused" journal_has vmunit-second.service "^Another supervisor runs VM 'demo' already"
        demo_alive() { proc_alive "$qpid" && is_state vm@demo active; }
        check "... and the VM still runs (QEMU pid $qpid, vm@demo active)" demo_alive
fi

# --- kill -9 of the supervisor: restart and re-attach ------------------------------------
spid=$(prop vm@demo MainPID)
up0=$(last_uptime demo)
cx kill -KILL "$spid"
t0=$(now)
restarted_active() { [[ $(prop vm@demo NRestarts) -ge 1 ]] && is_state vm@demo active; }
if wait_for 20 restarted_active; then
        pass "supervisor killed with SIGKILL was restarted ($(elapsed "$t0" "$(now)") s to active)"
else
        fail "supervisor restart after SIGKILL"
fi
check "the restarted supervisor re-attached (same QEMU pid $qpid)" test "$(qemu_pid demo)" = "$qpid"
check "journal says re-attached" journal_has vm@demo "^Re-attached to QEMU pid $qpid "
check "ExecStopPost left QEMU alone after the crash" journal_has vm@demo "leaving it for re-attach"
uptime_above() { local n; n=$(last_uptime "$1"); [[ ${n:-0} -gt $2 ]]; }
if wait_for 15 uptime_above demo $((up0 + 2)); then
        pass "guest uptime kept counting across the restart ($up0 -> $(last_uptime demo))"
else
        fail "guest uptime did not keep counting (was $up0, now $(last_uptime demo))"
fi

# --- systemctl stop ----------------------------------------------------------------------
t0=$(now)
if cx systemctl stop vm@demo; then
        pass "systemctl stop vm@demo ($(elapsed "$t0" "$(now)") s)"
else
        fail "systemctl stop vm@demo"
fi
check "guest saw the power button (VMUNIT-GUEST-POWERDOWN)" wait_for 5 console_has demo VMUNIT-GUEST-POWERDOWN
check "vm@demo inactive with result success" props_are vm@demo ActiveState=inactive Result=success
check "machine-demo.scope is gone" unit_gone machine-demo.scope
check "/run/vmunit/demo is gone" no_runtime_dir demo
pid_gone() { ! proc_alive "$1"; }
check "QEMU pid $qpid is gone" pid_gone "$qpid"

# --- kill -9 of QEMU ---------------------------------------------------------------------
cx systemctl start vm@demo
qpid=$(qemu_pid demo)
cx kill -KILL "$qpid"
check "kill -9 of QEMU: vm@demo failed" wait_for 10 is_state vm@demo failed
check "kill -9 of QEMU: exit status 2, not restarted" props_are vm@demo ExecMainStatus=2 NRestarts=0
check "kill -9 of QEMU: scope is gone" unit_gone machine-demo.scope
check "kill -9 of QEMU: /run/vmunit/demo is gone" no_runtime_dir demo
cx systemctl reset-failed vm@demo || true

# --- a guest that ignores ACPI -------------------------------------------------------------
cx systemctl start vm@deaf
if wait_for "$boot_timeout" console_has deaf VMUNIT-GUEST-READY; then
        t0=$(now)
        cx systemctl stop vm@deaf || true
        t_deaf=$(elapsed "$t0" "$(now)")
        check "ACPI-deaf guest ignored the button (VMUNIT-GUEST-ACPI-IGNORED)" wait_for 5 console_has deaf VMUNIT-GUEST-ACPI-IGNORED
        check "ACPI-deaf guest was ended after the 3 s timeout (stop took ${t_deaf} s)" \
                awk -v t="$t_deaf" 'BEGIN { exit !(t >= 3 && t < 15) }'
        check "the log says the guest did not power off" journal_has vm@deaf "did not power off within 3 s"
        check "vm@deaf inactive with result success" props_are vm@deaf ActiveState=inactive Result=success
        check "machine-deaf.scope is gone" unit_gone machine-deaf.scope
else
        fail "ACPI-deaf guest did not boot"
        cx systemctl stop vm@deaf || true
fi

# --- a supervisor that hangs during stop: ExecStopPost= finishes the job ---------------------
if cx systemctl start vm@hung; then
        qpid=$(qemu_pid hung)
        cx kill -STOP "$(prop vm@hung MainPID)"
        t0=$(now)
        cx systemctl stop vm@hung 2>/dev/null || true
        check "hung supervisor: systemctl stop returned after TimeoutStopSec ($(elapsed "$t0" "$(now)") s)" \
                bash -c "! '$here/container.sh' exec '$container' systemctl is-active -q vm@hung"
        check "hung supervisor: ExecStopPost killed QEMU pid $qpid" wait_for 5 pid_gone "$qpid"
        check "hung supervisor: machine-hung.scope is gone" wait_for 5 unit_gone machine-hung.scope
        check "hung supervisor: /run/vmunit/hung is gone" no_runtime_dir hung
        check "hung supervisor: the log says so" journal_has vm@hung "^Supervisor did not finish stopping the VM"
        cx systemctl reset-failed vm@hung 2>/dev/null || true
else
        fail "vm@hung did not start"
fi

# --- configuration errors ------------------------------------------------------------------
config_error() {        # INSTANCE SCOPE RUNDIR PATTERN
        local inst=$1 scope=$2 rundir=$3 pattern=$4 lines
        if cx systemctl start "vm@$inst.service" 2>/dev/null; then
                fail "vm@$inst started although it must not"
                cx systemctl stop "vm@$inst.service" || true
                return
        fi
        wait_for 5 is_state "vm@$inst.service" failed || true
        lines=$(cx journalctl --no-pager -q -o cat -u "vm@$inst.service" SYSLOG_IDENTIFIER=vmunit-supervisor 2>/dev/null)
        check "vm@$inst: failed, not restarted" props_are "vm@$inst.service" ActiveState=failed NRestarts=0
        # shellcheck disable=SC2016 # expanded by the inner shell
        check "vm@$inst: exactly one clear journal line ($lines)" \
                bash -c '[[ $(wc -l <<<"$1") -eq 1 ]] && grep -q -- "$2" <<<"$1"' _ "$lines" "$pattern"
        check "vm@$inst: no scope" unit_gone "$scope"
        check "vm@$inst: no runtime dir" no_runtime_dir "$rundir"
        cx systemctl reset-failed "vm@$inst.service" 2>/dev/null || true
}
config_error bad machine-bad.scope bad "/etc/vmunit/domains/bad.xml:5: "
config_error noemu machine-noemu.scope noemu "emulator '/usr/bin/qemu-system-nonexistent' is not executable"
# A '/' cannot come through vm@%i (systemd unescapes nothing in %i), so the supervisor is run
# directly, as a transient service, for the name check.
if cx systemd-run --quiet --wait --collect --unit=vmunit-slash-name "$supervisor" a/b 2>/dev/null; then
        fail "vmunit-supervisor a/b succeeded"
else
        lines=$(cx journalctl --no-pager -q -o cat -u vmunit-slash-name.service SYSLOG_IDENTIFIER=vmunit-supervisor 2>/dev/null)
        check "name 'a/b': exactly one clear journal line ($lines)" test "$lines" = "Invalid VM name 'a/b'."
        check "name 'a/b': no runtime dir" no_runtime_dir a
fi

no_qemu() { ! cx pgrep -f qemu-system-x86_64 >/dev/null; }
check "no QEMU left in the container" no_qemu
