#!/usr/bin/env bash
# The README demo, second half (scripts/demo.sh builds first, then runs this): run the tiny test
# guest as vm@demo.service under a real systemd, show it, stop it, and clean up.
#
#   - Where systemd is PID 1 (/proc/1/comm is "systemd"), the host's own systemd is used:
#     `meson install`, `systemctl daemon-reload`, sysusers.d and tmpfiles.d applied, the demo
#     domain written to /etc/vmunit/domains/demo.xml, `systemctl start vm@demo`. vmunit stays
#     installed afterwards (remove it with `ninja -C BUILD_DIR uninstall`); the demo domain and its
#     guest files are removed.
#   - Elsewhere (a container or a sandbox whose PID 1 is something else, like the machine this
#     project is developed on) there is no systemd to talk to, so the demo boots the system-test
#     bench instead (tests/systest/container.sh: the host's own OS with systemd as PID 1 in a
#     throw-away container), installs vmunit into it and runs the same steps there.
#
# The host path can be tried on a machine like this one inside a bench container, where systemd is
# PID 1 (what the demo installs lands in the container's throw-away overlay):
#   tests/systest/container.sh start t && tests/systest/container.sh exec t bash $PWD/scripts/demo-vm.sh $PWD/build
#   tests/systest/container.sh stop t
#
# Usage: demo-vm.sh [BUILD_DIR]        (default: $VMUNIT_BUILD_DIR, else build/)
# Needs root. The guest is Debian's cloud kernel plus a busybox initramfs (tests/guest/make-guest.sh,
# built into BUILD_DIR/guest, cached), run under TCG. Leaves nothing running: the VM is stopped
# and, in container mode, the container is torn down, also on failure or ^C.
set -euo pipefail

prog=${0##*/}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(readlink -f "${1:-${VMUNIT_BUILD_DIR:-$top/build}}")
boot_timeout=${VMUNIT_DEMO_BOOT_TIMEOUT:-120}
container=vmunit-demo
container_sh=$top/tests/systest/container.sh
guest_dir=/var/lib/vmunit-demo         # the guest's kernel and initramfs, readable by vmunit-qemu
domain_file=/etc/vmunit/domains/demo.xml
marker='<!-- written by vmunit scripts/demo-vm.sh -->'

mode=                   # host | container
root=                   # prefix of the demo's files as seen from here ("" on the host)
vm_started=0
files_written=0
container_started=0

say()  { printf '\n\033[1m== %s\033[0m\n' "$*"; }
info() { printf '%s: %s\n' "$prog" "$*" >&2; }
die()  { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }

# sys CMD...: runs CMD where the demo's systemd is; show CMD... echoes it first, as a transcript.
sys() {
        if [[ $mode == container ]]; then
                "$container_sh" exec "$container" "$@"
        else
                "$@"
        fi
}
show() { printf '\033[2m$ %s\033[0m\n' "$*"; sys "$@"; }

cleanup() {
        local rc=$? ok=1
        trap - EXIT INT TERM HUP
        if [[ $vm_started == 1 ]]; then
                sys systemctl stop vm@demo.service 2>/dev/null || ok=0
                sys systemctl reset-failed vm@demo.service 2>/dev/null || true
        fi
        if [[ $mode == host && $files_written == 1 ]]; then
                rm -f -- "$domain_file"
                rm -rf -- "$guest_dir"
        fi
        if [[ $container_started == 1 ]]; then
                "$container_sh" stop "$container" >/dev/null 2>&1 || { ok=0; info "tear-down of the container reported problems"; }
        fi
        [[ $ok == 1 ]] || info "warning: clean-up was incomplete, see above"
        if [[ $rc -ne 0 ]]; then
                info "the demo failed (exit status $rc)"
        fi
        exit "$rc"
}

domain_xml() {          # the demo domain: the tiny guest, TCG, its serial console into the journal
        cat <<EOF
$marker
<domain type='qemu'>
  <name>demo</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$guest_dir/vmlinuz</kernel>
    <initrd>$guest_dir/initrd.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 cryptomgr.notests</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <!-- the serial console on QEMU's stdout: a journal stream (SYSLOG_IDENTIFIER=console) -->
    <serial type='stdio'><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

install_demo_files() {
        install -d -m 0755 "$root$guest_dir" "$root${domain_file%/*}"
        install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$root$guest_dir/"
        domain_xml >"$root$domain_file.new"
        mv -f -- "$root$domain_file.new" "$root$domain_file"
        files_written=1
}

console() { sys journalctl --no-pager -q -o cat -u machine-demo.scope -t console 2>/dev/null || true; }

wait_console() {        # MARKER SECONDS
        local deadline=$((SECONDS + $2))
        until console | grep -q -- "$1"; do
                ((SECONDS < deadline)) || return 1
                sleep 0.2
        done
}

# --- the demo proper, the same in both modes -----------------------------------------------
run_demo() {
        local t0

        say "Domain $domain_file (the tiny test guest, TCG)"
        sed 1d "$root$domain_file"

        say "Starting the VM: returns once QEMU's vCPUs run (READY=1)"
        t0=$EPOCHREALTIME
        show systemctl start vm@demo.service
        vm_started=1
        printf '(%s s)\n' "$(awk -v a="${t0/,/.}" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.2f", b - a }')"

        say "systemctl status vm@demo"
        show systemctl --no-pager --full status vm@demo.service || true

        say "machinectl list (the VM is registered with systemd-machined, QEMU in machine-demo.scope)"
        show machinectl list --no-pager || true

        say "The guest's serial console (journalctl -u machine-demo.scope -t console)"
        if wait_console VMUNIT-GUEST-READY "$boot_timeout"; then
                sleep 1.5       # an uptime line or two
                console | head -n 5
        else
                console | tail -n 20
                die "the guest printed no VMUNIT-GUEST-READY within ${boot_timeout}s"
        fi

        say "Stopping the VM: ACPI power button, the guest powers off"
        show systemctl stop vm@demo.service
        vm_started=0
        wait_console VMUNIT-GUEST-POWERDOWN 5 || true
        console | grep -- VMUNIT-GUEST-POWERDOWN || info "warning: no VMUNIT-GUEST-POWERDOWN on the console"
        show systemctl show -p ActiveState -p Result vm@demo.service
        show journalctl --no-pager -q -o short-monotonic -u vm@demo.service -t vmunit-supervisor
}

# --- host mode ----------------------------------------------------------------------------------
pkgvar() {              # VARIABLE DEFAULT: a directory from systemd.pc
        pkg-config --variable="$1" systemd 2>/dev/null | grep . || echo "$2"
}

host_demo() {
        local sysusersdir tmpfilesdir

        say "systemd is PID 1 here: the demo uses this machine's systemd"
        if systemctl is-active -q vm@demo.service; then
                die "vm@demo.service is already running here; stop it first"
        fi
        if [[ -e $domain_file ]] && ! grep -qF -- "$marker" "$domain_file"; then
                die "'$domain_file' exists and is not the demo's; not touching it"
        fi
        if [[ -e $guest_dir ]] && [[ ! -f $guest_dir/vmlinuz ]]; then
                die "'$guest_dir' exists and is not the demo's guest directory"
        fi

        say "Installing vmunit (meson install -C $build)"
        meson install --quiet -C "$build"
        sysusersdir=$(pkgvar sysusersdir /usr/lib/sysusers.d)
        tmpfilesdir=$(pkgvar tmpfilesdir /usr/lib/tmpfiles.d)
        show systemd-sysusers "$sysusersdir/vmunit.conf"
        show systemd-tmpfiles --create "$tmpfilesdir/vmunit.conf"
        show systemctl daemon-reload

        trap cleanup EXIT
        install_demo_files
        run_demo
        say "Done. The demo domain and guest files were removed; vmunit stays installed" \
            "(ninja -C $build uninstall removes it)."
}

# --- container mode ------------------------------------------------------------------------------
container_demo() {
        say "systemd is not PID 1 on this machine (PID 1 is '$(cat /proc/1/comm)'):" \
            "the demo boots a throw-away container with systemd as PID 1 (tests/systest/container.sh)" \
            "and installs vmunit into it"
        trap cleanup EXIT
        container_started=1
        "$container_sh" start "$container" --install-from "$build"
        root=$("$container_sh" root "$container")
        install_demo_files
        show systemctl daemon-reload
        run_demo
        say "Done. Tearing the container down."
}

[[ $EUID -eq 0 ]] || die "must run as root"
[[ -x $build/supervisor/vmunit-supervisor ]] || die "no supervisor in '$build' (run scripts/build.sh first)"
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "Building the tiny test guest (Debian kernel + busybox, cached in $build/guest)"
"$top/tests/guest/make-guest.sh" "$build/guest"

if [[ $(cat /proc/1/comm 2>/dev/null) == systemd ]]; then
        mode=host
        host_demo
else
        mode=container
        container_demo
fi
