#!/usr/bin/env bash
# System test of the session instance (issue 6 part 4, issue 5's qemu:///session) under a real
# systemd: a non-root user with lingering runs `systemctl --user start vm@mini` on a domain in their
# own home, without any privilege. Checked: the user's vmunit.conf is read (a setting that needs
# privileges is refused with FILE:LINE, a good one is applied), the guest boots (its serial marker),
# the supervisor and QEMU run as that user with no capability, QEMU in a scope of the user's own
# manager, runtime and state under $XDG_RUNTIME_DIR and ~/.local/share, the VM's bus name on the
# user bus (not the system bus), `vmctl --user` lists it, starts it and shuts it down, and
# `systemctl --user stop` ends it by the ACPI power button with nothing left behind. What the
# session instance cannot enforce is asserted as such: its scope has no device policy.
#
# Usage: test-session.sh [BUILD_DIR]      (default: build/ at the top of the repository)
# Needs root (for the container). Environment: VMUNIT_TEST_BOOT_TIMEOUT (seconds to the guest's
# marker, default 60), VMUNIT_TEST_KEEP=1 keeps the container on failure.
# Prints one line per check and "N passed, N failed"; exit 0 only if all passed. Always tears the
# container down.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(readlink -f "${1:-$top/build}")
boot_timeout=${VMUNIT_TEST_BOOT_TIMEOUT:-60}
container=vmunit-session-$$
started=0
user=vmuser
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"

info() { printf '%s: %s\n' "$prog" "$*" >&2; }

trap 'checks_finish $? "$container" "$started"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

cx() { "$here/container.sh" exec "$container" "$@"; }
# as_user CMD...: CMD inside, as the user, with the environment of their session (user bus, manager)
as_user() {
        cx runuser -u "$user" -- env XDG_RUNTIME_DIR="/run/user/$uid" \
                DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" "$@"
}
uctl() { as_user systemctl --user --no-pager "$@"; }
uprop() { uctl show -P "$2" "$1" 2>/dev/null; }                 # UNIT PROPERTY (user manager)
u_is_state() { [[ $(uprop "$1" ActiveState) == "$2" ]]; }
journal() { cx journalctl --no-pager -q -o cat "$@" 2>/dev/null; }
console_count() { journal "_UID=$uid" -t console | grep -c -- "$1" || true; }   # MARKER
console_beyond() { [[ $(console_count "$1") -gt $2 ]]; }                        # MARKER N
supervisor_log() { journal "_UID=$uid" -t vmunit-supervisor; }
qemu_pids() { cx pgrep -u "$uid" -x qemu-system-x86 || true; }     # comm: 15 characters
no_qemu() { [[ -z $(qemu_pids) ]]; }
# shellcheck disable=SC2016 # awk's own $1
status_field() { cx awk -v k="$2:" '$1 == k { sub(/^[^:]*:[ \t]*/, ""); print }' "/proc/$1/status"; }  # PID FIELD

not() { ! "$@"; }
is() { [[ $1 == "$2" ]] || { printf '        got "%s", expected "%s"\n' "$1" "$2"; return 1; }; }   # ACTUAL EXPECTED
on_user_bus() { as_user busctl --user status "$1" >/dev/null 2>&1; }             # NAME
on_system_bus() { cx busctl status "$1" >/dev/null 2>&1; }                      # NAME
owner_is() { is "$(cx stat -c %U "$1")" "$user"; }                               # PATH

out='' rc=0
vmctl_user() { rc=0; out=$(as_user vmctl --user --no-pager "$@" 2>&1) || rc=$?; }
rc_is() { [[ $rc == "$1" ]] || { printf '        exit %s, expected %s: %s\n' "$rc" "$1" "$out"; return 1; }; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1" <<<"$out"; }

# --- set-up ------------------------------------------------------------------------------
[[ $EUID -eq 0 ]] || { info "must run as root"; exit 1; }
[[ -x $build/supervisor/vmunit-supervisor ]] || { info "no vmunit-supervisor in '$build' (run ninja first)"; exit 1; }
"$top/tests/guest/make-guest.sh" "$build/guest" >/dev/null 2>&1 || { info "building the test guest failed"; exit 1; }

t_all=$(now)
started=1
"$here/container.sh" start "$container" --install-from "$build" >/dev/null 2>&1 ||
        { info "container start failed"; exit 1; }
root=$("$here/container.sh" root "$container")
info "container '$container' up in $(elapsed "$t_all" "$(now)") s"

cx useradd -m -s /bin/bash "$user"
uid=$(cx id -u "$user")
home=/home/$user
cx loginctl enable-linger "$user"
wait_for 30 cx test -S "/run/user/$uid/bus" || { info "the user manager of '$user' did not come up"; exit 1; }
wait_for 30 u_is_state default.target active || { info "default.target of '$user' is not active"; exit 1; }

# Everything in the user's own home, owned by them.
cx install -d -o "$user" -g "$user" "$home/guest" "$home/.config" "$home/.config/vmunit" \
        "$home/.config/vmunit/domains"
install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$root$home/guest/"
"$top/tests/guest/guest-domain.sh" mini "$home/guest" >"$root$home/.config/vmunit/domains/mini.xml"
conf=$home/.config/vmunit/vmunit.conf
printf '# the session instance test\nsecurity_driver = [ "dac", "selinux" ]\n' >"$root$conf"
cx chown -R "$user:$user" "$home/guest" "$home/.config"

# shellcheck disable=SC2016 # $r is the inner shell's
check "systemd-analyze --user verify accepts the user unit vm@.service" \
        as_user bash -c 'ln -s /usr/lib/systemd/user/vm@.service /tmp/vm@mini.service &&
                         systemd-analyze --user verify /tmp/vm@mini.service; r=$?; rm -f /tmp/vm@mini.service; exit $r'

# --- the user's vmunit.conf --------------------------------------------------------------
rc=0
uctl start vm@mini.service >/dev/null 2>&1 || rc=$?
check "a vmunit.conf asking for a privileged driver fails the start" [ "$rc" != 0 ]
check "... naming the file, line and setting" grep -qF "$conf:2: security_driver: 'selinux'" <(supervisor_log)
check "... and no QEMU ran" no_qemu
uctl reset-failed vm@mini.service 2>/dev/null || true
printf '# the session instance test\nshutdown_timeout = 20\n' >"$root$conf"

# --- systemctl --user start --------------------------------------------------------------
t0=$(now)
rc=0
uctl start vm@mini.service || rc=$?
check "systemctl --user start vm@mini as '$user' (uid $uid) succeeds" is "$rc" 0
info "start (to READY=1): $(elapsed "$t0" "$(now)") s"
check "vm@mini.service is active in the user's manager" u_is_state vm@mini.service active
check "... and not in the system manager" is "$(cx systemctl show -P ActiveState vm@mini.service)" inactive
if wait_for "$boot_timeout" console_beyond VMUNIT-GUEST-READY 0; then
        pass "the guest booted: VMUNIT-GUEST-READY on its serial console ($(elapsed "$t0" "$(now)") s)"
else
        fail "the guest booted: no VMUNIT-GUEST-READY within ${boot_timeout}s"
fi

spid=$(uprop vm@mini.service MainPID)
qpid=$(qemu_pids | head -n 1)
[[ -n $spid && -n $qpid ]] || { fail "the supervisor ('$spid') and QEMU ('$qpid') run"; exit 1; }
check "the supervisor runs as '$user'" is "$(status_field "$spid" Uid | cut -f1)" "$uid"
check "QEMU runs as '$user' (real, effective, saved, fs uid)" is "$(status_field "$qpid" Uid | tr '\t' ' ')" "$uid $uid $uid $uid"
check "... in the user's group" is "$(status_field "$qpid" Gid | cut -f1)" "$(cx id -g "$user")"
check "QEMU has no effective capability" is "$(status_field "$qpid" CapEff)" 0000000000000000
check "... nor a permitted one" is "$(status_field "$qpid" CapPrm)" 0000000000000000
check "QEMU runs with no_new_privs" is "$(status_field "$qpid" NoNewPrivs)" 1
check "... and a seccomp filter" is "$(status_field "$qpid" Seccomp)" 2
check "QEMU is in machine-mini.scope of the user's manager" \
        is "$(cx sed -n 's/^0:://p' "/proc/$qpid/cgroup")" "/user.slice/user-$uid.slice/user@$uid.service/app.slice/machine-mini.scope"
check "machine-mini.scope is active in the user's manager" u_is_state machine-mini.scope active
check "the scope carries no device policy (a user's manager cannot enforce one: not enforced, by design)" \
        is "$(uprop machine-mini.scope DevicePolicy)" auto
check "... and the supervisor says so in the journal" grep -q "device access is not confined" <(supervisor_log)
check "the user's shutdown_timeout = 20 reached the supervisor" \
        grep -qx -- '--shutdown-timeout-usec=20000000' <(cx cat "/proc/$spid/cmdline" | tr '\0' '\n')
check "runtime dir \$XDG_RUNTIME_DIR/vmunit/mini, the user's" owner_is "/run/user/$uid/vmunit/mini"
check "... with its QMP socket" cx test -S "/run/user/$uid/vmunit/mini/vmunit-qmp.sock"
check "state dir ~/.local/share/vmunit/mini, the user's" owner_is "$home/.local/share/vmunit/mini"
check "nothing of it under the system's /run/vmunit" cx test ! -e /run/vmunit/mini
check "systemd-machined does not list it (it keeps the system's machines)" \
        not grep -qw mini <(cx machinectl list --no-legend 2>/dev/null)

# --- the bus ---------------------------------------------------------------------------------
check "org.vmunit.vm.mini is on the user bus" on_user_bus org.vmunit.vm.mini
check "... and not on the system bus" not on_system_bus org.vmunit.vm.mini
check "its State property is running" \
        is "$(as_user busctl --user get-property org.vmunit.vm.mini /org/vmunit/vm org.vmunit.VM1 State 2>&1)" 's "running"'
vmctl_user list --json
check "vmctl --user list --json shows mini running" \
        json 'assert [x for x in d if x["name"] == "mini" and x["state"] == "running"], d'
vmctl_user list
check "vmctl --user list shows mini" grep -qE '^ *mini +running' <<<"$out"

# --- a crashed supervisor comes back and adopts its QEMU -------------------------------------
restarted() { [[ $(uprop vm@mini.service MainPID) != "$spid" ]] && u_is_state vm@mini.service active; }
cx kill -KILL "$spid"
check "after SIGKILL of the supervisor, vm@mini.service is restarted by the user's manager" wait_for 10 restarted
check "... which re-attached to the same QEMU" grep -q "Re-attached to QEMU pid $qpid in machine-mini.scope" <(supervisor_log)
check "... that kept running" is "$(qemu_pids)" "$qpid"

# --- systemctl --user stop: the ACPI power button ------------------------------------------
downs=$(console_count VMUNIT-GUEST-POWERDOWN)
t0=$(now)
rc=0
uctl stop vm@mini.service || rc=$?
check "systemctl --user stop vm@mini succeeds" is "$rc" 0
info "stop: $(elapsed "$t0" "$(now)") s"
check "the guest powered off by the power button (VMUNIT-GUEST-POWERDOWN)" \
        wait_for 5 console_beyond VMUNIT-GUEST-POWERDOWN "$downs"
check "the supervisor pressed the ACPI power button" grep -q "pressing the ACPI power button" <(supervisor_log)
check "vm@mini.service is inactive" is "$(uprop vm@mini.service ActiveState)" inactive
check "... with result success" is "$(uprop vm@mini.service Result)" success
check "no QEMU of '$user' is left" no_qemu
check "the scope is gone" is "$(uprop machine-mini.scope LoadState)" not-found
check "the runtime dir is gone" cx test ! -e "/run/user/$uid/vmunit/mini"
check "the name is gone from the user bus" not on_user_bus org.vmunit.vm.mini

# --- vmctl --user: start through the user's manager, shutdown through the VM's object -------
readies=$(console_count VMUNIT-GUEST-READY)
downs=$(console_count VMUNIT-GUEST-POWERDOWN)
vmctl_user start mini
check "vmctl --user start mini (StartUnit on the user's manager)" rc_is 0
check "... vm@mini.service is active in the user's manager" u_is_state vm@mini.service active
check "... the guest booted again" wait_for "$boot_timeout" console_beyond VMUNIT-GUEST-READY "$readies"
vmctl_user domstate mini
check "vmctl --user domstate mini says running" is "$rc:$out" "0:running"
vmctl_user shutdown mini
check "vmctl --user shutdown mini (Shutdown() on the VM's object on the user bus)" rc_is 0
check "... the guest powered off" wait_for 10 console_beyond VMUNIT-GUEST-POWERDOWN "$downs"
check "... the unit ended (on_poweroff destroy)" wait_for 10 u_is_state vm@mini.service inactive
check "... no QEMU of '$user' is left" wait_for 5 no_qemu
check "... and no unit of the VM is loaded" \
        is "$(uctl list-units --all --no-legend --plain 'vm@*' 'machine-*' 2>/dev/null)" ""

info "total: $(elapsed "$t_all" "$(now)") s"
