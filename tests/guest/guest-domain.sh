#!/usr/bin/env bash
# Print the domain XML of the tiny test guest (make-guest.sh): q35 under TCG, the kernel and
# initrd from a directory, the serial console on QEMU's stdout (the journal, -t console), ACPI for
# the power button, a fresh UUID.
#
# Usage: guest-domain.sh [--metadata=XML] [--cmdline=EXTRA] [--memory=MIB] NAME GUEST_DIR
#   --metadata   the content of <metadata> (e.g. a <vmunit:boot> element)
#   --cmdline    appended to the kernel command line (e.g. " vmunit.ignore_acpi=1")
#   --memory     MiB of guest memory (default 192)
set -euo pipefail

metadata='' cmdline='' memory=192
while [[ $# -gt 0 ]]; do
        case $1 in
        --metadata=*) metadata=${1#*=}; shift ;;
        --cmdline=*) cmdline=${1#*=}; shift ;;
        --memory=*) memory=${1#*=}; shift ;;
        -h|--help) sed -n '2,10{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) break ;;
        esac
done
[[ $# -eq 2 ]] || { echo "usage: ${0##*/} [--metadata=XML] [--cmdline=EXTRA] [--memory=MIB] NAME GUEST_DIR" >&2; exit 2; }

cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
${metadata:+  <metadata>$metadata</metadata>
}  <memory unit='MiB'>$memory</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$2/vmlinuz</kernel>
    <initrd>$2/initrd.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 cryptomgr.notests$cmdline</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='stdio'><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
