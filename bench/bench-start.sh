#!/usr/bin/env bash
# Start-up cost of vm@NAME.service against bare QEMU, and the supervisor's memory, measured in
# one run inside a container.sh bench (a real systemd as PID 1, the project installed):
#   supervised: `systemctl start vm@bench` until it returns (READY=1, i.e. after QMP `cont`)
#   bare:       the same argv (vmctl domxml-to-native --json) exec'ed as root, until QMP `cont`
#               is answered (timer starts right before the exec)
#   memory:     Pss of the running supervisor (/proc/PID/smaps_rollup)
#   floor:      `systemctl start` of a trivial Type=notify unit (sh + systemd-notify), the part of the
#               supervised time that is systemd's own; printed with the ratio net of it
# Targets (issue 3): ratio <= 1.10, PSS <= 1 MiB.
#
# Usage: bench-start.sh [BUILD_DIR] [RUNS]      (defaults: build/, 7 runs; medians are printed)
# Needs root. Always tears the container down.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(readlink -f "${1:-$top/build}")
runs=${2:-7}
container=vmunit-bench-$$
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
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

[[ $EUID -eq 0 ]] || { info "must run as root"; exit 1; }
"$top/tests/guest/make-guest.sh" "$build/guest" >/dev/null 2>&1 || { info "building the test guest failed"; exit 1; }
started=1
"$top/tests/systest/container.sh" start "$container" --install-from "$build" >/dev/null 2>&1 ||
        { info "container start failed"; exit 1; }
root=$("$top/tests/systest/container.sh" root "$container")

img=/var/lib/vmunit-test
install -d -m 0755 "$root$img"
install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$root$img/"
mkdir -p "$root/etc/vmunit/domains"
cat >"$root/etc/vmunit/domains/bench.xml" <<EOF
<domain type='qemu'>
  <name>bench</name>
  <uuid>5a0c1f42-7b7e-4d52-9a43-3e1c2b8f9d10</uuid>
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
    <memballoon model='none'/>
  </devices>
</domain>
EOF

# Stop at once: the benchmark stops guests that have not booted far enough to see the button.
mkdir -p "$root/etc/systemd/system/vm@bench.service.d"
printf '[Service]\nEnvironment=VMUNIT_SHUTDOWN_TIMEOUT=0\n' >"$root/etc/systemd/system/vm@bench.service.d/bench.conf"
cat >"$root/etc/systemd/system/vmunit-bench-nop.service" <<'EOF'
[Service]
Type=notify
NotifyAccess=all
ExecStart=/bin/sh -c 'systemd-notify --ready; exec sleep infinity'
EOF
cx systemctl daemon-reload

# The bare run: exec the argv, connect to QMP, negotiate, cont; prints seconds.
cat >"$root$img/bare.py" <<'EOF'
import json, os, socket, subprocess, sys, time
cmd = json.load(open(sys.argv[1]))
sock = [a for a in cmd["argv"] if "vmunit-qmp.sock" in a][0].split("path=")[1].split(",")[0]
os.makedirs(os.path.dirname(sock), exist_ok=True)
t0 = time.monotonic()
p = subprocess.Popen(cmd["argv"], env=cmd["env"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sock); break
    except OSError:
        s.close(); time.sleep(0.001)
f = s.makefile("rw")
f.readline()
for c in ("qmp_capabilities", "cont"):
    f.write(json.dumps({"execute": c}) + "\n"); f.flush()
    while "return" not in json.loads(f.readline()):
        pass
t1 = time.monotonic()
print("%.4f" % (t1 - t0))
p.kill(); p.wait()
os.unlink(sock)
EOF
cx vmctl domxml-to-native --json qemu-argv /etc/vmunit/domains/bench.xml >"$root$img/bench.json" 2>/dev/null ||
        "$build/tools/vmctl" domxml-to-native --json qemu-argv "$root/etc/vmunit/domains/bench.xml" >"$root$img/bench.json"
# vmctl on the host saw host paths for <kernel>: rewrite nothing, the paths are container paths already.

sup=() bare=() pss=() nop=()
for ((i = 0; i < runs; i++)); do
        t0=$EPOCHREALTIME
        cx systemctl start vm@bench
        t1=$EPOCHREALTIME
        sup+=("$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.4f", b - a }')")
        spid=$(cx systemctl show -P MainPID vm@bench)
        # shellcheck disable=SC2016 # awk's own $2
        pss+=("$(cx awk '/^Pss:/ { print $2 }' "/proc/$spid/smaps_rollup")")
        cx systemctl stop vm@bench

        bare+=("$(cx python3 "$img/bare.py" "$img/bench.json")")

        t0=$EPOCHREALTIME
        cx systemctl start vmunit-bench-nop
        t1=$EPOCHREALTIME
        nop+=("$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.4f", b - a }')")
        cx systemctl stop vmunit-bench-nop
done
cx rmdir /run/vmunit/bench 2>/dev/null || true

s=$(printf '%s\n' "${sup[@]}" | median)
b=$(printf '%s\n' "${bare[@]}" | median)
p=$(printf '%s\n' "${pss[@]}" | median)
n=$(printf '%s\n' "${nop[@]}" | median)
echo "runs:                                   $runs"
echo "systemctl start vm@bench -> READY:      median ${s} s   (${sup[*]})"
echo "bare QEMU exec -> QMP cont answered:    median ${b} s   (${bare[*]})"
awk -v s="$s" -v b="$b" 'BEGIN { printf "ratio supervised/bare:                   %.2f   (target <= 1.10)\n", s / b }'
echo "systemctl start of a no-op notify unit: median ${n} s   (${nop[*]})"
awk -v s="$s" -v b="$b" -v n="$n" 'BEGIN { printf "ratio without that systemd floor:        %.2f   ((supervised - floor) / bare)\n", (s - n) / b }'
echo "supervisor PSS while the VM runs:       median ${p} KiB   (target <= 1024 KiB)"
