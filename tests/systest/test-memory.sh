#!/usr/bin/env bash
# System test of guest memory backed by files under a real systemd: the tiny test guest runs as
# vm@huge with <memoryBacking><hugepages/> (2 MiB pages the test reserves on the host for the time
# of the test, a hugetlbfs mounted in the container) and as vm@fmem with file-backed shared memory.
# Checked: the directories QEMU's files go into are made for QEMU's user (MOUNT/vmunit/NAME,
# STATE_DIR/ram), the guest's RAM comes from huge pages (HugePages_Free drops by its size), and
# after the stop the directories and files are gone and the pages are free again. A guest asking
# for pages of a size no hugetlbfs is mounted with is refused at start with the domain file and line.
#
# Usage: test-memory.sh [BUILD_DIR]      (default: build/ at the top of the repository)
#
# Needs root. Environment as test-supervisor.sh (VMUNIT_TEST_BOOT_TIMEOUT, VMUNIT_TEST_KEEP=1).
# Prints one line per check and last "N passed, N failed"; exit 0 only if all passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/systest/checks.sh
source "$here/checks.sh"
checks_init mem "${1:-}"
pages_before=$(cat /proc/sys/vm/nr_hugepages)

checks_cleanup() {
        echo "$pages_before" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
}

free_pages() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }
gone() { ! cx test -e "$1"; }

checks_boot_container

domain() {      # NAME MEMORYBACKING-XML
        "$top/tests/guest/guest-domain.sh" --memory=128 "$1" "$img" |
                sed "s|<vcpu>|<memoryBacking>$2</memoryBacking>\n  <vcpu>|" >"$root/etc/vmunit/domains/$1.xml"
}
domain huge "<hugepages/>"
domain huge1g "<hugepages><page size='1' unit='G'/></hugepages>"
domain fmem "<source type='file'/><access mode='shared'/>"
cx systemctl daemon-reload

# --- no hugetlbfs of that page size mounted: refused ------------------------------------------
cx systemctl start vm@huge1g 2>/dev/null || true
out=$(cx journalctl --no-pager -q -o cat -u vm@huge1g 2>&1 || true)
if grep -q "/etc/vmunit/domains/huge1g.xml:[0-9]*: <memoryBacking><hugepages>: 1048576 KiB huge pages need a hugetlbfs mounted with that page size at '/dev/hugepages1G'" <<<"$out"; then
        pass "huge pages without a hugetlbfs: refused with file and line"
else
        fail "huge pages without a hugetlbfs: refused with file and line ($(tail -n 6 <<<"$out" | tr '\n' ' '))"
fi
check "... and no QEMU ran" bash -c "! '$here/container.sh' exec '$container' systemctl is-active -q machine-huge1g.scope"

# --- huge pages -------------------------------------------------------------------------------
echo $((pages_before + 80)) >/proc/sys/vm/nr_hugepages
cx mountpoint -q /dev/hugepages || cx mount -t hugetlbfs -o pagesize=2M hugetlbfs /dev/hugepages  # systemd's dev-hugepages.mount
free0=$(free_pages)
if cx systemctl start vm@huge && wait_for "$boot_timeout" console_has huge VMUNIT-GUEST-READY; then
        pass "vm@huge started on huge pages and the guest booted"
else
        fail "vm@huge started on huge pages and the guest booted"
        cx journalctl --no-pager -q -o cat -u vm@huge -n 20 || true
fi
check "/dev/hugepages/vmunit/huge belongs to vmunit-qemu ($(cx stat -c '%U %a' /dev/hugepages/vmunit/huge 2>&1))" \
        test "$(cx stat -c '%U %a' /dev/hugepages/vmunit/huge 2>&1)" == "vmunit-qemu 700"
free1=$(free_pages)
check "the guest's 128 MiB are huge pages (free $free0 -> $free1)" test $((free0 - free1)) -ge 64
cx systemctl stop vm@huge
check "after the stop /dev/hugepages/vmunit/huge is gone" gone /dev/hugepages/vmunit/huge
check "... and the pages are free again ($(free_pages))" test "$(free_pages)" -eq "$free0"

# --- file-backed shared memory ----------------------------------------------------------------
if cx systemctl start vm@fmem && wait_for "$boot_timeout" console_has fmem VMUNIT-GUEST-READY; then
        pass "vm@fmem started with file-backed memory and the guest booted"
else
        fail "vm@fmem started with file-backed memory and the guest booted"
        cx journalctl --no-pager -q -o cat -u vm@fmem -n 20 || true
fi
check "/var/lib/vmunit/fmem/ram belongs to vmunit-qemu" test "$(cx stat -c %U /var/lib/vmunit/fmem/ram 2>&1)" == vmunit-qemu
check "QEMU's memory file is in it ($(cx ls /var/lib/vmunit/fmem/ram 2>&1 | tr '\n' ' '))" test -n "$(cx ls /var/lib/vmunit/fmem/ram 2>/dev/null)"
cx systemctl stop vm@fmem
check "after the stop the ram directory is gone" gone /var/lib/vmunit/fmem/ram
