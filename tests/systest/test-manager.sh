#!/usr/bin/env bash
# System test of vmunit-managerd (org.vmunit.Manager1), polkit and vmctl under a real systemd and
# the real system bus (issue 5): D-Bus activation and idle exit, the introspection against the
# documented API (tests/data/bus/org.vmunit.Manager1.introspect), define / list --json /
# dumpxml --inactive / autostart / undefine, a VM started through systemd and undefine refused while
# it runs, a non-root user denied (exit 4) under the default policy and allowed once the example
# rule puts them in group vmunit (read verbs work for them all along), bad names, invalid XML that
# leaves the old definition as it was, 100 concurrent `vmctl list`, and a hung, killed or broken
# manager reported in under a second.
#
# Usage: test-manager.sh [BUILD_DIR]      (default: build/ at the top of the repository)
# Needs root. VMUNIT_TEST_REGENERATE=1 rewrites the expected introspection file;
# VMUNIT_TEST_KEEP=1 keeps the container on failure (stop it with container.sh stop).
# Prints one line per check and "N passed, N failed"; exit 0 only if all passed. Always tears the
# container down.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(readlink -f "${1:-$top/build}")
container=vmunit-mgr-$$
started=0

# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"

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
        checks_summary && [[ $rc -eq 0 ]] && exit 0
        exit 1
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

cx() { "$here/container.sh" exec "$container" "$@"; }
prop() { cx systemctl show -P "$2" "$1" 2>/dev/null; }     # UNIT PROPERTY
is_state() { [[ $(prop "$1" ActiveState) == "$2" ]]; }
# as USER: runs CMD inside as that user (the bus sees their uid), output and status as they are
as() { local u=$1; shift; cx setpriv --reuid="$u" --regid="$u" --init-groups --reset-env -- "$@"; }

# vm CMD...: runs vmctl inside; sets $out (stdout+stderr) and $rc
out='' rc=0
vm() { rc=0; out=$(cx vmctl --no-pager "$@" 2>&1) || rc=$?; }
vm_as() { local u=$1; shift; rc=0; out=$(as "$u" vmctl --no-pager "$@" 2>&1) || rc=$?; }
rc_is() { [[ $rc == "$1" ]] || { printf '        exit %s, expected %s: %s\n' "$rc" "$1" "$out"; return 1; }; }
out_has() { grep -q -- "$1" <<<"$out" || { printf '        output lacks "%s": %s\n' "$1" "$out"; return 1; }; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1" <<<"$out"; }

# --- set-up ------------------------------------------------------------------------------
[[ $EUID -eq 0 ]] || { info "must run as root"; exit 1; }
[[ -x $build/tools/vmunit-managerd ]] || { info "no vmunit-managerd in '$build' (run ninja first)"; exit 1; }
"$top/tests/guest/make-guest.sh" "$build/guest" >/dev/null 2>&1 || { info "building the test guest failed"; exit 1; }

started=1
t0=$(now)
"$here/container.sh" start "$container" --install-from "$build" >/dev/null 2>&1 ||
        { info "container start failed"; exit 1; }
info "container '$container' up in $(elapsed "$t0" "$(now)") s"
root=$("$here/container.sh" root "$container")
img=/var/lib/vmunit-test
install -d -m 0755 "$root$img"
install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$root$img/"
# The VMs here are stopped right after their start, before the guest listens to the power
# button: a short ACPI wait instead of the default minute.
printf '# vmunit.conf of the manager system test\nshutdown_timeout = 3\n' >"$root/etc/vmunit/vmunit.conf"
cx useradd -m -s /bin/bash alice
cx groupadd --system vmunit
mkdir -p "$root/var/lib/vmunit-mgr"
chmod 0755 "$root/var/lib/vmunit-mgr"

domain() {              # NAME [EXTRA-DEVICE-XML]: the tiny test guest
        cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$img/vmlinuz</kernel>
    <initrd>$img/initrd.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 cryptomgr.notests</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='stdio'><target port='0'/></serial>
    <memballoon model='none'/>${2:-}
  </devices>
</domain>
EOF
}
put() { cat >"$root/var/lib/vmunit-mgr/$1"; chmod 0644 "$root/var/lib/vmunit-mgr/$1"; }    # FILE < text

# --- activation, introspection ---------------------------------------------------------
check "vmunit-managerd is not running before the first call" is_state vmunit-managerd.service inactive
t0=$(now)
vm list --all
check "vmctl list activates the manager through the bus (exit 0)" rc_is 0
info "first call with activation: $(elapsed "$t0" "$(now)") s"
check "vmunit-managerd.service is active after the call" is_state vmunit-managerd.service active
check_introspect "$container" org.vmunit.Manager1 /org/vmunit/Manager1 \
        "$top/tests/data/bus/org.vmunit.Manager1.introspect" org.vmunit.Manager1

# --- define, list --json, dumpxml --inactive, autostart, undefine --------------------------
domain web | put web.xml
vm define /var/lib/vmunit-mgr/web.xml
check "define FILE (exit 0)" rc_is 0
check "define says what it defined" out_has "Domain 'web' defined from /var/lib/vmunit-mgr/web.xml"
check "the definition is in /etc/vmunit/domains/web.xml, mode 0600" \
        test "$(stat -c %a "$root/etc/vmunit/domains/web.xml" 2>/dev/null)" = 600
vm list --all --json
check "list --all --json (exit 0)" rc_is 0
check "list --json: web, shut off, not autostarted, with a UUID" json \
        'w=[x for x in d if x["name"]=="web"][0]; assert w["state"]=="shut off" and w["autostart"] is False and len(w["uuid"])==36 and w["active_state"]=="inactive"'
uuid=$(json 'print([x for x in d if x["name"]=="web"][0]["uuid"])') || true
vm list --json
check "list --json without --all: no running domain" json 'assert d == []'
vm dumpxml --inactive web
check "dumpxml --inactive (exit 0)" rc_is 0
check "dumpxml --inactive: the normalized definition with the UUID the manager gave it" \
        out_has "<uuid>$uuid</uuid>"
vm autostart web
check "autostart (exit 0)" rc_is 0
check "autostart: /etc/vmunit/autostart/web -> ../domains/web.xml" \
        test "$(readlink "$root/etc/vmunit/autostart/web")" = ../domains/web.xml
vm list --all --json
check "list --json shows autostart" json 'assert [x for x in d if x["name"]=="web"][0]["autostart"] is True'
vm autostart --disable web
check "autostart --disable removes the entry" test ! -e "$root/etc/vmunit/autostart/web" -a "$rc" = 0
vm dominfo --json web
check "dominfo --json: state, vCPUs, memory, unit" json \
        'assert d["state"]=="shut off" and d["vcpus"]==1 and d["max_memory_kib"]==262144 and d["unit"]=="vm@web.service"'
vm domstate web
check "domstate: shut off" out_has "^shut off$"
vm capabilities
check "capabilities through the manager (exit 0, <capabilities>)" out_has "<capabilities>"

# --- a running VM: start through systemd, undefine refused -----------------------------
vm start web
check "start waits for vm@web.service (exit 0)" rc_is 0
check "vm@web.service is active" is_state vm@web.service active
vm list --json
check "list --json shows web running" json 'assert [x["state"] for x in d if x["name"]=="web"] == ["running"]'
vm start web
check "start of a running domain: exit 1, already active" rc_is 1
vm undefine web
check "undefine of a running domain: exit 1 (DomainActive)" rc_is 1
check "undefine refused names the reason" out_has "is running"
check "the definition is still there" test -f "$root/etc/vmunit/domains/web.xml"
vm dumpxml web
check "dumpxml of a running domain (exit 0)" rc_is 0
check "dumpxml of a running domain is the supervisor's live XML (<domain id=PID>)" out_has "<domain type='qemu' id='[0-9]"
cx systemctl stop vm@web.service
vm undefine web
check "undefine once stopped (exit 0)" rc_is 0
check "the definition is gone" test ! -e "$root/etc/vmunit/domains/web.xml"
vm dominfo web
check "dominfo of an undefined domain: exit 3" rc_is 3

# --- invalid XML keeps the old definition ---------------------------------------------------
domain keep | put keep.xml
vm define /var/lib/vmunit-mgr/keep.xml
before=$(sha256sum <"$root/etc/vmunit/domains/keep.xml")
domain keep "
    <bogus/>" | put keep-bad.xml
vm define /var/lib/vmunit-mgr/keep-bad.xml
check "define of invalid XML: exit 1" rc_is 1
check "the error names the file, line and element" out_has "/var/lib/vmunit-mgr/keep-bad.xml:16: <bogus>"
check "the old definition is intact" test "$(sha256sum <"$root/etc/vmunit/domains/keep.xml")" = "$before"
check "no temporary file is left in the domains dir" test "$(ls -A "$root/etc/vmunit/domains")" = keep.xml
printf '<domain type="qemu"><name>keep</name>' | put trunc.xml
vm define /var/lib/vmunit-mgr/trunc.xml
check "define of malformed XML: exit 1, old definition intact" \
        test "$rc" = 1 -a "$(sha256sum <"$root/etc/vmunit/domains/keep.xml")" = "$before"
sed "s|<name>keep</name>|<name>keep</name><uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>|" \
        "$root/var/lib/vmunit-mgr/keep.xml" | put keep-uuid.xml
vm define /var/lib/vmunit-mgr/keep-uuid.xml
check "redefining with another UUID: refused, exit 1" rc_is 1

# --- edit: $EDITOR, the strict parser, "Edit again?" on an error -----------------------------
# The editor breaks the XML on its first call and fixes it (with 2 vCPUs) on its second.
cat >"$root/var/lib/vmunit-mgr/editor" <<'EOF'
#!/bin/sh
calls=/var/lib/vmunit-mgr/editor-calls
n=$(($(cat "$calls" 2>/dev/null || echo 0) + 1))
echo "$n" >"$calls"
if [ "$n" = 1 ]; then
        sed -i 's|</vcpu>|</vcpu><bogus/>|' "$1"
else
        sed -i -e 's|<bogus/>||' -e 's|<vcpu\([^>]*\)>[0-9]*</vcpu>|<vcpu\1>2</vcpu>|' "$1"
fi
EOF
chmod 0755 "$root/var/lib/vmunit-mgr/editor"
rc=0
out=$(printf 'y\n' | cx env EDITOR=/var/lib/vmunit-mgr/editor vmctl --no-pager edit keep 2>&1) || rc=$?
check "edit: an invalid edit is shown with its line, 'Edit again?', then the fixed one is defined" \
        bash -c '[[ $1 == 0 && $2 == *"<bogus>"* && $2 == *"Edit again?"* && $2 == *"XML configuration edited"* ]]' _ "$rc" "$out"
check "edit: the editor ran twice" test "$(cat "$root/var/lib/vmunit-mgr/editor-calls")" = 2
check "edit: the definition has the edit (2 vCPUs)" grep -q '<vcpu[^>]*>2</vcpu>' "$root/etc/vmunit/domains/keep.xml"
rm -f "$root/var/lib/vmunit-mgr/editor-calls"
rc=0
out=$(printf 'n\n' | cx env EDITOR=/var/lib/vmunit-mgr/editor vmctl --no-pager edit keep 2>&1) || rc=$?
check "edit: an invalid edit not retried leaves the definition unchanged, exit 1" \
        bash -c '[[ $1 == 1 && $2 == *"unchanged"* ]] && grep -q "<vcpu[^>]*>2</vcpu>" "$3"' _ "$rc" "$out" "$root/etc/vmunit/domains/keep.xml"

# --- bad names ---------------------------------------------------------------------------
long=$(printf 'x%.0s' {1..300})
for n in "a/b" ".." "../etc" "$long" $'bad\x01ctl'; do
        vm dominfo "$n"
        check "dominfo '${n:0:20}': exit 2, invalid domain name" rc_is 2
done
vm dominfo "$(printf 'caf\xe9')"
check "a non-UTF-8 name: exit 2, says so" out_has "not valid UTF-8"
vm dominfo "it's \"quoted\""
check "a quoted name that is not defined: exit 3" rc_is 3
domain "it's \"q\" & <x>" | sed "s|<name>it's \"q\" & <x></name>|<name>it's \"q\" \&amp; \&lt;x\&gt;</name>|" | put q.xml
vm define /var/lib/vmunit-mgr/q.xml
check "a domain named with quotes, & and < is defined" rc_is 0
vm dumpxml --inactive "it's \"q\" & <x>"
check "... and read back" out_has "<name>it's \"q\" &amp; &lt;x&gt;</name>"
vm undefine "it's \"q\" & <x>"
check "... and undefined" rc_is 0
berr() { cx busctl call org.vmunit.Manager1 /org/vmunit/Manager1 org.vmunit.Manager1 "$@" 2>&1 || true; }
check "the manager itself refuses '../x' (InvalidName)" \
        grep -q "Invalid domain name" <<<"$(berr GetXML st ../x 0)"
check "the manager itself refuses 300 bytes (InvalidName)" \
        grep -q "Invalid domain name" <<<"$(berr GetXML st "$long" 0)"
check "the manager refuses an unknown native format" \
        grep -q "Unsupported native format" <<<"$(berr DomainXMLToNative ss bogus x)"

# --- a non-root user under the default policy, then in group vmunit ----------------------
domain alice1 | put alice1.xml
vm_as alice list --all
check "alice: list (read) works under the default policy" rc_is 0
vm_as alice dumpxml --inactive keep
check "alice: dumpxml --inactive works" rc_is 0
vm_as alice dominfo keep
check "alice: dominfo works" rc_is 0
vm_as alice define /var/lib/vmunit-mgr/alice1.xml
check "alice: define is denied, exit 4" rc_is 4
check "alice: the denial says access denied" out_has "access denied"
check "alice: nothing was written" test ! -e "$root/etc/vmunit/domains/alice1.xml"
vm_as alice autostart keep
check "alice: autostart is denied, exit 4" rc_is 4
vm_as alice undefine keep
check "alice: undefine is denied, exit 4" rc_is 4
vm_as alice dumpxml --inactive --security-info keep
check "alice: dumpxml --security-info is denied, exit 4" rc_is 4
vm_as alice start keep
check "alice: start (systemd's manage-units) is denied, exit 4" rc_is 4
# The VM's own object (its supervisor's org.vmunit.VM1): reads open, controls and the monitor not.
cx systemctl start vm@keep.service
vm_as alice dumpxml keep
check "alice: dumpxml of the running VM (its live XML) works" bash -c '[[ $1 == 0 && $2 == *"<domain type="*" id="* ]]' _ "$rc" "$out"
vm_as alice suspend keep
check "alice: suspend (the VM's Pause) is denied, exit 4" rc_is 4
vm_as alice qemu-monitor-command keep '{"execute":"query-status"}'
check "alice: qemu-monitor-command is denied, exit 4" rc_is 4
vm_as alice destroy keep
check "alice: destroy is denied, exit 4" rc_is 4
check "... and keep still runs" is_state vm@keep.service active

install -d -m 0755 "$root/etc/polkit-1/rules.d"
install -m 0644 "$top/polkit/50-vmunit-group.rules.example" "$root/etc/polkit-1/rules.d/50-vmunit-group.rules"
cx usermod -aG vmunit alice
# polkitd reloads rules.d on change; wait until it has
wait_for 10 bash -c "! $(printf '%q ' "$here/container.sh") exec $container setpriv --reuid=alice --regid=alice --init-groups --reset-env vmctl autostart keep 2>&1 | grep -q 'access denied'" || true
vm_as alice define /var/lib/vmunit-mgr/alice1.xml
check "alice in group vmunit: define allowed" rc_is 0
vm_as alice autostart alice1
check "alice in group vmunit: autostart allowed" rc_is 0
vm_as alice start alice1
check "alice in group vmunit: start through systemd allowed" rc_is 0
vm_as alice suspend keep
check "alice in group vmunit: suspend allowed" rc_is 0
vm_as alice resume keep
check "alice in group vmunit: resume allowed" rc_is 0
vm_as alice qemu-monitor-command keep '{"execute":"query-status"}'
check "alice in group vmunit: qemu-monitor-command still denied (auth_admin), exit 4" rc_is 4
vm_as alice destroy keep
check "alice in group vmunit: destroy allowed" rc_is 0
check "... and keep's unit ended with success" wait_for 10 bash -c "[[ \$($(printf '%q ' "$here/container.sh") exec $container systemctl show -P ActiveState vm@keep.service) == inactive ]]"
cx systemctl stop vm@alice1.service
vm_as alice undefine alice1
check "alice in group vmunit: undefine allowed" rc_is 0
cx useradd -m bob
vm_as bob define /var/lib/vmunit-mgr/alice1.xml
check "bob (not in the group) is still denied, exit 4" rc_is 4

# --- 100 concurrent vmctl list -------------------------------------------------------------
for i in $(seq 1 40); do domain "many$i" >"$root/etc/vmunit/domains/many$i.xml"; done
cx bash -c 'for i in $(seq 1 100); do (vmctl list --all --name >/var/lib/vmunit-mgr/list.$i 2>&1; echo $? >/var/lib/vmunit-mgr/rc.$i) & done; wait'
ok=0
for i in $(seq 1 100); do
        [[ $(cat "$root/var/lib/vmunit-mgr/rc.$i" 2>/dev/null) == 0 && $(grep -c '^many' "$root/var/lib/vmunit-mgr/list.$i") == 40 ]] && ok=$((ok + 1))
done
check "100 concurrent 'vmctl list' all answered with all 41 domains ($ok/100)" test "$ok" = 100

# --- a hung, killed or broken manager ------------------------------------------------------
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
vm list
mpid=$(prop vmunit-managerd.service MainPID)
cx kill -STOP "$mpid"
t0=$(now); vm list; t1=$(now)
check "hung manager (SIGSTOP): exit 1 in $(ms "$t0" "$t1") ms < 1000" test "$rc" = 1 -a "$(ms "$t0" "$t1")" -lt 1000
check "hung manager: the message says it did not answer" out_has "did not answer within 0.6 s"
# killed while a call waits: the ping of a fresh vmctl waits behind the stopped manager
(k=0; cx vmctl --no-pager list >"$root/var/lib/vmunit-mgr/killed.out" 2>&1 || k=$?; echo "$k" >"$root/var/lib/vmunit-mgr/killed.rc") &
sleep 0.3
t0=$(now); cx kill -KILL "$mpid"; wait $!; t1=$(now)
check "manager killed during a call: vmctl answers in $(ms "$t0" "$t1") ms < 1000, exit 1" \
        test "$(cat "$root/var/lib/vmunit-mgr/killed.rc")" = 1 -a "$(ms "$t0" "$t1")" -lt 1000
check "manager killed: the message says it exited without answering" \
        grep -q "exited without answering" "$root/var/lib/vmunit-mgr/killed.out"
wait_for 5 bash -c "! $(printf '%q ' "$here/container.sh") exec $container systemctl is-active -q vmunit-managerd" || true
vm list --all --name
check "after the kill the next call activates a new manager" rc_is 0
# an idle timeout of 1 s instead of 30, to see the manager leave and come back
mkdir -p "$root/etc/systemd/system/vmunit-managerd.service.d"
printf '[Service]\nExecStart=\nExecStart=%s --idle-timeout=1\n' \
        "$(cx systemctl cat vmunit-managerd.service | sed -n 's/^ExecStart=\(\/[^ ]*vmunit-managerd\).*/\1/p' | tail -n 1)" \
        >"$root/etc/systemd/system/vmunit-managerd.service.d/idle.conf"
cx systemctl daemon-reload
cx systemctl stop vmunit-managerd.service
vm list --all --name
check "manager with --idle-timeout=1 answers" rc_is 0
check "... and exits when idle" wait_for 5 is_state vmunit-managerd.service inactive
check "... cleanly (result success)" test "$(prop vmunit-managerd.service Result)" = success
vm list --all --name
check "... and is activated again by the next call" rc_is 0
mkdir -p "$root/etc/systemd/system/vmunit-managerd.service.d"
printf '[Service]\nExecStart=\nExecStart=/bin/false\n' >"$root/etc/systemd/system/vmunit-managerd.service.d/broken.conf"
rm -f "$root/etc/systemd/system/vmunit-managerd.service.d/idle.conf"
cx systemctl daemon-reload
cx systemctl stop vmunit-managerd.service
t0=$(now); vm list; t1=$(now)
check "broken manager unit: exit 1 in $(ms "$t0" "$t1") ms < 1000" test "$rc" = 1 -a "$(ms "$t0" "$t1")" -lt 1000
# systemd does not tell the bus that the activation failed: the bus waits for the name until its own
# activation timeout, and vmctl's liveness check is what answers
check "broken manager unit: the message says it did not answer" out_has "vmunit-managerd did not answer"
