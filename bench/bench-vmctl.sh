#!/usr/bin/env bash
# Latency of vmctl against the real system bus, in one run inside a container.sh bench (a real
# systemd as PID 1, the project installed), as medians:
#   list:      `vmctl list --all` with 200 defined domains (one ListDomains: 200 definitions, their
#              units' states from systemd in one ListUnitsByNames), the manager already running
#   list-cold: the same with the manager stopped first: bus activation included
#   domstate:  `vmctl domstate` of one domain (GetDomain)
#   floor:     `busctl call` of org.freedesktop.DBus.Peer.Ping on the manager: a process start and
#              a round trip, the part of the times above that is not vmunit's
#
# Usage: bench-vmctl.sh [BUILD_DIR] [RUNS]      (defaults: build/, 21 runs)
# Needs root. Always tears the container down.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(readlink -f "${1:-$top/build}")
runs=${2:-21}
n_domains=200
container=vmunit-benchctl-$$
started=0

info() { printf '%s: %s\n' "$prog" "$*" >&2; }
finish() {
        local rc=$?
        trap - EXIT
        [[ $started == 0 ]] || "$top/tests/systest/container.sh" stop "$container" >/dev/null 2>&1 || true
        exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cx() { "$top/tests/systest/container.sh" exec "$container" "$@"; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

[[ $EUID -eq 0 ]] || { info "must run as root"; exit 1; }
[[ -x $build/tools/vmctl ]] || { info "no vmctl in '$build' (run ninja first)"; exit 1; }
started=1
"$top/tests/systest/container.sh" start "$container" --install-from "$build" >/dev/null 2>&1 ||
        { info "container start failed"; exit 1; }
root=$("$top/tests/systest/container.sh" root "$container")

# 200 definitions through the manager, as a user would make them
mkdir -p "$root/var/lib/vmunit-bench"
for i in $(seq 1 "$n_domains"); do
        cat >"$root/var/lib/vmunit-bench/d$i.xml" <<EOF
<domain type='qemu'>
  <name>bench-$i</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/var/lib/vmunit-bench/d$i.img'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><model type='virtio'/></interface>
    <serial type='pty'/>
  </devices>
</domain>
EOF
done
cx bash -c "for i in \$(seq 1 $n_domains); do vmctl -q define /var/lib/vmunit-bench/d\$i.xml || exit 1; done"
count=$(cx vmctl list --all --name | wc -l)
[[ $count == "$n_domains" ]] || { info "expected $n_domains domains, vmctl list shows $count"; exit 1; }

# One timing loop inside the container: milliseconds per run, one per line.
timeit() {      # RUNS SETUP CMD...
        local n=$1 setup=$2; shift 2
        cx bash -c '
                n=$1 setup=$2; shift 2
                for ((i = 0; i < n; i++)); do
                        eval "$setup"
                        t0=$EPOCHREALTIME
                        "$@" >/dev/null
                        t1=$EPOCHREALTIME
                        echo "${t0/,/.} ${t1/,/.}" | awk "{ printf \"%.2f\\n\", (\$2 - \$1) * 1000 }"
                done' timeit "$n" "$setup" "$@"
}

cx vmctl list --all >/dev/null
list=$(timeit "$runs" : vmctl --no-pager list --all | median)
cold=$(timeit "$runs" 'systemctl stop vmunit-managerd' vmctl --no-pager list --all | median)
cx vmctl list >/dev/null
domstate=$(timeit "$runs" : vmctl domstate bench-100 | median)
floor=$(timeit "$runs" : busctl call org.vmunit.Manager1 /org/vmunit/Manager1 org.freedesktop.DBus.Peer Ping | median)

printf 'vmctl list --all, %d domains:          %8.2f ms (median of %d)\n' "$n_domains" "$list" "$runs"
printf 'vmctl list --all, manager activated:   %8.2f ms\n' "$cold"
printf 'vmctl domstate:                        %8.2f ms\n' "$domstate"
printf 'floor (busctl Ping of the manager):    %8.2f ms\n' "$floor"
