#!/usr/bin/env bash
# Self-test of the tiny test guest: boot it, wait for its ready marker, send an ACPI
# powerdown over QMP, and check that the guest reports it and QEMU exits with status 0.
#
# Usage: run-guest-test.sh [GUEST_DIR]
#
# GUEST_DIR (default: build/guest at the top of the repository) is (re)built with
# make-guest.sh first, which does nothing when it is up to date.
# Environment: VMUNIT_GUEST_ACCEL=tcg|kvm (default: tcg unless /dev/kvm is a real
# VMX/SVM KVM), VMUNIT_GUEST_BOOT_TIMEOUT (seconds to the marker, default 60),
# VMUNIT_GUEST_EXIT_TIMEOUT (seconds from powerdown to QEMU's exit, default 10).
# The last line is "1 passed, 0 failed" or "0 passed, 1 failed".
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
guest_dir=${1:-$(cd "$here/../.." && pwd)/build/guest}
boot_timeout=${VMUNIT_GUEST_BOOT_TIMEOUT:-60}
exit_timeout=${VMUNIT_GUEST_EXIT_TIMEOUT:-10}

tmp=
qpid=
result=fail
cleanup() {
        local rc=$?
        if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
                kill -KILL "$qpid" 2>/dev/null || true
                wait "$qpid" 2>/dev/null || true
        fi
        [[ -n $tmp ]] && rm -rf -- "$tmp"
        if [[ $result == pass ]]; then
                echo "1 passed, 0 failed"
        else
                echo "0 passed, 1 failed"
                [[ $rc -ne 0 ]] || rc=1
        fi
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

fail() {
        printf '%s: FAIL: %s\n' "$prog" "$*" >&2
        if [[ -n $tmp && -s $tmp/serial.log ]]; then
                echo "--- guest serial output (last 20 lines) ---" >&2
                tail -n 20 "$tmp/serial.log" >&2
        fi
        if [[ -n $tmp && -s $tmp/qemu.log ]]; then
                echo "--- QEMU stderr ---" >&2
                cat "$tmp/qemu.log" >&2
        fi
        exit 1
}

now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# The recipe's facts: KVM here may be a software PVM (kvm_pvm) that cannot boot a guest.
pick_accel() {
        if [[ -n ${VMUNIT_GUEST_ACCEL:-} ]]; then
                echo "$VMUNIT_GUEST_ACCEL"
        elif [[ -r /dev/kvm && -w /dev/kvm && ! -e /sys/module/kvm_pvm ]] &&
             grep -qw -E 'vmx|svm' /proc/cpuinfo; then
                echo kvm
        else
                echo tcg
        fi
}

qemu=$(command -v qemu-system-x86_64) || fail "qemu-system-x86_64 not found"
python=$(command -v python3) || fail "python3 not found (needed to talk QMP)"

"$here/make-guest.sh" "$guest_dir" || fail "building the guest failed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmunit-guest-test.XXXXXX") || fail "cannot create a temporary directory"
accel=$(pick_accel)

t_start=$(now)
"$qemu" -M q35 -accel "$accel" -m 256 -nodefaults -display none \
        -serial "file:$tmp/serial.log" \
        -kernel "$guest_dir/vmlinuz" -initrd "$guest_dir/initrd.cpio.gz" \
        -append "console=ttyS0 quiet panic=-1 cryptomgr.notests" \
        -no-reboot -qmp "unix:$tmp/qmp.sock,server=on,wait=off" \
        </dev/null >"$tmp/qemu.log" 2>&1 &
qpid=$!

deadline=$((SECONDS + boot_timeout))
until grep -q '^VMUNIT-GUEST-READY' "$tmp/serial.log" 2>/dev/null; do
        kill -0 "$qpid" 2>/dev/null || fail "QEMU exited before the guest was ready"
        grep -q '^VMUNIT-GUEST-ERROR' "$tmp/serial.log" 2>/dev/null && fail "the guest reported an error"
        ((SECONDS < deadline)) || fail "no VMUNIT-GUEST-READY within ${boot_timeout}s (accel=$accel)"
        sleep 0.02
done
t_ready=$(now)
echo "$prog: guest ready after $(elapsed "$t_start" "$t_ready") s (accel=$accel)"

# Powerdown right after the marker, on purpose: the guest must have its power button open.
# Prints the time from sending system_powerdown to QMP's end of file (QEMU exiting).
qmp_time=$("$python" - "$tmp/qmp.sock" "$exit_timeout" <<'EOF'
import json, socket, sys, time

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(float(sys.argv[2]))
sock.connect(sys.argv[1])
f = sock.makefile("rwb")

def send(cmd):
    f.write(json.dumps({"execute": cmd}).encode() + b"\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            sys.exit("QMP closed before answering " + cmd)
        msg = json.loads(line)
        if "return" in msg:
            return
        if "error" in msg:
            sys.exit("QMP %s failed: %s" % (cmd, msg["error"]))

if "QMP" not in json.loads(f.readline()):
    sys.exit("no QMP greeting")
send("qmp_capabilities")
t = time.monotonic()
send("system_powerdown")
try:
    while f.readline():
        pass
except socket.timeout:
    sys.exit("QEMU still running %s s after system_powerdown" % sys.argv[2])
print("%.3f" % (time.monotonic() - t))
EOF
) || fail "QMP powerdown failed"

deadline=$((SECONDS + exit_timeout))
while kill -0 "$qpid" 2>/dev/null; do
        ((SECONDS < deadline)) || fail "QEMU did not exit within ${exit_timeout}s of system_powerdown"
        sleep 0.01
done
rc=0
wait "$qpid" || rc=$?
qpid=
t_exit=$(now)
[[ $rc -eq 0 ]] || fail "QEMU exited with status $rc"
grep -q '^VMUNIT-GUEST-POWERDOWN' "$tmp/serial.log" || fail "QEMU exited but the guest printed no VMUNIT-GUEST-POWERDOWN"
echo "$prog: powerdown to QMP close ${qmp_time} s, to QEMU exit seen here $(elapsed "$t_ready" "$t_exit") s after ready"
result=pass
