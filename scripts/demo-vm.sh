#!/usr/bin/env bash
# The README demo, second half (scripts/demo.sh installs the dependencies and builds first, then
# runs this): install vmunit, make the tiny test guest, `vmctl define` it as the domain `demo`,
# `vmctl start demo`, show its console output and `vmctl list`, then stop it by the ACPI power
# button and clean up.
#
#   - Where systemd is PID 1 (/proc/1/comm is "systemd"), the host's own systemd is used:
#     `meson install` for real, sysusers.d and tmpfiles.d applied, systemd and D-Bus reloaded. At the
#     end the VM is stopped and undefined and its guest files removed; vmunit stays installed
#     (`ninja -C BUILD_DIR uninstall` removes it).
#   - Elsewhere (a container or a sandbox whose PID 1 is something else, like the machine this
#     project is developed on) there is no systemd to talk to, so the demo says so and boots the
#     system-test bench instead (tests/systest/container.sh: the host's own OS with systemd as PID 1
#     in a throw-away container), `meson install`s vmunit into the container's root and runs the
#     same steps there. At the end the container is torn down.
#
# The host path can be tried on a machine like this one inside a bench container, where systemd is
# PID 1 (what the demo installs lands in the container's throw-away overlay):
#   tests/systest/container.sh start t && tests/systest/container.sh exec t bash $PWD/scripts/demo-vm.sh $PWD/build
#   tests/systest/container.sh stop t
#
# Usage: demo-vm.sh [--keep] [BUILD_DIR]        (default: $VMUNIT_BUILD_DIR, else build/)
#   --keep    leave the demo VM running (and, in container mode, the container) instead of tearing
#             everything down; the commands to look at it and to clean up are printed at the end.
# Needs root. The guest is Debian's cloud kernel plus a busybox initramfs (tests/guest/make-guest.sh,
# built into BUILD_DIR/guest, cached), run under TCG. Without --keep it leaves nothing running, also
# on failure or ^C.
set -euo pipefail

prog=${0##*/}
top=$(cd "$(dirname "$0")/.." && pwd)
keep=0
while [[ $# -gt 0 ]]; do
        case $1 in
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,28{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        -*) printf '%s: unknown option %s (see --help)\n' "$prog" "$1" >&2; exit 2 ;;
        *) break ;;
        esac
done
[[ $# -le 1 ]] || { printf '%s: usage: %s [--keep] [BUILD_DIR]\n' "$prog" "$prog" >&2; exit 2; }
build=$(readlink -f "${1:-${VMUNIT_BUILD_DIR:-$top/build}}")
boot_timeout=${VMUNIT_DEMO_BOOT_TIMEOUT:-120}
container=vmunit-demo
container_sh=$top/tests/systest/container.sh
guest_dir=/var/lib/vmunit-demo         # the guest's kernel and initramfs, readable by vmunit-qemu
domain_xml=$guest_dir/demo.xml         # what `vmctl define` reads
marker='vmunit demo (scripts/demo-vm.sh)'      # the domain's <description>: the demo's own

mode=                   # host | container
root=                   # prefix of the demo's files as seen from here ("" on the host)
vm_defined=0
vm_started=0
files_written=0
container_started=0
finished=0

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

keep_notes() {
        local in=''
        [[ $mode == container ]] && in="$container_sh exec $container "
        say "Kept (--keep): the demo VM is still running"
        printf '  look at it:    %svmctl list\n' "$in"
        printf '                 %sjournalctl -f -u machine-demo.scope -t console\n' "$in"
        if [[ $mode == container ]]; then
                printf '  tear down:     %s stop %s\n' "$container_sh" "$container"
        else
                printf '  stop it:       systemctl stop vm@demo && vmctl undefine demo && rm -r %s\n' "$guest_dir"
        fi
}

cleanup() {
        local rc=$? ok=1
        trap - EXIT INT TERM HUP
        if [[ $keep == 1 && $finished == 1 ]]; then
                keep_notes
                exit "$rc"
        fi
        if [[ $vm_started == 1 ]]; then
                sys systemctl stop vm@demo.service 2>/dev/null || ok=0
                sys systemctl reset-failed vm@demo.service 2>/dev/null || true
        fi
        if [[ $mode == host ]]; then
                if [[ $vm_defined == 1 ]]; then
                        sys vmctl --quiet undefine demo >/dev/null 2>&1 || ok=0
                fi
                [[ $files_written == 0 ]] || rm -rf -- "$guest_dir"
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

write_domain() {        # the demo domain: the tiny guest, TCG, its serial console into the journal
        cat <<EOF
<domain type='qemu'>
  <name>demo</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
  <description>$marker</description>
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
        install -d -m 0755 "$root$guest_dir"
        files_written=1
        install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$root$guest_dir/"
        write_domain >"$root$domain_xml"
        chmod 0644 "$root$domain_xml"
}

# The console lines of this run: the journal since the second it started in.
since=
console() {
        sys journalctl --no-pager -q -o cat ${since:+"--since=@$since"} -u machine-demo.scope -t console \
                2>/dev/null || true
}

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

        say "The demo domain: the tiny test guest under TCG ($domain_xml)"
        cat "$root$domain_xml"

        say "Defining it (org.vmunit.Manager1 validates it and writes /etc/vmunit/domains/demo.xml)"
        show vmctl define "$domain_xml"
        vm_defined=1
        show vmctl list --all

        say "Starting it: vm@demo.service; returns once QEMU's vCPUs run (READY=1)"
        since=$(date +%s)
        t0=$EPOCHREALTIME
        vm_started=1
        show vmctl start demo
        printf '(%s s)\n' "$(awk -v a="${t0/,/.}" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.2f", b - a }')"
        show vmctl list
        show vmctl dominfo demo

        say "systemctl status vm@demo (QEMU runs in machine-demo.scope, registered with systemd-machined)"
        show systemctl --no-pager --full --lines=5 status vm@demo.service || true
        show machinectl list --no-pager || true

        say "The guest's serial console (journalctl -u machine-demo.scope -t console)"
        if wait_console VMUNIT-GUEST-READY "$boot_timeout"; then
                sleep 1.5       # an uptime line or two
                console | head -n 5
        else
                console | tail -n 20
                die "the guest printed no VMUNIT-GUEST-READY within ${boot_timeout}s"
        fi
        if [[ $keep == 1 ]]; then
                finished=1
                return
        fi

        say "Stopping it: the ACPI power button, the guest powers off"
        show systemctl stop vm@demo.service
        vm_started=0
        wait_console VMUNIT-GUEST-POWERDOWN 5 || true
        console | grep -- VMUNIT-GUEST-POWERDOWN || info "warning: no VMUNIT-GUEST-POWERDOWN on the console"
        show systemctl show -p ActiveState -p Result vm@demo.service
        printf '\033[2m$ %s\033[0m\n' "journalctl -u vm@demo.service -t vmunit-supervisor   (this run's lines)"
        sys journalctl --no-pager -q -o short-monotonic ${since:+"--since=@$since"} -u vm@demo.service \
                -t vmunit-supervisor
        show vmctl undefine demo
        vm_defined=0
        finished=1
}

# --- host mode ----------------------------------------------------------------------------------
pkgvar() {              # VARIABLE DEFAULT: a directory from systemd.pc
        pkg-config --variable="$1" systemd 2>/dev/null | grep . || echo "$2"
}

host_demo() {
        local sysusersdir tmpfilesdir

        say "systemd is PID 1 here: the demo installs vmunit on this machine and uses its systemd"
        if systemctl is-active -q vm@demo.service; then
                die "vm@demo.service is already running here; stop it first"
        fi
        if [[ -e /etc/vmunit/domains/demo.xml ]] && ! grep -qF -- "$marker" /etc/vmunit/domains/demo.xml; then
                die "a domain 'demo' is defined here and is not the demo's; not touching it"
        fi
        local stale=0
        [[ ! -e /etc/vmunit/domains/demo.xml ]] || stale=1
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
        # The bus must see the new policy (who may own org.vmunit.*) and activation files.
        show busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig

        trap cleanup EXIT
        if [[ $stale == 1 ]]; then
                say "A previous demo (--keep) left its definition: removing it"
                show vmctl undefine demo
        fi
        install_demo_files
        run_demo
        if [[ $keep == 0 ]]; then
                say "Done. The demo domain and guest files were removed; vmunit stays installed" \
                    "(ninja -C $build uninstall removes it)."
        fi
}

# --- container mode ------------------------------------------------------------------------------
container_demo() {
        say "systemd is not PID 1 on this machine (PID 1 is '$(cat /proc/1/comm)'), so there is no" \
            "systemd to run the VM under. The demo boots a throw-away container with systemd as PID 1" \
            "instead (tests/systest/container.sh: this machine's own OS on an overlay), installs vmunit" \
            "into it (meson install --destdir), and runs every step below inside it."
        if "$container_sh" status "$container" >/dev/null 2>&1; then
                die "the container of a previous demo (--keep) is still up; tear it down first: $container_sh stop $container"
        fi
        trap cleanup EXIT
        container_started=1
        "$container_sh" start "$container" --install-from "$build"
        root=$("$container_sh" root "$container")
        install_demo_files
        run_demo
        if [[ $keep == 0 ]]; then
                say "Done. Tearing the container down."
        fi
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
