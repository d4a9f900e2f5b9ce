#!/usr/bin/env bash
# System test of vmunit-supervisor and vm@.service under a real systemd: boots a throw-away
# container (container.sh) with the project installed, runs the tiny test guest (TCG) as
# vm@demo.service and checks start/READY, the serial marker, QEMU's confinement, the device ACL,
# re-attach after the supervisor's death, stop, QEMU's death, an ACPI-deaf guest and config errors;
# vmunit.conf (the tmpfiles.d copy, the ACL, TasksMax, group, seccomp_sandbox, errors); a guest
# that powers itself off, <on_crash>restart</on_crash> after kill -9 of QEMU, and a disk backed by a
# block device (an idle zram device of the host, opened read-only) in the scope's ACL; DAC: images
# handed to the QEMU user and back, shared between two VMs, across supervisor crashes, and the
# parent-directory check.
#
# Usage: test-supervisor.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. The guest is built with tests/guest/make-guest.sh into BUILD_DIR/guest (cached).
# Environment: VMUNIT_TEST_BOOT_TIMEOUT (seconds to the guest's marker, default 90),
# VMUNIT_TEST_KEEP=1 keeps the container on failure for a look (stop it with container.sh stop).
# Prints one line per check, timings, and last "N passed, N failed"; exit 0 only if all passed.
# Always tears the container down (no QEMU, container or mount is left).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"
checks_init sup "${1:-}"

prop() { cx systemctl show -P "$2" "$1" 2>/dev/null; }     # UNIT PROPERTY


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
install -d -m 0755 "$root$img"
install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$root$img/"
cat >"$root$img/probe.sh" <<'EOF'
#!/bin/bash
# probe.sh [CGROUP_PROCS]: move into that cgroup if given, then open /dev/kvm, the b 240:0 node
# (in no ACL) and the b 240:1 node (in vmunit.conf's cgroup_device_acl).
if [[ -n ${1:-} ]]; then echo $$ >"$1" || { echo "move: failed"; exit 1; }; fi
if (exec 3<>/dev/kvm) 2>/dev/null; then echo "kvm: ok"; else echo "kvm: failed"; fi
err=$( (exec 4</var/lib/vmunit-test/probe-blk) 2>&1 ) && echo "blk: opened" || echo "blk: ${err##*: }"
err=$( (exec 4</dev/vmunit-acl-probe) 2>&1 ) && echo "acl: opened" || echo "acl: ${err##*: }"
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
# vmunit.conf: systemd-tmpfiles copied the documented default at boot; the test replaces it.
factory=$(awk '$1 == "C" && $2 == "/etc/vmunit/vmunit.conf" { print $7 }' "$root"/usr/lib/tmpfiles.d/vmunit.conf)
check "tmpfiles.d copied the default vmunit.conf (from $factory)" cmp -s "$root/etc/vmunit/vmunit.conf" "$root$factory"
cat >"$root/etc/vmunit/vmunit.conf" <<'EOF'
# vmunit.conf of the system test
user = "vmunit-qemu"
cgroup_device_acl = [
    "/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom",
    "/dev/ptmx", "/dev/kvm", "/dev/rtc", "/dev/hpet", "/dev/net/tun",
    "/dev/vmunit-acl-probe",            # b 240:1: ENXIO, not EPERM, inside the scope
]
max_processes = 300
shutdown_timeout = 30                   # vm@deaf's drop-in overrides it with 3
EOF
# DeviceAllow= paths are resolved when the scope starts: the node must exist by then.
cx mknod /dev/vmunit-acl-probe b 240 1
supervisor=$(cx systemctl cat vm@.service | sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p')
with_config() {         # INSTANCE FILE: vm@INSTANCE runs with --config=FILE (a drop-in)
        mkdir -p "$root/etc/systemd/system/vm@$1.service.d"
        printf '[Service]\nExecStart=\nExecStart=%s --config=%s %%i\n' "$supervisor" "$2" \
                >"$root/etc/systemd/system/vm@$1.service.d/config.conf"
}

domains=$root/etc/vmunit/domains
mkdir -p "$domains"
domain demo "" >"$domains/demo.xml"
domain deaf " vmunit.ignore_acpi=1" >"$domains/deaf.xml"
domain noemu "" /usr/bin/qemu-system-nonexistent >"$domains/noemu.xml"
domain hung "" >"$domains/hung.xml"
domain bad "" | sed 's|<vcpu>1</vcpu>|<vcpu>1</vcpu><bogus/>|' >"$domains/bad.xml"    # line 5
domain selfoff " vmunit.poweroff_after=2" >"$domains/selfoff.xml"
domain crashy "" | sed 's|<on_crash>destroy</on_crash>|<on_crash>restart</on_crash>|' >"$domains/crashy.xml"
domain alt "" >"$domains/alt.xml"
domain badconf "" >"$domains/badconf.xml"
domain mac "" >"$domains/mac.xml"
# DAC: images owned by another user (1500:1500, 0600) under /srv/dac; dac1 and dac2 share one.
dac_disk() {            # FILE DEV [EXTRA]: a raw virtio disk line for domain()'s <devices>
        printf "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/><target dev='%s' bus='virtio'/>%s</disk>" "$1" "$2" "${3:-}"
}
install -d -m 0755 "$root/srv/dac"
install -d -m 0700 "$root/srv/private"
for f in a b shared; do
        truncate -s 1M "$root/srv/dac/$f.img"
        chown 1500:1500 "$root/srv/dac/$f.img"
        chmod 0600 "$root/srv/dac/$f.img"
done
truncate -s 1M "$root/srv/private/p.img"
domain dac1 "" | sed "s|<devices>|<devices>$(dac_disk /srv/dac/a.img vda)$(dac_disk /srv/dac/shared.img vdb '<shareable/>')|" >"$domains/dac1.xml"
domain dac2 "" | sed "s|<devices>|<devices>$(dac_disk /srv/dac/b.img vda)$(dac_disk /srv/dac/shared.img vdb '<shareable/>')|" >"$domains/dac2.xml"
# A disk image in a system directory is never relabelled (chown of /etc/vmunit-test.img would be
# harmless here, but the rule is about the place).
touch "$root/etc/vmunit-test.img"
domain sysdir "" | sed "s|<devices>|<devices>\n$(dac_disk /etc/vmunit-test.img vda)|" >"$domains/sysdir.xml"
domain dacpriv "" | sed "s|<devices>|<devices>\n$(dac_disk /srv/private/p.img vda)|" >"$domains/dacpriv.xml"
domain ctl "" >"$domains/ctl.xml"
domain con "" | sed "s|<serial type='stdio'>|<serial type='pty'>|" >"$domains/con.xml"
domain seclab "" | sed "s|</devices>|</devices>\n  <seclabel type='dynamic' model='apparmor'/>|" >"$domains/seclab.xml"
domain noimg "" | sed "s|<devices>|<devices><disk type='file' device='disk'><source file='/var/lib/vmunit-missing.img'/><target dev='vda' bus='virtio'/></disk>|" >"$domains/noimg.xml"
# vm@alt: a configuration of its own, QEMU in group kvm and without QEMU's own -sandbox.
printf 'group = "kvm"\nseccomp_sandbox = 0\n' >"$root/etc/vmunit/alt.conf"
with_config alt /etc/vmunit/alt.conf
# vm@mac: asks for a security driver this host does not run.
printf '# MAC\nsecurity_driver = "selinux"\n' >"$root/etc/vmunit/mac.conf"
with_config mac /etc/vmunit/mac.conf
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
                 /dev/hpet /dev/net/tun /dev/vmunit-acl-probe char-pts; do
                [[ " $1 " == *" $d rw "* ]] || { echo "missing $d in: $1" >&2; exit 1; }
        done
        [[ $(wc -w <<<"$1") -eq 24 ]] || { echo "unexpected entries: $1" >&2; exit 1; }' _ "$acl"
check "scope MemoryMax= from <memtune><hard_limit>" test "$(prop machine-demo.scope MemoryMax)" = 1073741824
check "scope TasksMax= from vmunit.conf max_processes" test "$(prop machine-demo.scope TasksMax)" = 300
check "QEMU runs with its own -sandbox (seccomp_sandbox default)" \
        bash -c "'$here/container.sh' exec '$container' cat /proc/$qpid/cmdline | tr '\\0' ' ' | grep -q ' -sandbox on,'"
cx mknod "$img/probe-blk" b 240 0
inside=$(cx systemd-run --quiet --wait --pipe --collect "$img/probe.sh" \
                /sys/fs/cgroup/machine.slice/machine-demo.scope/cgroup.procs 2>&1 || true)
outside=$(cx systemd-run --quiet --wait --pipe --collect "$img/probe.sh" 2>&1 || true)
check "inside the scope /dev/kvm opens" grep -qx "kvm: ok" <<<"$inside"
check "inside the scope b 240:0 gives EPERM" grep -qx "blk: Operation not permitted" <<<"$inside"
check "outside the scope b 240:0 gives ENXIO (enforcement is real)" grep -qx "blk: No such device or address" <<<"$outside"
check "inside the scope vmunit.conf's /dev/vmunit-acl-probe (b 240:1) is allowed: ENXIO, not EPERM" \
        grep -qx "acl: No such device or address" <<<"$inside"

# --- a second supervisor for the same VM is refused and disturbs nothing ------------------
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

# --- the guest powers itself off ------------------------------------------------------------
t0=$(now)
if cx systemctl start vm@selfoff; then
        qpid=$(qemu_pid selfoff)
        check "self-powering-off guest: it powered off by itself (VMUNIT-GUEST-POWEROFF)" \
                wait_for "$boot_timeout" console_has selfoff VMUNIT-GUEST-POWEROFF
        check "self-powering-off guest: vm@selfoff became inactive on its own ($(elapsed "$t0" "$(now)") s)" \
                wait_for 15 is_state vm@selfoff inactive
        check "self-powering-off guest: result success, exit status 0, not restarted" \
                props_are vm@selfoff Result=success ExecMainStatus=0 NRestarts=0
        check "self-powering-off guest: the log says the guest powered off" \
                journal_has vm@selfoff "^VM 'selfoff' stopped, the guest powered off\.$"
        selfoff_gone() { unit_gone machine-selfoff.scope && no_runtime_dir selfoff && pid_gone "$qpid"; }
        check "self-powering-off guest: scope, runtime dir and QEMU pid $qpid are gone" selfoff_gone
else
        fail "vm@selfoff did not start"
fi

# --- <on_crash>restart</on_crash>: kill -9 of QEMU restarts the VM ---------------------------
if cx systemctl start vm@crashy; then
        qpid=$(qemu_pid crashy)
        wait_for "$boot_timeout" console_has crashy VMUNIT-GUEST-READY || true
        cx kill -KILL "$qpid"
        t0=$(now)
        crashy_restarted() {
                local p
                p=$(qemu_pid crashy)
                [[ -n $p && $p != "$qpid" ]] && is_state vm@crashy active && [[ $(prop vm@crashy NRestarts) -ge 1 ]]
        }
        if wait_for 30 crashy_restarted; then
                pass "on_crash=restart: kill -9 of QEMU pid $qpid -> VM started again, QEMU pid $(qemu_pid crashy) ($(elapsed "$t0" "$(now)") s)"
        else
                fail "on_crash=restart: no restart after kill -9 of QEMU (state $(prop vm@crashy ActiveState), NRestarts $(prop vm@crashy NRestarts))"
        fi
        check "on_crash=restart: the log says why" journal_has vm@crashy "^<on_crash> is restart: exiting with status 75"
        check "on_crash=restart: the guest booted again (second VMUNIT-GUEST-READY)" \
                wait_for "$boot_timeout" console_has crashy VMUNIT-GUEST-READY 2
        check "on_crash=restart: the old QEMU pid $qpid is gone" pid_gone "$qpid"
        cx systemctl stop vm@crashy || true
        check "on_crash=restart: systemctl stop then ends it with success" \
                props_are vm@crashy ActiveState=inactive Result=success
        check "on_crash=restart: machine-crashy.scope is gone" unit_gone machine-crashy.scope
else
        fail "vm@crashy did not start"
fi

# --- a per-VM configuration: another group, no QEMU -sandbox ---------------------------------
if cx systemctl start vm@alt; then
        qpid=$(qemu_pid alt)
        status=$(cx cat "/proc/$qpid/status" 2>/dev/null || true)
        kvm_gid=$(cx getent group kvm | cut -d: -f3)
        check "vm@alt (group = kvm): QEMU's gid is kvm's ($kvm_gid)" \
                test "$(awk '$1 == "Gid:" { print $2 " " $3 " " $4 " " $5 }' <<<"$status")" = "$kvm_gid $kvm_gid $kvm_gid $kvm_gid"
        check "vm@alt (seccomp_sandbox = 0): no -sandbox on QEMU's command line" \
                bash -c "! '$here/container.sh' exec '$container' cat /proc/$qpid/cmdline | tr '\\0' ' ' | grep -q ' -sandbox '"
        check "vm@alt: the supervisor's own seccomp filter is still there (Seccomp 2)" \
                test "$(awk '$1 == "Seccomp:" { print $2 }' <<<"$status")" = 2
        cx systemctl stop vm@alt || true
else
        fail "vm@alt did not start"
        cx journalctl --no-pager -q -o cat -u vm@alt -n 5 || true
fi

# --- a disk backed by a block device is in the scope's ACL -----------------------------------
# The recipe rules out loop devices (opening b 7:N creates one on the host) and /dev/vda (EPERM
# even on the host). An idle zram device of the host (disksize 0, no swap, no mount) is safe to
# open read-only: QEMU sees an empty disk. The container gets a node of its own for it.
blk_dev=
for z in /sys/block/zram*; do
        [[ -r $z/disksize && $(cat "$z/disksize") == 0 ]] || continue
        grep -q "^/dev/${z##*/} " /proc/swaps 2>/dev/null && continue
        findmnt -rn -S "/dev/${z##*/}" >/dev/null 2>&1 && continue
        blk_dev=$(cat "$z/dev")
        blk_name=${z##*/}
        break
done
if [[ -z $blk_dev ]]; then
        printf 'skip    block-device disk: no idle zram device on this host (modprobe zram creates one)\n'
else
        cx mknod -m 0640 /dev/vmunit-test-blk b "${blk_dev%%:*}" "${blk_dev##*:}"
        cx chgrp kvm /dev/vmunit-test-blk
        domain blk "" | sed "s|<memballoon|<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='/dev/vmunit-test-blk'/><target dev='vda' bus='virtio'/><readonly/></disk>\n    <memballoon|" \
                >"$domains/blk.xml"
        if cx systemctl start vm@blk; then
                qpid=$(qemu_pid blk)
                check "block-device disk ($blk_name, b $blk_dev): scope DeviceAllow= has '/dev/vmunit-test-blk r'" \
                        bash -c "[[ ' $(prop machine-blk.scope DeviceAllow | tr '\n' ' ') ' == *' /dev/vmunit-test-blk r '* ]]"
                check "block-device disk: QEMU (in the closed scope) has the node open" \
                        bash -c "'$here/container.sh' exec '$container' find /proc/$qpid/fd -lname /dev/vmunit-test-blk | grep -q ."
                cx systemctl stop vm@blk || true
                check "block-device disk: vm@blk stopped with success" props_are vm@blk ActiveState=inactive Result=success
        else
                fail "vm@blk did not start"
                cx journalctl --no-pager -q -o cat -u vm@blk -n 5 || true
        fi
        cx rm -f /dev/vmunit-test-blk
fi

# --- DAC: dynamic ownership with remembered owners -------------------------------------------
owner_of() { stat -c %u:%g "$root$1"; }                                # PATH -> UID:GID
remembered() { getfattr --absolute-names --only-values -n trusted.vmunit.dac "$root$1" 2>/dev/null; }
qemu_ids=$(cx id -u vmunit-qemu):$(cx id -g vmunit-qemu)
owned_by() { [[ $(owner_of "$1") == "$2" ]]; }                         # PATH UID:GID
if cx systemctl start vm@dac1 vm@dac2; then
        check "DAC: a.img handed to vmunit-qemu ($qemu_ids) while dac1 runs" owned_by /srv/dac/a.img "$qemu_ids"
        check "DAC: shared.img handed over, remembered once per running VM ('2 1500:1500')" \
                test "$(remembered /srv/dac/shared.img)" = "2 1500:1500"
        check "DAC: QEMU of dac1 has a.img open read-write" \
                bash -c "'$here/container.sh' exec '$container' find /proc/$(qemu_pid dac1)/fd -lname /srv/dac/a.img | grep -q ."
        # The supervisor dies; QEMU runs on, and the owners stay until the VM really stops.
        dpid=$(qemu_pid dac1)
        cx systemctl kill -s KILL vm@dac1
        dac1_back() { [[ $(prop vm@dac1 NRestarts) -ge 1 ]] && is_state vm@dac1 active; }
        check "DAC: dac1's supervisor killed with SIGKILL came back" wait_for 20 dac1_back
        check "DAC: ... re-attached to the same QEMU (pid $dpid)" test "$(qemu_pid dac1)" = "$dpid"
        check "DAC: ... a.img still vmunit-qemu's" owned_by /srv/dac/a.img "$qemu_ids"
        cx systemctl stop vm@dac1
        check "DAC: dac1 stopped: a.img back to 1500:1500, nothing remembered" \
                bash -c "[[ \$(stat -c %u:%g '$root/srv/dac/a.img') == 1500:1500 ]] && ! getfattr --absolute-names -n trusted.vmunit.dac '$root/srv/dac/a.img' >/dev/null 2>&1"
        check "DAC: shared.img still vmunit-qemu's while dac2 runs ('1 1500:1500')" \
                bash -c "[[ \$(stat -c %u:%g '$root/srv/dac/shared.img') == '$qemu_ids' && \$(getfattr --absolute-names --only-values -n trusted.vmunit.dac '$root/srv/dac/shared.img') == '1 1500:1500' ]]"
        cx systemctl stop vm@dac2
        check "DAC: dac2 stopped: shared.img and b.img back to 1500:1500" \
                bash -c "[[ \$(stat -c %u:%g '$root/srv/dac/shared.img') == 1500:1500 && \$(stat -c %u:%g '$root/srv/dac/b.img') == 1500:1500 ]]"
        check "DAC: ... shared.img remembers nothing" bash -c "! getfattr --absolute-names -n trusted.vmunit.dac '$root/srv/dac/shared.img' >/dev/null 2>&1"
else
        fail "vm@dac1/vm@dac2 did not start"
        cx journalctl --no-pager -q -o cat -u vm@dac1 -u vm@dac2 -n 10 || true
fi
# Supervisor and QEMU both die: the next start gives back what the dead run took before it takes
# again (one reference, not two), and the stop after it restores the owner.
if cx systemctl start vm@dac1; then
        dpid=$(qemu_pid dac1)
        spid=$(prop vm@dac1 MainPID)
        cx kill -KILL "$spid" "$dpid"
        dac1_new() { is_state vm@dac1 active && [[ -n $(qemu_pid dac1) && $(qemu_pid dac1) != "$dpid" ]]; }
        check "DAC: supervisor and QEMU killed: dac1 restarted with a new QEMU" wait_for 30 dac1_new
        check "DAC: ... the dead run's owners reclaimed first ('1 1500:1500', not 2)" \
                test "$(remembered /srv/dac/shared.img)" = "1 1500:1500"
        cx systemctl stop vm@dac1
        check "DAC: ... and restored on stop" \
                bash -c "[[ \$(stat -c %u:%g '$root/srv/dac/a.img') == 1500:1500 && \$(stat -c %u:%g '$root/srv/dac/shared.img') == 1500:1500 ]]"
else
        fail "vm@dac1 did not start again"
fi

# --- the VM's D-Bus object (org.vmunit.VM1) ----------------------------------------------------
vmbus() { cx busctl --system "$@"; }
vmprop() { vmbus get-property org.vmunit.vm.ctl /org/vmunit/vm org.vmunit.VM1 "$1" 2>/dev/null; }
vmcall() { local m=$1; shift; vmbus call org.vmunit.vm.ctl /org/vmunit/vm org.vmunit.VM1 "$m" "$@"; }
state_is() { [[ $(vmprop State) == "s \"$1\"" ]]; }
if cx systemctl start vm@ctl && wait_for "$boot_timeout" console_has ctl VMUNIT-GUEST-READY; then
        cpid=$(qemu_pid ctl)
        check "bus: org.vmunit.vm.ctl is on the system bus" bash -c "'$here/container.sh' exec '$container' busctl --system list --no-legend | grep -q '^org.vmunit.vm.ctl '"
        check "bus: Name, QEMUPid, VCPUs, MemoryKiB" bash -c '[[ "$1" == "s \"ctl\"|u $2|u 1|t 262144" ]]' _ \
                "$(vmprop Name)|$(vmprop QEMUPid)|$(vmprop VCPUs)|$(vmprop MemoryKiB)" "$cpid"
        check "bus: State is running" state_is running
        check_introspect "$container" org.vmunit.vm.ctl /org/vmunit/vm "$top/tests/data/bus/org.vmunit.VM1.introspect" \
                org.vmunit.VM1
        vmcall Pause >/dev/null
        check "bus: Pause -> State paused" wait_for 5 state_is paused
        vmcall Resume >/dev/null
        check "bus: Resume -> State running" wait_for 5 state_is running
        out=$(vmcall MonitorCommand sb '{"execute":"query-status"}' false 2>&1 || true)
        check "bus: MonitorCommand (QMP) answers query-status ($out)" grep -q 'running' <<<"$out"
        out=$(vmcall MonitorCommand sb 'info status' true 2>&1 || true)
        check "bus: MonitorCommand (HMP) answers 'info status' ($out)" grep -q 'VM status: running' <<<"$out"
        out=$(vmcall MonitorCommand sb '{"execute":"query-status","id":"x"}' false 2>&1 || true)
        check "bus: MonitorCommand refuses a command with its own id" grep -q 'Unknown key' <<<"$out"
        # the same through vmctl
        cx vmctl suspend ctl >/dev/null
        check "vmctl suspend -> State paused" wait_for 5 state_is paused
        cx vmctl resume ctl >/dev/null
        check "vmctl resume -> State running" wait_for 5 state_is running
        out=$(cx vmctl qemu-monitor-command ctl '{"execute":"query-status"}' 2>&1 || true)
        check "vmctl qemu-monitor-command (QMP) ($out)" grep -q '"status":"running"' <<<"$out"
        out=$(cx vmctl qemu-monitor-command --hmp ctl info status 2>&1 || true)
        check "vmctl qemu-monitor-command --hmp ($out)" grep -q 'VM status: running' <<<"$out"
        out=$(cx vmctl dumpxml ctl 2>&1 || true)
        check "vmctl dumpxml shows the live XML" grep -q "<domain type='qemu' id='$cpid'" <<<"$out"
        printf '<disk/>\n' >"$root$img/dev.xml"
        out=$(cx vmctl attach-device ctl $img/dev.xml 2>&1) && rc=0 || rc=$?
        check "vmctl attach-device of a bad <disk/>: the parser's error with its line, exit 1 ($out)" \
                bash -c '[[ $1 == 1 && $2 == *"device XML:1: <disk>: missing <target>"* ]]' _ "$rc" "$out"
        # A hung supervisor (SIGSTOP): vmctl says so within a second instead of waiting for the call.
        spid=$(prop vm@ctl MainPID)
        cx kill -STOP "$spid"
        t0=$(now)
        out=$(cx vmctl suspend ctl 2>&1) && rc=0 || rc=$?
        t1=$(now)
        cx kill -CONT "$spid"
        check "vmctl against a hung supervisor: exit 1 in $(elapsed "$t0" "$t1") s < 1.5 s, 'did not answer' ($out)" \
                bash -c '[[ $1 == 1 && $2 == *"did not answer within"* ]] && awk -v d="$3" "BEGIN { exit !(d < 1.5) }"' \
                _ "$rc" "$out" "$(elapsed "$t0" "$t1")"
        check "... and the VM is still running afterwards" wait_for 5 state_is running
        # busctl prints the string C-escaped: ' as \'
        out=$(vmcall GetXML t 0 2>&1 | sed "s/\\\\'/'/g" || true)
        check "bus: GetXML is the live XML (id='$cpid')" grep -q "<domain type='qemu' id='$cpid'" <<<"$out"
        vmcall Reboot >/dev/null
        check "bus: Reboot -> the guest powers off and boots again" wait_for "$boot_timeout" console_has ctl VMUNIT-GUEST-READY 2
        check "bus: ... same QEMU, unit still active" bash -c "[[ \$('$here/container.sh' exec '$container' sed -n 's/^PID=//p' /run/vmunit/ctl/vmunit-state) == $cpid ]]"
        check "bus: ... StateReason rebooted" bash -c "[[ \$('$here/container.sh' exec '$container' busctl --system get-property org.vmunit.vm.ctl /org/vmunit/vm org.vmunit.VM1 StateReason) == 's \"rebooted\"' ]]"
        vmcall Reset >/dev/null
        check "bus: Reset -> the guest boots a third time" wait_for "$boot_timeout" console_has ctl VMUNIT-GUEST-READY 3
        vmcall Shutdown >/dev/null
        check "bus: Shutdown -> the guest sees the power button and the unit ends with success" \
                wait_for 20 props_are vm@ctl ActiveState=inactive Result=success
        check "bus: ... the name is gone" bash -c "! '$here/container.sh' exec '$container' busctl --system list --no-legend | grep -q '^org.vmunit.vm.ctl '"
else
        fail "vm@ctl did not start"
        cx journalctl --no-pager -q -o cat -u vm@ctl -n 10 || true
fi
if cx systemctl start vm@con; then
        # The guest prints its uptime every second on the pty, once booted (3-4 s); ^] ends the session.
        out=$( (sleep 10; printf '\035') | cx timeout 30 vmctl console con 2>&1) && rc=0 || rc=$?
        check "vmctl console: the guest's pty output, ^] leaves with status 0 (rc $rc)" \
                bash -c '[[ $1 == 0 && $2 == *"Escape character is ^]"* && $2 == *VMUNIT-GUEST-UPTIME* ]]' _ "$rc" "$out"
        cx vmctl destroy con >/dev/null || true
        check "vmctl destroy con: the unit ends with success" wait_for 10 props_are vm@con ActiveState=inactive Result=success
else
        fail "vm@con did not start"
fi
if cx systemctl start vm@ctl; then
        t0=$(now)
        vmcall Destroy >/dev/null || true
        check "bus: Destroy -> QEMU killed, the unit ends with success" wait_for 10 props_are vm@ctl ActiveState=inactive Result=success
        check "bus: ... the journal says destroyed" journal_has vm@ctl "destroyed (QEMU killed on request)"
        check "bus: ... scope and runtime dir gone" bash -c "! '$here/container.sh' exec '$container' test -e /run/vmunit/ctl"
else
        fail "vm@ctl did not start again"
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
config_error noimg machine-noimg.scope noimg \
        "^/etc/vmunit/domains/noimg.xml:[0-9]*: <disk> 'vda': source '/var/lib/vmunit-missing.img' is missing: No such file or directory$"
config_error dacpriv machine-dacpriv.scope dacpriv \
        "^/etc/vmunit/domains/dacpriv.xml:[0-9]*: <disk> '/srv/private/p.img': QEMU's user 'vmunit-qemu' cannot reach it: directory '/srv/private' (mode 0700, owner 0:0) is not searchable for it; allow it with 'chmod o+x /srv/private'$"
check "dacpriv: p.img left as it was (root:root)" owned_by /srv/private/p.img 0:0
config_error sysdir machine-sysdir.scope sysdir \
        "^/etc/vmunit/domains/sysdir.xml:[0-9]*: <disk> '/etc/vmunit-test.img': refusing to relabel it: "
check "sysdir: /etc/vmunit-test.img left as it was (root:root)" owned_by /etc/vmunit-test.img 0:0
config_error mac machine-mac.scope mac "^/etc/vmunit/mac.conf: security_driver 'selinux': SELinux is not enabled on this host.$"
config_error seclab machine-seclab.scope seclab \
        "^/etc/vmunit/domains/seclab.xml:[0-9]*: <seclabel>: model 'apparmor' is not an active security driver on this host (see security_driver in /etc/vmunit/vmunit.conf)$"
# A broken vmunit.conf stops every start, with its file and line.
cp "$root/etc/vmunit/vmunit.conf" "$root/etc/vmunit/vmunit.conf.good"
printf '# broken\nuser = "vmunit-qemu"\nshutdown_timeout = soon\n' >"$root/etc/vmunit/vmunit.conf"
config_error badconf machine-badconf.scope badconf \
        "^/etc/vmunit/vmunit.conf:3: shutdown_timeout: expected seconds from 0 to 86400, got 'soon'$"
mv -f "$root/etc/vmunit/vmunit.conf.good" "$root/etc/vmunit/vmunit.conf"
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
