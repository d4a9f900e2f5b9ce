#!/usr/bin/env bash
# Time of one vmunit-generator run (what it adds to every boot and daemon-reload) for 10, 100 and
# 1,000 domains, the median of RUNS runs each, exec of the binary included. Every domain is
# autostarted and about 1.2 KB, as a small VM's definition is; "boot" rows give each a
# <vmunit:boot> too (the worst case: a wants-link and a drop-in per domain), "plain" rows none (a
# wants-link only). Domains are read from a directory on disk (page cache warm, as at any boot
# after the first); the output goes to a tmpfs, as /run/systemd/generator is.
# Target (issue 6): 1,000 domains in under 50 ms.
#
# Usage: bench-generator.sh [BUILD_DIR] [RUNS]      (defaults: build/, 11 runs)
# Prints one line per size; never fails on slowness.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(readlink -f "${1:-$top/build}")
runs=${2:-11}
generator=$build/tools/vmunit-generator

info() { printf '%s: %s\n' "$prog" "$*" >&2; }
[[ -x $generator ]] || { info "no '$generator' (run ninja first)"; exit 1; }
shm=/dev/shm
[[ $(stat -fc %T "$shm" 2>/dev/null) == tmpfs ]] || shm=${TMPDIR:-/tmp}

work=$(mktemp -d "${TMPDIR:-/tmp}/vmunit-bench-generator-XXXXXX")
out=$(mktemp -d "$shm/vmunit-bench-generator-out-XXXXXX")
trap 'rm -rf -- "$work" "$out"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

domain() {              # NAME NEXT boot|plain
        local meta="  <description>a VM of the generator benchmark</description>"
        [[ $3 == plain ]] || meta="  <metadata>
    <vmunit:boot xmlns:vmunit=\"https://vmunit.org/xmlns/domain/1.0\">
      <vmunit:after>$2</vmunit:after>
      <vmunit:shutdown-policy>kill</vmunit:shutdown-policy>
    </vmunit:boot>
  </metadata>"
        cat <<EOF
<domain type='kvm'>
  <name>$1</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
$meta
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/vmunit/images/$1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <graphics type='vnc' port='-1' autoport='yes'/>
    <video><model type='virtio'/></video>
    <memballoon model='virtio'/>
  </devices>
</domain>
EOF
}

# Wall time, and the CPU time (user + system) the run used: on a busy machine the wall time
# mostly measures the others, the CPU time what an idle boot would see.
printf '%-8s %-6s %10s %10s %14s\n' domains kind "wall ms" "cpu ms" "cpu us/domain"
for kind in boot plain; do
for n in 10 100 1000; do
        rm -rf -- "$work/domains" "$work/autostart"
        mkdir -p "$work/domains" "$work/autostart"
        for ((i = 0; i < n; i++)); do
                domain "vm$i" "vm$(((i + 1) % n))" "$kind" >"$work/domains/vm$i.xml"
                ln -s "../domains/vm$i.xml" "$work/autostart/vm$i"
        done
        walls=() cpus=()
        for ((r = 0; r < runs + 1; r++)); do       # the first run warms the cache and is dropped
                rm -rf -- "${out:?}"/*
                t0=$EPOCHREALTIME
                cpu=$( { TIMEFORMAT='%3U %3S'; time VMUNIT_DOMAIN_DIR=$work/domains \
                        VMUNIT_AUTOSTART_DIR=$work/autostart "$generator" "$out" "$out" "$out" 2>"$work/log"; } 2>&1 )
                t1=$EPOCHREALTIME
                ((r > 0)) || continue
                walls+=("$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
                cpus+=("$(awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%.3f", (u + s) * 1000 }')")
        done
        [[ ! -s $work/log ]] || { info "the generator complained:"; cat "$work/log" >&2; exit 1; }
        links=$(find "$out/machines.target.wants" -type l | wc -l)
        [[ $links -eq $n ]] || { info "expected $n links, found $links"; exit 1; }
        w=$(printf '%s\n' "${walls[@]}" | median)
        c=$(printf '%s\n' "${cpus[@]}" | median)
        printf '%-8s %-6s %10s %10s %14s\n' "$n" "$kind" "$w" "$c" "$(awk -v c="$c" -v n="$n" 'BEGIN { printf "%.1f", c * 1000 / n }')"
done
done
printf 'load average during the run: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
