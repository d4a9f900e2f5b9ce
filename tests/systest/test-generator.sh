#!/usr/bin/env bash
# System test of boot-time VMs under a real systemd (issue 6): vmunit-generator at boot, ordering
# and start delay from <vmunit:boot>, a broken domain skipped and logged, machines.target stopping
# every VM in parallel with each one's host-shutdown policy (kill, leave), the container's poweroff
# doing the same; systemd-analyze verify of every installed unit; the project's tmpfiles.d and
# sysusers.d applied to a fresh root.
#
# Domains (the tiny test guest, TCG), all defined before the container boots:
#   alpha     autostart, shutdown-policy kill
#   beta      autostart, after alpha, start-delay 1s
#   gamma-1   not autostarted, no metadata ('-' in the name: vm@gamma-1.service)
#   delta vm  not autostarted, shutdown-policy leave (vm@delta\x20vm.service)
#   broken    autostart, malformed XML
#
# Usage: test-generator.sh [BUILD_DIR]      (default: build/ at the top of the repository)
# Needs root. Environment: VMUNIT_TEST_BOOT_TIMEOUT (seconds to a guest's marker, default 90),
# VMUNIT_TEST_KEEP=1 keeps the container and the work dir on failure.
# Prints one line per check and "N passed, N failed"; exit 0 only if all passed. Always tears the
# container down.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(readlink -f "${1:-$top/build}")
boot_timeout=${VMUNIT_TEST_BOOT_TIMEOUT:-90}
container=vmunit-gen-$$
started=0
work=
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"

info() { printf '%s: %s\n' "$prog" "$*" >&2; }

finish() {
        local rc=$?
        trap - EXIT
        if [[ ${VMUNIT_TEST_KEEP:-0} == 1 && $failed -gt 0 ]]; then
                info "keeping '$work' (VMUNIT_TEST_KEEP=1)"
        elif [[ -n $work ]]; then
                # its binds must be gone first
                [[ $started == 0 ]] || "$here/container.sh" stop "$container" >/dev/null 2>&1 || true
                chattr -a "$work/kmsg" 2>/dev/null || true
                rm -rf --one-file-system -- "$work"
        fi
        checks_finish "$rc" "$container" "$started"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

cx() { "$here/container.sh" exec "$container" "$@"; }
prop() { cx systemctl show -P "$2" "$1" 2>/dev/null; }     # UNIT PROPERTY
is_state() { [[ $(prop "$1" ActiveState) == "$2" ]]; }
# The journal of the running container, or (after_poweroff=1) the files the container left behind.
after_poweroff=0
journal() {
        if [[ $after_poweroff == 1 ]]; then
                journalctl --file="$work/journal/*/*.journal" --file="$work/runtime-journal/*/*.journal" \
                        --no-pager -q -o cat "$@" 2>/dev/null
        else
                cx journalctl --no-pager -q -o cat "$@" 2>/dev/null
        fi
}
console_count() { journal -u "$1" -t console | grep -c -- "$2" || true; }       # SCOPE MARKER
console_has() { [[ $(console_count "$1" "$2") -ge ${3:-1} ]]; }                # SCOPE MARKER [N]
journal_count() { journal -u "$1" | grep -c -- "$2" || true; }                  # UNIT REGEX
qemu_pid() { cx sed -n 's/^PID=//p' "/run/vmunit/$1/vmunit-state" 2>/dev/null; }
mono() { prop "$1" "$2"TimestampMonotonic; }                                     # UNIT WHAT

# The units and scopes of the VMs, as systemd names them.
u_alpha=vm@alpha.service u_beta=vm@beta.service u_gamma=vm@gamma-1.service u_delta='vm@delta\x20vm.service'
s_alpha=machine-alpha.scope s_beta=machine-beta.scope s_gamma='machine-gamma\x2d1.scope'
s_delta='machine-delta\x20vm.scope'

# --- set-up ------------------------------------------------------------------------------
[[ $EUID -eq 0 ]] || { info "must run as root"; exit 1; }
[[ -x $build/tools/vmunit-generator ]] || { info "no generator in '$build' (run ninja first)"; exit 1; }

t0=$(now)
"$top/tests/guest/make-guest.sh" "$build/guest" >/dev/null 2>&1 || { info "building the test guest failed"; exit 1; }
work=$(mktemp -d /tmp/vmunit-test-generator-XXXXXX)
mkdir -p "$work/domains" "$work/autostart" "$work/img" "$work/journal" "$work/runtime-journal"
chmod 0755 "$work/img"
install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$work/img/"
# The container's /dev/kmsg: append-only, so that only writers that append (the generator) can
# use it, and journald, which would write over it from the start, falls back to its console.
: >"$work/kmsg"
chattr +a "$work/kmsg"
img=/var/lib/vmunit-test

domain() { "$top/tests/guest/guest-domain.sh" --metadata="$2" "$1" "$img"; }     # NAME METADATA
boot() { printf '<vmunit:boot xmlns:vmunit="https://vmunit.org/xmlns/domain/1.0">%s</vmunit:boot>' "$1"; }
domain alpha "$(boot '<vmunit:shutdown-policy>kill</vmunit:shutdown-policy>')" >"$work/domains/alpha.xml"
domain beta "$(boot '<vmunit:after>alpha</vmunit:after><vmunit:start-delay>1s</vmunit:start-delay>')" \
        >"$work/domains/beta.xml"
domain gamma-1 "" >"$work/domains/gamma-1.xml"
domain "delta vm" "$(boot '<vmunit:shutdown-policy>leave</vmunit:shutdown-policy>')" >"$work/domains/delta vm.xml"
domain broken "<!-- closed by no tag: -->" | sed 's|</metadata>|<metadata>|' >"$work/domains/broken.xml"     # malformed
broken_line=$(grep -n '<metadata>.*<metadata>' "$work/domains/broken.xml" | cut -d: -f1)
for n in alpha beta broken; do
        ln -s "../domains/$n.xml" "$work/autostart/$n"
done
info "guest and domains ready in $(elapsed "$t0" "$(now)") s"

# The domains, autostart entries and guest files are there before the boot; /dev/kmsg is a plain
# file (nspawn gives a container none), so that the generator's log lines can be read; the journal,
# persistent and runtime (journald goes back to the latter when it lets go of /var at shutdown), is
# in directories of ours, to be read after the container's poweroff.
started=1
t0=$(now)
"$here/container.sh" start "$container" --install-from "$build" --timeout 120 \
        --bind "$work/domains:/etc/vmunit/domains" --bind "$work/autostart:/etc/vmunit/autostart" \
        --bind-ro "$work/img:$img" --bind "$work/kmsg:/dev/kmsg" --bind "$work/journal:/var/log/journal" \
        --bind "$work/runtime-journal:/run/log/journal" \
        >"$work/start.log" 2>&1 || { info "container start failed:"; cat "$work/start.log" >&2; exit 1; }
t_boot=$(elapsed "$t0" "$(now)")
root=$("$here/container.sh" root "$container")
pass "container booted to 'running' with two VMs autostarted (${t_boot} s, project installed)"

# --- boot: exactly the two, in order ------------------------------------------------------
check "vm@alpha is active" is_state "$u_alpha" active
check "vm@beta is active" is_state "$u_beta" active
check "vm@gamma-1 (no autostart entry) did not start" is_state "$u_gamma" inactive
check "vm@delta vm (no autostart entry) did not start" is_state "$u_delta" inactive
never_started() { [[ $(mono "$1" InactiveExit) == 0 ]]; }
check "vm@broken was never started" never_started vm@broken.service
links=$(cx ls /run/systemd/generator/machines.target.wants 2>/dev/null | tr '\n' ' ')
check "machines.target.wants holds exactly vm@alpha and vm@beta ($links)" \
        test "$links" = "vm@alpha.service vm@beta.service "
check "machines.target is active" is_state machines.target active
check "... wanted by multi-user.target through the generator" \
        cx test -L /run/systemd/generator/multi-user.target.wants/machines.target
a_up=$(mono "$u_alpha" ActiveEnter) b_begin=$(mono "$u_beta" InactiveExit) b_up=$(mono "$u_beta" ActiveEnter)
check "beta began starting after alpha was up (alpha up at ${a_up} us, beta began at ${b_begin} us)" \
        test "$b_begin" -ge "$a_up"
check "beta's start took its 1 s delay ($(( (b_up - b_begin) / 1000 )) ms from start to READY)" \
        test $((b_up - b_begin)) -ge 1000000
check "the generator logged the broken domain with file and line (kmsg)" \
        grep -Eq "^<27>vmunit-generator\[[0-9]+\]: Skipping domain /etc/vmunit/domains/broken.xml:[0-9]+: malformed XML: " \
        "$work/kmsg"
logged_line=$(sed -n 's|.*broken.xml:\([0-9]*\):.*|\1|p' "$work/kmsg" | head -n 1)
check "... on the line of the broken tag or after it (line ${logged_line:-none}, the tag on $broken_line)" \
        test "${logged_line:-0}" -ge "$broken_line"
check "the generator logged nothing else" test "$(grep -c vmunit-generator "$work/kmsg")" = 1
part_of="$(prop "$u_alpha" PartOf) $(prop "$u_beta" PartOf) $(prop "$u_gamma" PartOf)"
check "vm@alpha, vm@beta, vm@gamma-1 are PartOf=machines.target" \
        test "$part_of" = "machines.target machines.target machines.target"
check "vm@delta vm (leave) is not PartOf=machines.target" test -z "$(prop "$u_delta" PartOf)"
check "vm@alpha (kill) runs with VMUNIT_SHUTDOWN_TIMEOUT=0" \
        test "$(prop "$u_alpha" Environment)" = VMUNIT_SHUTDOWN_TIMEOUT=0

# --- every installed unit verifies ----------------------------------------------------------
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
mapfile -t units < <(meson introspect --installed "$build" | python3 -c '
import json, os, sys
d = sys.argv[1]
for dest in json.load(sys.stdin).values():
    if os.path.dirname(dest) == d and dest.rsplit(".", 1)[-1] in ("service", "socket", "target", "timer", "path"):
        n = os.path.basename(dest)
        print(n.replace("@.", "@verify.") if "@." in n else n)' "$unitdir")
check "installed units found (${units[*]})" test "${#units[@]}" -ge 1
verify=$(cx systemd-analyze verify "${units[@]}" "$u_alpha" "$u_beta" "$u_gamma" "$u_delta" 2>&1) && rc=0 || rc=$?
check "systemd-analyze verify of every installed unit and the four VMs' units is clean${verify:+: $verify}" \
        test "$rc" = 0 -a -z "$verify"

# --- stop machines.target: parallel, per policy -------------------------------------------
cx systemctl start "$u_gamma" "$u_delta"
ready() { console_has "$s_beta" VMUNIT-GUEST-READY && console_has "$s_gamma" VMUNIT-GUEST-READY &&
          console_has "$s_delta" VMUNIT-GUEST-READY; }
if wait_for "$boot_timeout" ready; then
        pass "beta, gamma-1 and delta vm guests are up (READY markers)"
else
        fail "guests up within ${boot_timeout} s"
fi
pid_alpha=$(qemu_pid alpha) pid_delta=$(qemu_pid "delta vm")
# The target stops first (the VMs are Before= it), so systemctl returns at once and the VMs' stop
# jobs run on: wait for them.
t0=$(now)
cx systemctl stop machines.target && rc=0 || rc=$?
check "systemctl stop machines.target" test "$rc" = 0
stopped() { ! is_state "$u_alpha" active && ! is_state "$u_alpha" deactivating && ! is_state "$u_beta" active &&
            ! is_state "$u_beta" deactivating && ! is_state "$u_gamma" active && ! is_state "$u_gamma" deactivating; }
wait_for 90 stopped || true
t_stop=$(elapsed "$t0" "$(now)")
check "alpha, beta and gamma-1 were stopped within ${t_stop} s (shutdown_timeout is 60 s)" \
        awk -v t="$t_stop" 'BEGIN { exit !(t < 30) }'
states="$(prop "$u_alpha" ActiveState) $(prop "$u_beta" ActiveState) $(prop "$u_gamma" ActiveState)"
check "alpha, beta, gamma-1 are inactive ($states)" test "$states" = "inactive inactive inactive"
powerdowns="$(console_count "$s_beta" VMUNIT-GUEST-POWERDOWN) $(console_count "$s_gamma" VMUNIT-GUEST-POWERDOWN)"
check "beta and gamma-1 shut down on the ACPI power button (VMUNIT-GUEST-POWERDOWN: $powerdowns)" \
        test "$powerdowns" = "1 1"
# From the journal: an inactive unit nothing refers to (gamma-1) is unloaded, its timestamps with it.
stop_times() {          # UNIT -> "FROM TO": monotonic us of systemd's "Stopping" and "Stopped" lines
        journal -u "$1" -o short-monotonic | awk '
                / systemd\[1\]: Stopping / { sub(/^\[ */, ""); sub(/\].*/, ""); from = $0 * 1000000 }
                / systemd\[1\]: Stopped /  { sub(/^\[ */, ""); sub(/\].*/, ""); to = $0 * 1000000 }
                END { printf "%.0f %.0f\n", from, to }'
}
read -r a_from _ < <(stop_times "$u_alpha")
read -r b_from b_to < <(stop_times "$u_beta")
read -r g_from g_to < <(stop_times "$u_gamma")
check "beta and gamma-1 stopped in parallel (beta $b_from..$b_to, gamma-1 $g_from..$g_to us)" \
        test "$b_from" -lt "$g_to" -a "$g_from" -lt "$b_to"
check "alpha (beta is ordered after it) stopped once beta was down" test "$a_from" -ge "$b_to"
check "alpha (kill): QEMU quit at once, no power button" \
        test "$(journal_count "$u_alpha" 'no shutdown timeout: quitting QEMU at once')" = 1
check "alpha's guest saw no power button" test "$(console_count "$s_alpha" VMUNIT-GUEST-POWERDOWN)" = 0
gone() { ! cx test -d "/proc/$1"; }
check "alpha's QEMU (pid $pid_alpha) is gone" gone "$pid_alpha"
delta_alive() { is_state "$u_delta" active && ! gone "$pid_delta"; }
check "delta vm (leave) is still active, same QEMU (pid $pid_delta)" delta_alive
only_delta() { [[ $(cx pgrep -c -f qemu-system-x86_64 2>/dev/null) == 1 ]]; }
check "only delta's QEMU is left" only_delta

# --- the container's poweroff: the same, for everything running ------------------------------
cx systemctl start machines.target "$u_gamma"
again() { console_has "$s_beta" VMUNIT-GUEST-READY 2 && console_has "$s_gamma" VMUNIT-GUEST-READY 2; }
if wait_for "$boot_timeout" again; then
        pass "machines.target started alpha and beta again; gamma-1 started; guests up"
else
        fail "guests up again within ${boot_timeout} s"
fi
machine_id=$(cat "$root/etc/machine-id")
t0=$(now)
"$here/container.sh" stop "$container" >"$work/stop.log" 2>&1 && rc=0 || rc=$?
t_off=$(elapsed "$t0" "$(now)")
started=0
check "the container powered off cleanly, nothing left running (${t_off} s)" \
        test "$rc" = 0 -a "$(grep -c warning "$work/stop.log")" = 0
after_poweroff=1
check "the container's journal is there" test -d "$work/journal/$machine_id" -a -d "$work/runtime-journal/$machine_id"
powerdowns="$(console_count "$s_beta" VMUNIT-GUEST-POWERDOWN) $(console_count "$s_gamma" VMUNIT-GUEST-POWERDOWN)"
powerdowns+=" $(console_count "$s_delta" VMUNIT-GUEST-POWERDOWN)"
check "poweroff: beta, gamma-1 and delta vm (leave) shut down on the power button (in all: $powerdowns)" \
        test "$powerdowns" = "2 2 1"
check "poweroff: alpha (kill) quit at once again" \
        test "$(journal_count "$u_alpha" 'no shutdown timeout: quitting QEMU at once')" = 2
stops="$(journal_count "$u_beta" "^VM 'beta' stopped, the guest powered off")"
stops+=" $(journal_count "$u_gamma" "^VM 'gamma-1' stopped, the guest powered off")"
stops+=" $(journal_count "$u_delta" "^VM 'delta vm' stopped, the guest powered off")"
stops+=" $(journal_count "$u_alpha" "^VM 'alpha' stopped")"
check "poweroff: every VM logged its stops (beta, gamma-1, delta vm, alpha: $stops)" test "$stops" = "2 2 1 2"

# --- tmpfiles.d and sysusers.d on a fresh root (the host's own tools) -------------------------
fresh=$work/fresh
tmpfilesdir=$(pkg-config --variable=tmpfilesdir systemd 2>/dev/null || echo /usr/lib/tmpfiles.d)
meson install --quiet --destdir "$fresh" -C "$build" >/dev/null 2>&1
mkdir -p "$fresh/dev" "$fresh/etc"
mknod -m 0600 "$fresh/dev/kvm" c 10 232
out=$(systemd-sysusers --root="$fresh" 2>&1) && rc=0 || rc=$?
out=$(grep -Ev "^Creating (group|user) '(kvm|vmunit-qemu)' " <<<"$out" || true)      # what it did, not a complaint
check "systemd-sysusers --root applies sysusers.d/vmunit.conf cleanly${out:+: $out}" test "$rc" = 0 -a -z "$out"
check "... vmunit-qemu exists" grep -q '^vmunit-qemu:' "$fresh/etc/passwd"
check "... in group kvm" grep -Eq '^kvm:[^:]*:[0-9]+:(.*,)?vmunit-qemu(,|$)' "$fresh/etc/group"
out=$(systemd-tmpfiles --create --root="$fresh" 2>&1) && rc=0 || rc=$?
check "systemd-tmpfiles --create --root applies tmpfiles.d/vmunit.conf cleanly${out:+: $out}" test "$rc" = 0 -a -z "$out"
modes=$(cd "$fresh" && stat -c '%n %a %U' run/vmunit var/lib/vmunit etc/vmunit etc/vmunit/domains etc/vmunit/autostart | tr '\n' ';')
check "... directories and modes ($modes)" \
        test "$modes" = "run/vmunit 755 root;var/lib/vmunit 755 root;etc/vmunit 755 root;etc/vmunit/domains 700 root;etc/vmunit/autostart 755 root;"
factory=$(awk '$1 == "C" && $2 == "/etc/vmunit/vmunit.conf" { print $7 }' "$fresh$tmpfilesdir/vmunit.conf")
check "... the default vmunit.conf copied from the factory copy ($factory)" \
        cmp -s "$fresh/etc/vmunit/vmunit.conf" "$fresh$factory"
kvm_gid=$(awk -F: '$1 == "kvm" { print $3 }' "$fresh/etc/group")
check "... /dev/kvm made group kvm ($kvm_gid) 0660" test "$(stat -c '%a %g' "$fresh/dev/kvm")" = "660 $kvm_gid"
