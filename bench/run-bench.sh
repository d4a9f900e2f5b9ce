#!/bin/bash
# XML -> QEMU argv benchmark over the libvirt conformance corpus (issue 2). Not a test: it prints
# numbers and ratios and fails only when it cannot run at all (no corpus, build failure).
#
#   bench/run-bench.sh [-n ITERATIONS] [-r RUNS] [-v] [--no-libvirt]      (-v: per-domain table)
#
# Measures, per domain (median), then across domains (median and p99, µs):
#   vmunit in-process          domxml_parse_memory() + qemu_argv_build(), clock_gettime around each
#   vmctl                      `vmctl domxml-to-native qemu-argv FILE`, a process per domain
#   virsh                      `virsh -c qemu:///system domxml-to-native qemu-argv FILE`, a process
#                              per domain, like vmctl (when libvirt is installed)
#   libvirt in-daemon          all domains through one virsh connection, virsh's own per-command time
#
# libvirt: if qemu:///system answers already, it is used as it is. Otherwise, as root, this starts
# what libvirtd needs (a system bus, /var/log/libvirt, libvirtd itself) and stops all of it again on
# exit, also on error or interrupt; libvirtd also gets an idle timeout as a second safety net.
# Where /etc/libvirt/qemu.conf does not exist, a temporary one runs QEMU as root for the run: this
# host's /dev/kvm is 0600 root, so as libvirt-qemu libvirt finds KVM "not available now", throws its
# capability cache away and re-probes QEMU on every call (12-44 s per call instead of milliseconds).
#
# Environment: VMUNIT_BENCH_BUILDDIR (default build/), VMUNIT_CONFORMANCE_DIR.
set -euo pipefail

iterations=500
runs=5
use_libvirt=true
verbose=()
while [[ $# -gt 0 ]]; do
        case $1 in
        -n) iterations=$2; shift 2 ;;
        -r) runs=$2; shift 2 ;;
        --no-libvirt) use_libvirt=false; shift ;;
        -v) verbose=(-v); shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [-n ITERATIONS] [-r RUNS] [-v] [--no-libvirt]" >&2; exit 2 ;;
        esac
done

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${VMUNIT_BENCH_BUILDDIR:-$srcdir/build}
corpus=${VMUNIT_CONFORMANCE_DIR:-$srcdir/../shared/conformance}/libvirt
uri=qemu:///system

if ! compgen -G "$corpus/*.xml" >/dev/null; then
        echo "run-bench: no conformance corpus: $corpus/*.xml does not exist (set VMUNIT_CONFORMANCE_DIR)" >&2
        exit 1
fi
if [[ ! -f $builddir/build.ninja ]]; then
        meson setup "$builddir" "$srcdir" >/dev/null
fi
ninja -C "$builddir" bench/bench-argv tools/vmctl >/dev/null

started_dbus=
started_libvirtd=
created_qemu_conf=
workdir=$(mktemp -d /tmp/vmunit-bench.XXXXXX)

stop_pid() {
        local pid=$1
        kill -TERM "$pid" 2>/dev/null || return 0
        for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || return 0
                sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
        local rc=$?
        trap - EXIT INT TERM
        if [[ -n $started_libvirtd ]]; then
                stop_pid "$started_libvirtd"
                echo "run-bench: stopped libvirtd ($started_libvirtd)" >&2
        fi
        if [[ -n $started_dbus ]]; then
                stop_pid "$started_dbus"
                rm -f /run/dbus/pid /run/dbus/system_bus_socket
                echo "run-bench: stopped the system bus ($started_dbus)" >&2
        fi
        [[ -z $created_qemu_conf ]] || rm -f /etc/libvirt/qemu.conf
        rm -rf "$workdir"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

libvirt_answers() {
        timeout 60 virsh -q -c "$uri" version >/dev/null 2>&1
}

# Sets libvirt_note to why libvirt cannot be used, or leaves it empty when libvirt is up (started
# here or already running). Not called in a subshell: the cleanup needs the pids it records.
start_libvirt() {
        if ! command -v virsh >/dev/null || ! command -v libvirtd >/dev/null; then
                libvirt_note="libvirt is not installed (apt-get install libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon)"
                return
        fi
        if [[ -S /run/libvirt/libvirt-sock ]] && libvirt_answers; then
                echo "run-bench: using the libvirtd that is already running" >&2
                return
        fi
        # never a second daemon beside someone else's (it may still be starting)
        if pgrep -x libvirtd >/dev/null; then
                libvirt_note="a libvirtd that this script did not start is running (pid $(pgrep -x libvirtd | tr '\n' ' ')) but $uri does not answer"
                return
        fi
        if [[ $(id -u) -ne 0 ]]; then
                libvirt_note="starting libvirtd needs root"
                return
        fi

        if ! dbus-send --system --dest=org.freedesktop.DBus --type=method_call --print-reply \
                        /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1; then
                if [[ -f /run/dbus/pid ]] && ! kill -0 "$(cat /run/dbus/pid)" 2>/dev/null; then
                        rm -f /run/dbus/pid /run/dbus/system_bus_socket
                fi
                mkdir -p /run/dbus
                # to a file, not a pipe: the forked bus must not hold our command substitution open
                dbus-daemon --system --fork --print-pid >"$workdir/dbus.pid" 2>"$workdir/dbus.err" || true
                started_dbus=$(head -n1 "$workdir/dbus.pid")
                if [[ -z $started_dbus ]]; then
                        libvirt_note="could not start a system bus: $(head -n1 "$workdir/dbus.err")"
                        return
                fi
        fi

        if [[ ! -e /etc/libvirt/qemu.conf ]]; then
                mkdir -p /etc/libvirt
                printf '# temporary, written by vmunit bench/run-bench.sh and removed when it exits\nuser = "root"\ngroup = "root"\n' \
                        >/etc/libvirt/qemu.conf
                created_qemu_conf=1
        elif ! getent passwd libvirt-qemu >/dev/null; then
                echo "run-bench: creating the system user libvirt-qemu that libvirt's QEMU driver runs QEMU as" >&2
                useradd --system --user-group --no-create-home --home-dir /var/lib/libvirt \
                        --shell /usr/sbin/nologin libvirt-qemu
        fi
        mkdir -p /var/log/libvirt

        # -t: exit by itself after 300 s without clients, should this script be killed outright
        if ! libvirtd -d -t 300 -p "$workdir/libvirtd.pid" 2>"$workdir/libvirtd.err"; then
                libvirt_note="libvirtd did not start: $(head -n1 "$workdir/libvirtd.err")"
                return
        fi
        for _ in $(seq 100); do
                [[ -s $workdir/libvirtd.pid ]] && break
                sleep 0.1
        done
        started_libvirtd=$(cat "$workdir/libvirtd.pid" 2>/dev/null || true)
        if [[ -z $started_libvirtd ]]; then
                libvirt_note="libvirtd did not write its pid file"
                return
        fi
        # the first call waits for libvirt's QEMU capability probe (seconds)
        if ! libvirt_answers; then
                libvirt_note="libvirtd started but $uri does not answer"
                return
        fi
        echo "run-bench: started libvirtd ($started_libvirtd)${started_dbus:+ and a system bus ($started_dbus)}" >&2
}

args=(-n "$iterations" -r "$runs" "${verbose[@]}"
      -c "vmctl=$builddir/tools/vmctl domxml-to-native qemu-argv {xml}")
libvirt_note=
if $use_libvirt; then
        start_libvirt
        # libvirt must convert at least the smallest domain, or its numbers mean nothing
        if [[ -z $libvirt_note ]]; then
                # (awk reads everything: 'head' would SIGPIPE sort, and pipefail would end the script)
                probe=$(find "$corpus" -maxdepth 1 -name '*.xml' -printf '%s %p\n' | sort -n | awk 'NR == 1 { print $2 }')
                if ! virsh -q -c "$uri" domxml-to-native qemu-argv "$probe" >/dev/null 2>"$workdir/probe.err"; then
                        libvirt_note="libvirt answers but refuses $(basename "$probe"): $(head -n1 "$workdir/probe.err")"
                fi
        fi
        if [[ -z $libvirt_note ]]; then
                args+=(-c "virsh=virsh -c $uri domxml-to-native qemu-argv {xml}" --virsh-batch="$uri")
        fi
else
        libvirt_note="skipped (--no-libvirt)"
fi

echo "corpus: $corpus"
echo "vmunit: $(git -C "$srcdir" describe --always --dirty 2>/dev/null || echo unknown)," \
     "$builddir (buildtype $(meson configure "$builddir" 2>/dev/null | awk '$1 == "buildtype" { print $2 }'))"
if [[ -n $libvirt_note ]]; then
        echo "libvirt: unavailable: $libvirt_note; vmunit is measured alone"
else
        echo "libvirt: $(virsh -q -c "$uri" version 2>/dev/null | grep -i 'running hypervisor\|using library' | tr '\n' ' ')"
fi
"$builddir/bench/bench-argv" "${args[@]}" "$corpus"
