#!/usr/bin/env bash
# System test of <disk><transient/> under a real systemd: the tiny test guest (TCG, q35) runs as
# vm@tr with a plain transient raw disk (vdb) and a <transient shareBacking='yes'/> qcow2 disk (vdc).
# While it runs, query-block shows each disk on a qcow2 overlay in /run/vmunit/tr backed by its
# image, vdc sits at its live-XML address (plugged in after start), writes through QEMU land in the
# overlays and never in the images; the stop removes the overlays and gives the owners back; the
# next start (over a stale overlay file, as a crash would leave) sees the images' data again. A start
# that fails after a first overlay was made (a later disk is not the qcow2 it claims) leaves none.
#
# Usage: test-transient.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. Environment as test-supervisor.sh (VMUNIT_TEST_BOOT_TIMEOUT, VMUNIT_TEST_KEEP=1).
# Prints one line per check and last "N passed, N failed"; exit 0 only if all passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"
checks_init tr "${1:-}"


qmp() { cx vmctl qemu-monitor-command tr "{\"execute\":\"$1\"}" 2>&1 || true; }
hmp() { cx vmctl qemu-monitor-command --hmp tr "$1" 2>&1 || true; }
owner() { cx stat -c %U:%u:%g "$1"; }
owner_is() { [[ $(owner "$1") == $2 ]]; }   # FILE USER:GROUP-PATTERN
sums() { (cd "$root/srv/tr" && sha256sum plain.img base.qcow2); }
absent() { ! cx test -e "$1"; }
qdev() { printf '/machine/peripheral/%s/virtio-backend' "$1"; }
# qemu-io's answer reading 64k at @3 of disk @1's overlay (with its backing), expecting byte @2
overlay_read() { cx qemu-io -r -U -f qcow2 -c "read -P $2 $3 64k" "/run/vmunit/tr/transient-$1.qcow2" 2>&1 || true; }

# The image and backing file of qdev @1 in query-block's answer @2: "FILE BACKING".
block_of() {
        python3 -c '
import json, sys
j = json.loads(sys.argv[2])
for b in (j.get("return", j) if isinstance(j, dict) else j):
    if b.get("qdev", "").startswith("/machine/peripheral/" + sys.argv[1] + "/"):
        i = b.get("inserted", {}).get("image", {})
        print(i.get("filename", ""), i.get("backing-filename", ""))' "$1" "$2"
}
# Is qdev @1 behind the root port pci.@2 in query-pci's answer @3?
pci_behind() {
        python3 -c '
import json, sys
def walk(devs, parent):
    for d in devs:
        if d.get("qdev_id") == sys.argv[1]:
            return parent
        br = d.get("pci_bridge")
        if br:
            p = walk(br.get("devices", []), d.get("qdev_id"))
            if p:
                return p
j = json.loads(sys.argv[3])
for bus in (j.get("return", j) if isinstance(j, dict) else j):
    if walk(bus["devices"], None) == "pci." + sys.argv[2]:
        sys.exit(0)
sys.exit(1)' "$1" "$2" "$3"
}

command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || { info "needs qemu-img and qemu-io (qemu-utils)"; exit 1; }
checks_boot_container

install -d -m 0755 "$root$img" "$root/srv/tr"
# Images with known data, owned by someone else: the plain one QEMU may write (it gets it), the
# shared one it only reads (group-readable, so it gets the group only).
qemu-img create -q -f raw "$root/srv/tr/plain.img" 8M
qemu-io -f raw -c 'write -P 0x11 0 1M' "$root/srv/tr/plain.img" >/dev/null
qemu-img create -q -f qcow2 "$root/srv/tr/base.qcow2" 8M
qemu-io -f qcow2 -c 'write -P 0x22 0 1M' "$root/srv/tr/base.qcow2" >/dev/null
truncate -s 1M "$root/srv/tr/notqcow2.img"
chown 1500:1500 "$root/srv/tr/plain.img" "$root/srv/tr/base.qcow2" "$root/srv/tr/notqcow2.img"
chmod 0600 "$root/srv/tr/plain.img"
chmod 0640 "$root/srv/tr/base.qcow2" "$root/srv/tr/notqcow2.img"
sums_before=$(sums)
mkdir -p "$root/etc/vmunit/domains"
disks="<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/srv/tr/plain.img'/><target dev='vdb' bus='virtio'/><transient/></disk>"
disks+="<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/srv/tr/base.qcow2'/><target dev='vdc' bus='virtio'/><transient shareBacking='yes'/></disk>"
"$top/tests/guest/guest-domain.sh" tr "$img" | sed "s|<devices>|<devices>\n    $disks|" >"$root/etc/vmunit/domains/tr.xml"
bad="<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/srv/tr/plain.img'/><target dev='vdb' bus='virtio'/><transient/></disk>"
bad+="<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/srv/tr/notqcow2.img'/><target dev='vdc' bus='virtio'/><transient shareBacking='yes'/></disk>"
"$top/tests/guest/guest-domain.sh" trbad "$img" | sed "s|<devices>|<devices>\n    $bad|" >"$root/etc/vmunit/domains/trbad.xml"
cx systemctl daemon-reload

if ! cx systemctl start vm@tr || ! wait_for "$boot_timeout" console_has tr VMUNIT-GUEST-READY; then
        fail "vm@tr started and the guest booted"
        cx journalctl --no-pager -q -o cat -u vm@tr -n 30 || true
        exit 1
fi
pass "vm@tr started and the guest booted"

# --- while it runs ---------------------------------------------------------------------------
blocks=$(qmp query-block)
got=$(block_of virtio-disk1 "$blocks")
check "query-block: vdb on its overlay, backed by plain.img ($got)" \
        test "$got" == "/run/vmunit/tr/transient-vdb.qcow2 /srv/tr/plain.img"
got=$(block_of virtio-disk2 "$blocks")
check "query-block: vdc (shareBacking) on its overlay, backed by base.qcow2 ($got)" \
        test "$got" == "/run/vmunit/tr/transient-vdc.qcow2 /srv/tr/base.qcow2"
check "query-named-block-nodes: base.qcow2 opened read-only" \
        python3 -c 'import json,sys; j = json.loads(sys.argv[1]); sys.exit(not any(n["file"].endswith("base.qcow2") and n["ro"] and n["drv"] == "qcow2" for n in (j.get("return", j) if isinstance(j, dict) else j)))' \
        "$(cx vmctl qemu-monitor-command tr '{"execute":"query-named-block-nodes","arguments":{"flat":true}}')"
xml=$(cx vmctl dumpxml tr 2>&1 || true)
check "dumpxml: vdc still transient with shareBacking" grep -Pzq "<target dev='vdc' bus='virtio'/>\s*<transient shareBacking='yes'/>" <<<"$xml"
bus=$(grep -Pzo "<target dev='vdc' bus='virtio'/>\s*<transient shareBacking='yes'/>\s*<alias name='[^']*'/>\s*<address type='pci' domain='0x0000' bus='0x\K[0-9a-f]+" <<<"$xml" | tr -d '\0' || true)
[[ -n $bus ]] || bus=$(grep -Pzo "<target dev='vdc' bus='virtio'/>\s*<transient shareBacking='yes'/>\s*<address type='pci' domain='0x0000' bus='0x\K[0-9a-f]+" <<<"$xml" | tr -d '\0' || true)
check "query-pci: vdc (virtio-disk2) is behind the root port of its live-XML address (bus 0x$bus)" \
        pci_behind virtio-disk2 "$((16#${bus:-ff}))" "$(qmp query-pci)"
check "the overlays are vmunit-qemu's ($(owner /run/vmunit/tr/transient-vdb.qcow2))" \
        owner_is /run/vmunit/tr/transient-vdb.qcow2 "vmunit-qemu:*"
check "plain.img belongs to vmunit-qemu while it runs" owner_is /srv/tr/plain.img "vmunit-qemu:*"
check "base.qcow2 keeps its owner, QEMU reads it by group ($(owner /srv/tr/base.qcow2))" \
        owner_is /srv/tr/base.qcow2 "*:1500:$(cx id -g vmunit-qemu)"

# Writes through the guest's disks (QEMU's own qemu-io on the device's backend), flushed so that
# the overlays' qcow2 metadata is on disk; then read from the overlays themselves.
out=$(hmp "qemu-io -d $(qdev virtio-disk1) \"write -P 0xab 0 64k\"")$(hmp "qemu-io -d $(qdev virtio-disk1) flush")
check "qemu-io write to vdb through QEMU ($out)" test -z "$out"
out=$(hmp "qemu-io -d $(qdev virtio-disk2) \"write -P 0xcd 0 64k\"")$(hmp "qemu-io -d $(qdev virtio-disk2) flush")
check "qemu-io write to vdc through QEMU ($out)" test -z "$out"
out=$(overlay_read vdb 0xab 0)
check "vdb's overlay has what was written ($(head -1 <<<"$out"))" hasnt "fail\|rror" "$out"
out=$(overlay_read vdc 0xcd 0)
check "vdc's overlay has what was written ($(head -1 <<<"$out"))" hasnt "fail\|rror" "$out"
out=$(overlay_read vdc 0x22 64k)
check "past the write, vdc's overlay shows base.qcow2's data ($(head -1 <<<"$out"))" hasnt "fail\|rror" "$out"
check "the originals are unchanged while it runs" test "$sums_before" == "$(sums)"

# --- stop --------------------------------------------------------------------------------
cx systemctl stop vm@tr
check "after the stop the overlays are gone" absent /run/vmunit/tr/transient-vdb.qcow2
check "... and vdc's too" absent /run/vmunit/tr/transient-vdc.qcow2
check "plain.img's owner is back ($(owner /srv/tr/plain.img))" owner_is /srv/tr/plain.img "*:1500:1500"
check "base.qcow2's owner is back ($(owner /srv/tr/base.qcow2))" owner_is /srv/tr/base.qcow2 "*:1500:1500"
check "the originals are unchanged after the stop" test "$sums_before" == "$(sums)"

# --- a stale overlay (as a crash leaves one) and a fresh start -------------------------------
cx install -d -m 0700 /run/vmunit/tr
cx sh -c 'head -c 65536 /dev/urandom >/run/vmunit/tr/transient-vdb.qcow2'
if cx systemctl start vm@tr && wait_for "$boot_timeout" console_has tr VMUNIT-GUEST-READY; then
        pass "vm@tr starts again over a stale overlay file"
else
        fail "vm@tr starts again over a stale overlay file"
        cx journalctl --no-pager -q -o cat -u vm@tr -n 30 || true
fi
out=$(overlay_read vdb 0x11 0)
check "vdb shows plain.img's data again: the last run's writes are gone ($(head -1 <<<"$out"))" hasnt "fail\|rror" "$out"
out=$(overlay_read vdc 0x22 0)
check "vdc shows base.qcow2's data again ($(head -1 <<<"$out"))" hasnt "fail\|rror" "$out"
cx systemctl stop vm@tr
check "stopped again: no overlay left" absent /run/vmunit/tr/transient-vdb.qcow2

# --- a start that fails after the first overlay was made ----------------------------------------
if cx systemctl start vm@trbad 2>/dev/null; then
        fail "vm@trbad (vdc is not a qcow2 image) fails to start"
else
        pass "vm@trbad (vdc is not a qcow2 image) fails to start"
fi
log=$(cx journalctl --no-pager -q -o cat -u vm@trbad 2>&1 || true)
check "... with QEMU's reason in the journal" has "transient disks: QMP 'blockdev-add' failed" "$log"
check "... and no overlay is left" absent /run/vmunit/trbad/transient-vdb.qcow2
check "... nor its runtime dir" absent /run/vmunit/trbad
check "... plain.img's owner is back ($(owner /srv/tr/plain.img))" owner_is /srv/tr/plain.img "*:1500:1500"
check "the originals are unchanged at the end" test "$sums_before" == "$(sums)"
