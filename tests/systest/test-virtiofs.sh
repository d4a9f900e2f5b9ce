#!/usr/bin/env bash
# System test of <filesystem><driver type='virtiofs'/> under a real systemd: the tiny test guest
# (vmunit.virtiofs=share) mounts a host directory shared through the virtiofsd the supervisor
# starts, prints the content of its file 'hello' and writes 'from-guest', which the host then
# sees. virtiofsd runs as root in the VM's scope while the VM runs, its socket belongs to QEMU's
# user; it survives a killed supervisor (re-attach) and is gone after `systemctl stop`. A missing
# source directory is refused at start naming the domain file and line, leaving nothing behind.
#
# Usage: test-virtiofs.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. Environment as test-supervisor.sh (VMUNIT_TEST_BOOT_TIMEOUT, VMUNIT_TEST_KEEP=1).
# Prints one line per check and last "N passed, N failed"; exit 0 only if all passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"
checks_init vfs "${1:-}"


prop() { cx systemctl show -P "$2" "$1" 2>/dev/null; }     # UNIT PROPERTY
is_state() { [[ $(prop "$1" ActiveState) == "$2" ]]; }
journal_has() { cx journalctl --no-pager -q -o cat -u "$1" 2>/dev/null | grep -q -- "$2"; }
virtiofsd_pids() { cx pgrep -f "virtiofsd --socket-path=/run/vmunit/$1/" 2>/dev/null || true; }
no_virtiofsd() { [[ -z $(virtiofsd_pids "$1") ]]; }
no_runtime_dir() { ! cx test -e "/run/vmunit/$1"; }
scope_gone() { [[ $(prop "machine-$1.scope" ActiveState) != active ]]; }

# domain XML for the tiny guest with a virtiofs share of @dir (RAM shared, as virtiofs needs)
domain() {      # NAME DIR
        "$top/tests/guest/guest-domain.sh" --cmdline=" vmunit.virtiofs=share" "$1" "$img" |
                sed -e "s|^  <vcpu>|  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>\n  <vcpu>|" \
                    -e "s|^  <devices>|  <devices>\n    <filesystem type='mount' accessmode='passthrough'>\n      <driver type='virtiofs'/>\n      <source dir='$2'/>\n      <target dir='share'/>\n    </filesystem>|"
}

[[ -x /usr/lib/qemu/virtiofsd ]] || { info "no /usr/lib/qemu/virtiofsd (Debian's qemu-system-common)"; exit 1; }
checks_boot_container

content="host-content-$$"
install -d -m 0755 "$root$img" "$root/srv/vfs/share"
printf '%s\n' "$content" >"$root/srv/vfs/share/hello"
mkdir -p "$root/etc/vmunit/domains"
domain vfs /srv/vfs/share >"$root/etc/vmunit/domains/vfs.xml"
domain vfsmiss /srv/vfs/missing >"$root/etc/vmunit/domains/vfsmiss.xml"
cx systemctl daemon-reload

# --- the share, both ways ------------------------------------------------------------------
if ! cx systemctl start vm@vfs || ! wait_for "$boot_timeout" console_has vfs VMUNIT-GUEST-READY; then
        fail "vm@vfs started and the guest booted"
        cx journalctl --no-pager -q -o cat -u vm@vfs -n 30 || true
        cx journalctl --no-pager -q -o cat -t virtiofsd -n 30 || true
        cx journalctl --no-pager -q -o cat -u machine-vfs.scope -t console -n 30 | grep -v UPTIME || true
        exit 1
fi
pass "vm@vfs started and the guest booted"
check "the guest read the host's file through virtiofs (VMUNIT-GUEST-VIRTIOFS $content)" \
        console_has vfs "^VMUNIT-GUEST-VIRTIOFS $content\$"
check "the host sees the file the guest wrote" \
        test "$(cx cat /srv/vfs/share/from-guest 2>/dev/null)" = "written by the guest"
qpid=$(cx sed -n 's/^PID=//p' /run/vmunit/vfs/vmunit-state)
args=$(cx cat "/proc/$qpid/cmdline" | tr '\0' ' ')
check "QEMU has the vhost-user-fs device on the socket" has "vhost-user-fs-pci.*\"chardev\":\"chr-vu-fs0\".*\"tag\":\"share\"" "$args"

# its sandbox (mount, pid and net namespaces) runs it as a child of a waiting parent: two processes
pids=$(virtiofsd_pids vfs)
vpid=$(cx pgrep -o -f "virtiofsd --socket-path=/run/vmunit/vfs/" || true)
check "virtiofsd runs for the share (pids $(echo $pids))" test -n "$vpid"
check "... as root" test "$(cx stat -c %u "/proc/$vpid")" = 0
check "... exporting /srv/vfs/share" has "source=/srv/vfs/share" "$(cx cat "/proc/$vpid/cmdline" | tr '\0' ' ')"
check "... in the VM's scope, with QEMU" has "machine-vfs.scope" "$(cx cat "/proc/$vpid/cgroup")"
check "its socket is QEMU's user's alone ($(cx stat -c '%U %a' /run/vmunit/vfs/fs0-fs.sock))" \
        test "$(cx stat -c '%U %a %F' /run/vmunit/vfs/fs0-fs.sock)" = "vmunit-qemu 600 socket"
check "dumpxml keeps the virtiofs driver" has "<driver type='virtiofs'/>" "$(cx vmctl dumpxml vfs 2>&1 || true)"

# --- a killed supervisor: virtiofsd keeps serving, the later stop ends it -------------------
spid=$(prop vm@vfs MainPID)
cx kill -KILL "$spid"
restarted_active() { [[ $(prop vm@vfs NRestarts) -ge 1 ]] && is_state vm@vfs active; }
check "supervisor killed with SIGKILL was restarted" wait_for 20 restarted_active
check "... and re-attached" journal_has vm@vfs "^Re-attached to QEMU pid "
check "... with the same virtiofsd still running (pids $(echo $pids))" test "$(virtiofsd_pids vfs)" = "$pids"

cx systemctl stop vm@vfs
check "after systemctl stop no virtiofsd is left" wait_for 10 no_virtiofsd vfs
check "... the scope is gone" scope_gone vfs
check "... the runtime dir (and socket) is gone" no_runtime_dir vfs

# --- a missing source directory is refused at start -----------------------------------------
line=$(grep -n "<filesystem" "$root/etc/vmunit/domains/vfsmiss.xml" | cut -d: -f1)
if cx systemctl start vm@vfsmiss 2>/dev/null; then
        fail "vm@vfsmiss with a missing source directory is refused at start"
else
        pass "vm@vfsmiss with a missing source directory is refused at start"
fi
check "the journal names the file, line and directory" journal_has vm@vfsmiss \
        "/etc/vmunit/domains/vfsmiss.xml:$line: <filesystem> 'share': source directory '/srv/vfs/missing' is missing"
check "... and no virtiofsd, scope or runtime dir is left" \
        bash -c "[[ -z \$('$here/container.sh' exec '$container' pgrep -f virtiofsd || true) ]] &&
                 ! '$here/container.sh' exec '$container' test -e /run/vmunit/vfsmiss"
check "... no QEMU was started" bash -c "! '$here/container.sh' exec '$container' pgrep -f 'guest=vfsmiss'"
check "nothing of virtiofsd left at the end" no_virtiofsd vfs
