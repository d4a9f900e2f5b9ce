#!/usr/bin/env bash
# System test of tap networking under a real systemd: in the container's own network namespace a
# Linux bridge br0 (MTU 1400, 10.77.0.1/24) and a libvirt network definition "lan" for it; the tiny
# test guest runs as vm@net with a type='bridge' virtio NIC (its kernel gives eth0 10.77.0.2), a
# type='network' NIC with <mtu size='1300'/>, and a type='ethernet' tap with a <script> and a
# <downscript>. Checked: the
# taps exist with the guest MACs' 0xFE twins, in the bridge, with the MTU, up; QEMU holds them as
# inherited fds (no /dev/net/tun access of its own); the host pings the guest through the bridge;
# the script ran with the tap's name; after the stop every tap is gone, br0 is empty and the
# downscript ran once with the tap's name (the tap already gone, as with libvirt). An existing
# persistent tap (managed='no') is used as it is and stays. Refused at start with the domain file
# and line, leaving no tap and no scope behind: a missing bridge, an undefined network, a
# <virtualport>, vhost without /dev/vhost-net.
#
# Usage: test-network.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. Environment as test-supervisor.sh (VMUNIT_TEST_BOOT_TIMEOUT, VMUNIT_TEST_KEEP=1).
# Prints one line per check and last "N passed, N failed"; exit 0 only if all passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"
checks_init net "${1:-}"


link() { cx ip -o link show "$@" 2>/dev/null || true; }
no_taps() { [[ -z $(cx ip -o link show type tun 2>/dev/null | grep -v ptap0 || true) ]]; }
no_scope() { ! cx systemctl is-active -q "machine-$1.scope"; }

checks_boot_container

install -d -m 0755 "$root$img" "$root/etc/vmunit/domains" "$root/etc/vmunit/networks"
cat >"$root/etc/vmunit/networks/lan.xml" <<'EOF'
<network>
  <name>lan</name>
  <forward mode='bridge'/>
  <bridge name='br0'/>
</network>
EOF
cat >"$root/usr/local/bin/vmunit-test-ifup" <<'EOF'
#!/bin/sh
echo "$1 $(cat /sys/class/net/$1/operstate)" >/run/vmunit-test-ifup.out
EOF
chmod 0755 "$root/usr/local/bin/vmunit-test-ifup"
cat >"$root/usr/local/bin/vmunit-test-ifdown" <<'EOF'
#!/bin/sh
echo "$1 $(cat /sys/class/net/$1/operstate 2>/dev/null || echo gone)" >>/run/vmunit-test-ifdown.out
EOF
chmod 0755 "$root/usr/local/bin/vmunit-test-ifdown"
cx ip link add br0 type bridge
cx ip link set br0 mtu 1400 up
cx ip addr add 10.77.0.1/24 dev br0

# domain NAME NIC-XML... [--cmdline=...]: the tiny guest with these interfaces
domain() {
        local name=$1 cmdline=$2; shift 2
        "$top/tests/guest/guest-domain.sh" --cmdline="$cmdline" "$name" "$img" |
                sed "s|<devices>|<devices>\n$*|" >"$root/etc/vmunit/domains/$name.xml"
}
domain net " vmunit.ip=10.77.0.2/24" \
        "    <interface type='bridge'><mac address='52:54:00:77:00:02'/><source bridge='br0'/><model type='virtio'/></interface>\n" \
        "    <interface type='network'><mac address='52:54:00:77:00:03'/><source network='lan'/><model type='e1000'/><mtu size='1300'/></interface>\n" \
        "    <interface type='ethernet'><mac address='52:54:00:77:00:04'/><target dev='vmtap0'/><script path='/usr/local/bin/vmunit-test-ifup'/><downscript path='/usr/local/bin/vmunit-test-ifdown'/><model type='rtl8139'/></interface>"
cx systemctl daemon-reload

if ! cx systemctl start vm@net || ! wait_for "$boot_timeout" console_has net VMUNIT-GUEST-READY; then
        fail "vm@net started and the guest booted"
        cx journalctl --no-pager -q -o cat -u vm@net -n 30 || true
        cx journalctl --no-pager -q -o cat -u machine-net.scope -n 30 || true
        exit 1
fi
pass "vm@net started and the guest booted"
check "the guest configured eth0 (virtio_net over the tap)" console_has net "VMUNIT-GUEST-NET 10.77.0.2/24"

members=$(link master br0)
check "two taps in br0 ($(awk '{print $2}' <<<"$members" | tr -d '\n'))" test "$(grep -c vnet <<<"$members")" -eq 2
check "the bridge NIC's tap has the guest MAC with 0xfe first" has "fe:54:00:77:00:02" "$members"
check "the network NIC's tap has its twin MAC" has "fe:54:00:77:00:03" "$members"
check "the bridge NIC's tap took br0's MTU 1400" grep -q "mtu 1400 .*fe:54:00:77:00:02" <<<"$(tr -d '\\' <<<"$members" | tr '\n' ' ' | sed 's/[0-9]*: vnet/\n&/g')"
check "the network NIC's tap has <mtu size='1300'>" grep -q "mtu 1300 .*fe:54:00:77:00:03" <<<"$(tr -d '\\' <<<"$members" | tr '\n' ' ' | sed 's/[0-9]*: vnet/\n&/g')"
tap0=$(link vmtap0)
check "the ethernet tap vmtap0 exists, up, MAC fe:54:00:77:00:04" grep -q "vmtap0.*UP.*fe:54:00:77:00:04" <<<"$(tr -d '\\' <<<"$tap0" | tr -d '\n')"
check "vmtap0 is in no bridge" hasnt master "$tap0"
check "the <script> ran with the tap's name ($(cx cat /run/vmunit-test-ifup.out 2>&1))" has "^vmtap0 " "$(cx cat /run/vmunit-test-ifup.out 2>&1)"
check "the <downscript> has not run while the VM runs" test -z "$(cx cat /run/vmunit-test-ifdown.out 2>/dev/null)"

pid=$(cx systemctl show -P MainPID machine-net.scope 2>/dev/null || true)
[[ $pid =~ ^[1-9][0-9]*$ ]] || pid=$(cx pgrep -f 'qemu-system.*guest=net' | head -n 1)
tuns=$(cx bash -c "ls -l /proc/$pid/fd | grep -c /dev/net/tun" || true)
check "QEMU (pid $pid) holds 3 tap fds" test "$tuns" -eq 3
check "QEMU runs as vmunit-qemu" test "$(cx ps -o user= -p "$pid")" == vmunit-qemu
info=$(cx vmctl qemu-monitor-command net --hmp 'info network' 2>&1 || true)
check "info network: three tap backends with fds ($(grep -c 'type=tap' <<<"$info"))" test "$(grep -c 'type=tap,fd=' <<<"$info")" -eq 3
check "info network: the guest MACs" has "macaddr=52:54:00:77:00:02" "$info"
check "the host pings the guest through br0 and the tap" cx ping -q -c 2 -W 3 10.77.0.2 >/dev/null
check "dumpxml keeps the interfaces" has "<source network='lan'/>" "$(cx vmctl dumpxml net 2>&1 || true)"

cx systemctl stop vm@net
check "after the stop no tap is left" no_taps
check "br0 has no members" test -z "$(link master br0)"
check "vmtap0 is gone" test -z "$(link vmtap0)"
down=$(cx cat /run/vmunit-test-ifdown.out 2>&1 || true)
check "the <downscript> ran once after the stop, with the tap's name ($down)" test "$down" == "vmtap0 gone"

# --- an existing persistent tap, managed='no' ----------------------------------------------
cx ip tuntap add dev ptap0 mode tap
domain ptap "" "    <interface type='ethernet'><target dev='ptap0' managed='no'/><model type='virtio'/></interface>"
cx systemctl daemon-reload
if cx systemctl start vm@ptap && wait_for "$boot_timeout" console_has ptap VMUNIT-GUEST-READY; then
        pass "vm@ptap started on the existing tap ptap0"
        info=$(cx vmctl qemu-monitor-command ptap --hmp 'info network' 2>&1 || true)
        check "info network: a tap backend" has "type=tap,fd=" "$info"
        cx systemctl stop vm@ptap
else
        fail "vm@ptap started on the existing tap ptap0"
        cx journalctl --no-pager -q -o cat -u vm@ptap -n 20 || true
fi
check "ptap0 (persistent, not ours) is still there after the stop" test -n "$(link ptap0)"

# --- refused at start: file, line, element; nothing left ------------------------------------
# refused NAME EXPECTED NIC-XML: vm@NAME fails to start with EXPECTED in its journal
refused() {
        local name=$1 expected=$2 out
        domain "$name" "" "    $3"
        cx systemctl daemon-reload
        cx systemctl start vm@"$name" 2>/dev/null && cx systemctl stop vm@"$name"
        out=$(cx journalctl --no-pager -q -o cat -u vm@"$name" 2>&1 || true)
        check "$name: refused with '$expected'" grep -qF -- "$expected" <<<"$out" ||
                printf '%s\n' "$out" | tail -n 5
        if no_taps && no_scope "$name"; then
                pass "$name: no tap and no scope left"
        else
                fail "$name: no tap and no scope left ($(link type tun | tr '\n' ' '))"
        fi
}
refused nobr "/etc/vmunit/domains/nobr.xml:14: <interface type='bridge'>: bridge 'nobr0' does not exist on this host" \
        "<interface type='bridge'><source bridge='nobr0'/></interface>"
refused nonet "/etc/vmunit/domains/nonet.xml:14: <interface type='network'>: network 'wan' is not defined: no /etc/vmunit/networks/wan.xml" \
        "<interface type='network'><source network='wan'/></interface>"
refused ovs "/etc/vmunit/domains/ovs.xml:14: <interface type='bridge'>: <virtualport type='openvswitch'>: plugging into Open vSwitch" \
        "<interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/></interface>"
refused vhost "/etc/vmunit/domains/vhost.xml:14: <interface type='bridge'>: <driver name='vhost'>: /dev/vhost-net is not available" \
        "<interface type='bridge'><source bridge='br0'/><model type='virtio'/><driver name='vhost'/></interface>"
refused busy "/etc/vmunit/domains/busy.xml:15: <interface type='ethernet'>: tap 'ptap0' exists already or is in use" \
        "<interface type='bridge'><source bridge='br0'/></interface>\n    <interface type='ethernet'><target dev='ptap0'/></interface>"
