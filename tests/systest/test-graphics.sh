#!/usr/bin/env bash
# System test of display ports under a real systemd: three VMs of the tiny test guest start at the
# same moment, two with <graphics type='spice' autoport='yes'> and one with VNC autoport. Each
# gets a port of its own (SPICE: the supervisor picks the first free port under a lock; VNC: QEMU
# searches with to=99), QEMU listens there (query-spice/query-vnc), the live XML says which, and a
# fixed SPICE port that is taken makes that VM's start fail with QEMU's error in the journal.
#
# Usage: test-graphics.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. Environment as test-supervisor.sh (VMUNIT_TEST_BOOT_TIMEOUT, VMUNIT_TEST_KEEP=1).
# Prints one line per check and last "N passed, N failed"; exit 0 only if all passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"
checks_init gfx "${1:-}"


qmp() { cx vmctl qemu-monitor-command "$1" "{\"execute\":\"$2\"}" 2>&1 || true; }
live_port() { cx vmctl dumpxml "$1" 2>/dev/null | grep -o "<graphics type='[a-z]*' port='[0-9]*'" | grep -o "[0-9]*'$" | tr -d "'"; }

checks_boot_container

domain() {      # NAME GRAPHICS-XML
        "$top/tests/guest/guest-domain.sh" "$1" "$img" | sed "s|<devices>|<devices>\n    $2|" \
                >"$root/etc/vmunit/domains/$1.xml"
}
domain s1 "<graphics type='spice' autoport='yes'/>"
domain s2 "<graphics type='spice' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>"
domain v1 "<graphics type='vnc' autoport='yes'/>"
cx systemctl daemon-reload

# all three at once: the supervisors race for ports
cx systemctl start vm@s1 vm@s2 vm@v1 || true
for vm in s1 s2 v1; do
        check "vm@$vm is running" cx systemctl is-active -q vm@$vm
done
p1=$(live_port s1) p2=$(live_port s2) pv=$(live_port v1)
check "the live XML gives each VM its port (spice $p1, $p2; vnc $pv)" test -n "$p1" -a -n "$p2" -a -n "$pv"
check "the two SPICE VMs got different ports" test "${p1:-x}" != "${p2:-x}"
check "no port is used twice" test "$(printf '%s\n' "$p1" "$p2" "$pv" | sort -u | wc -l)" -eq 3
check "QEMU of s1 listens on $p1 (query-spice)" grep -q "\"port\": *$p1\b" <<<"$(qmp s1 query-spice)"
check "QEMU of s2 listens on $p2 (query-spice)" grep -q "\"port\": *$p2\b" <<<"$(qmp s2 query-spice)"
check "QEMU of v1 listens on $pv (query-vnc)" grep -q "\"service\": *\"$pv\"" <<<"$(qmp v1 query-vnc)"
check "ports from 5900 up ($p1 $p2 $pv)" test "$(printf '%s\n' "$p1" "$p2" "$pv" | sort -n | head -n 1)" -eq 5900
check "no lock is held once they run" cx flock -n /run/vmunit/graphics-ports.lock true

# a fixed port that is taken: QEMU's own error, no retry elsewhere
domain fixed "<graphics type='spice' port='$p1' autoport='no'/>"
cx systemctl daemon-reload
cx systemctl start vm@fixed 2>/dev/null || true
check "a taken fixed SPICE port fails that VM's start" bash -c "! '$here/container.sh' exec '$container' systemctl is-active -q vm@fixed"
check "... with QEMU's error in the journal" grep -q "failed to initialize spice server" \
        <<<"$(cx journalctl --no-pager -q -o cat 2>&1 | grep -i spice || true)"

cx systemctl stop vm@s1 vm@s2 vm@v1
for vm in s1 s2 v1; do
        check "vm@$vm stopped" bash -c "! '$here/container.sh' exec '$container' systemctl is-active -q vm@$vm"
done
