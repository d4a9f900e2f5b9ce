#!/usr/bin/env bash
# System test of disk and NIC hotplug (AttachDevice/DetachDevice through vmctl) under a real
# systemd: the tiny test guest (TCG, q35 with spare pcie-root-ports) runs as vm@hp; a raw image
# owned by another user is attached as a virtio disk (QEMU's query-block and query-pci show it, the
# live XML has it at its address, the image belongs to vmunit-qemu), detached (gone, owner back),
# attached again and left for the stop to give back; a user NIC comes and goes; bad device XML, a
# device that is not there and a missing image get clear errors and change nothing.
#
# Usage: test-hotplug.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. Environment as test-supervisor.sh (VMUNIT_TEST_BOOT_TIMEOUT, VMUNIT_TEST_KEEP=1).
# Prints one line per check and last "N passed, N failed"; exit 0 only if all passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"
checks_init hp "${1:-}"


qmp() { cx vmctl qemu-monitor-command hp "{\"execute\":\"$1\"}" 2>&1 || true; }
owner() { cx stat -c %U:%u:%g "$1"; }
owner_is() { [[ $(owner "$1") == $2 ]]; }   # FILE USER:GROUP-PATTERN

checks_boot_container

install -d -m 0755 "$root$img" "$root/srv/hp"
truncate -s 4M "$root/srv/hp/d.img"
chown 1500:1500 "$root/srv/hp/d.img"
chmod 0600 "$root/srv/hp/d.img"
mkdir -p "$root/etc/vmunit/domains"
"$top/tests/guest/guest-domain.sh" hp "$img" |
        sed "s|<devices>|<devices>\n    <controller type='pci' index='1' model='pcie-root-port'/><controller type='pci' index='2' model='pcie-root-port'/><controller type='pci' index='3' model='pcie-root-port'/>|" \
        >"$root/etc/vmunit/domains/hp.xml"
cat >"$root/srv/hp/disk.xml" <<'EOF'
<disk type='file' device='disk'>
  <driver name='qemu' type='raw'/>
  <source file='/srv/hp/d.img'/>
  <target dev='vdb' bus='virtio'/>
</disk>
EOF
cat >"$root/srv/hp/nic.xml" <<'EOF'
<interface type='user'>
  <mac address='52:54:00:aa:bb:01'/>
  <model type='virtio'/>
</interface>
EOF
printf "<disk type='file'>\n<source file='/srv/hp/d.img'/>\n<target dev='vdb' bus='virtio' bogus='1'/>\n</disk>\n" >"$root/srv/hp/bad.xml"
printf "<disk type='file'><source file='/srv/hp/d.img'/><target dev='vdz' bus='virtio'/></disk>\n" >"$root/srv/hp/none.xml"
printf "<disk type='file'><source file='/srv/hp/missing.img'/><target dev='vdc' bus='virtio'/></disk>\n" >"$root/srv/hp/missing.xml"
cx systemctl daemon-reload

if ! cx systemctl start vm@hp || ! wait_for "$boot_timeout" console_has hp VMUNIT-GUEST-READY; then
        fail "vm@hp started and the guest booted"
        cx journalctl --no-pager -q -o cat -u vm@hp -n 20 || true
        exit 1
fi
pass "vm@hp started and the guest booted"

# --- disk --------------------------------------------------------------------------------
out=$(cx vmctl attach-device hp /srv/hp/disk.xml 2>&1 || true)
check "attach-device: virtio disk ($out)" has "Device attached successfully" "$out"
check "query-block shows virtio-disk1 on /srv/hp/d.img" has '"qdev":"/machine/peripheral/virtio-disk1/virtio-backend".*d.img\|d.img.*virtio-disk1' "$(qmp query-block)"
check "query-pci shows the virtio-blk device" has '"qdev_id":"virtio-disk1"' "$(qmp query-pci)"
xml=$(cx vmctl dumpxml hp 2>&1 || true)
check "dumpxml: vdb at the spare root port's bus" grep -Pzq "<target dev='vdb' bus='virtio'/>\s*<address type='pci' domain='0x0000' bus='0x0[1-9]'" <<<"$xml"
check "the image belongs to vmunit-qemu ($(owner /srv/hp/d.img))" owner_is /srv/hp/d.img "vmunit-qemu:*"
check "a journal records it" cx test -s /run/vmunit/hp/security.hotplug.vdb
out=$(cx vmctl attach-device hp /srv/hp/disk.xml 2>&1 || true)
check "attach-device of the same target again is refused ($out)" has "the running VM has a disk with this target already" "$out"

out=$(cx vmctl attach-device hp /srv/hp/bad.xml 2>&1 || true)
check "bad device XML: error with its line ($out)" has "device XML:3: <disk><target>: unsupported attribute 'bogus'" "$out"
out=$(cx vmctl detach-device hp /srv/hp/none.xml 2>&1 || true)
check "detach of a disk that is not there ($out)" has "<disk> 'vdz': the running VM has no disk with this target" "$out"

live_before=$(cx cat /run/vmunit/hp/live.xml)
out=$(cx vmctl attach-device hp /srv/hp/missing.xml 2>&1 || true)
check "attach of a missing image: QEMU's error ($out)" has "QEMU refused blockdev-add: .*missing.img" "$out"
check "... and the live XML is unchanged" test "$live_before" == "$(cx cat /run/vmunit/hp/live.xml)"
check "... and no journal is left for it" bash -c "! '$here/container.sh' exec '$container' test -e /run/vmunit/hp/security.hotplug.vdc"

t0=$(now)
out=$(cx vmctl detach-device hp /srv/hp/disk.xml 2>&1 || true)
check "detach-device: virtio disk ($out, $(elapsed "$t0" "$(now)") s)" has "Device detached successfully" "$out"
check "query-block no longer shows it" hasnt 'd.img' "$(qmp query-block)"
check "query-named-block-nodes: its nodes are gone" hasnt 'd.img' "$(qmp query-named-block-nodes)"
check "dumpxml: vdb gone" hasnt "dev='vdb'" "$(cx vmctl dumpxml hp 2>&1 || true)"
check "the image's owner is back ($(owner /srv/hp/d.img))" owner_is /srv/hp/d.img "*:1500:1500"
check "no journal left" bash -c "! '$here/container.sh' exec '$container' test -e /run/vmunit/hp/security.hotplug.vdb"

# --- NIC ---------------------------------------------------------------------------------
out=$(cx vmctl attach-device hp /srv/hp/nic.xml 2>&1 || true)
check "attach-device: user NIC ($out)" has "Device attached successfully" "$out"
check "query-pci shows net0" has '"qdev_id":"net0"' "$(qmp query-pci)"
check "dumpxml: the NIC" has "52:54:00:aa:bb:01" "$(cx vmctl dumpxml hp 2>&1 || true)"
out=$(cx vmctl detach-device hp /srv/hp/nic.xml 2>&1 || true)
check "detach-device: user NIC ($out)" has "Device detached successfully" "$out"
check "query-pci: net0 gone" hasnt '"qdev_id":"net0"' "$(qmp query-pci)"
check "dumpxml: the NIC gone" hasnt "52:54:00:aa:bb:01" "$(cx vmctl dumpxml hp 2>&1 || true)"

# --- detaching a disk from the middle renames nothing -----------------------------------------
# Block node names follow the target (vmunit-vdc-1-format), not the disk's place in the list: after vdc
# goes, vdd is still found by its names, and a new vde takes none in use.
for t in c d e; do
        truncate -s 1M "$root/srv/hp/$t.img"
        printf "<disk type='file'><driver name='qemu' type='raw'/><source file='/srv/hp/%s.img'/><target dev='vd%s' bus='virtio'/></disk>\n" \
                "$t" "$t" >"$root/srv/hp/vd$t.xml"
done
for t in c d; do
        out=$(cx vmctl attach-device hp /srv/hp/vd$t.xml 2>&1 || true)
        check "attach vd$t ($out)" has "Device attached successfully" "$out"
done
out=$(cx vmctl detach-device hp /srv/hp/vdc.xml 2>&1 || true)
check "detach vdc, the first of two ($out)" has "Device detached successfully" "$out"
out=$(cx vmctl attach-device hp /srv/hp/vde.xml 2>&1 || true)
check "attach vde after it ($out)" has "Device attached successfully" "$out"
check "query-named-block-nodes: vdd's and vde's nodes by their targets" \
        grep -q 'vmunit-vdd-1-format.*vmunit-vde-1-format\|vmunit-vde-1-format.*vmunit-vdd-1-format' <<<"$(qmp query-named-block-nodes)"
for t in d e; do
        out=$(cx vmctl detach-device hp /srv/hp/vd$t.xml 2>&1 || true)
        check "detach vd$t ($out)" has "Device detached successfully" "$out"
done
check "no node of vdc, vdd or vde is left" hasnt 'vmunit-vd[cde]-' "$(qmp query-named-block-nodes)"

# --- the stop gives back a disk that stayed attached ----------------------------------------
out=$(cx vmctl attach-device hp /srv/hp/disk.xml 2>&1 || true)
check "attach-device again ($out)" has "Device attached successfully" "$out"
check "the image belongs to vmunit-qemu again" owner_is /srv/hp/d.img "vmunit-qemu:*"
cx systemctl stop vm@hp
check "after the stop the image's owner is back ($(owner /srv/hp/d.img))" owner_is /srv/hp/d.img "*:1500:1500"
