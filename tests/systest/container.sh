#!/usr/bin/env bash
# A throw-away container that boots the host's own OS with a real systemd as PID 1, for
# system tests (see the systest recipe). The root is an overlayfs: lower = host `/`
# (read-only), upper/work on a private tmpfs, so nothing the tests do reaches the host.
#
# Usage:
#   container.sh start NAME [--install-from BUILD_DIR] [--bind SRC[:DST]]... [--bind-ro SRC[:DST]]...
#                           [--timeout SECS] [--allow-degraded]
#   container.sh exec NAME CMD [ARG]...     run CMD inside (nsenter: host credentials, no seccomp)
#   container.sh stop NAME                  tear down; safe to repeat, and after a failed start
#   container.sh status NAME                print the recorded state (exit 1 if not running)
#   container.sh root NAME                  print the host path of the container's root
#   container.sh list                       names with a state directory
#
# start boots `systemd-nspawn --boot` from a dedicated cgroup and waits until
# `systemctl is-system-running --wait` says `running` (exit 1 and full clean-up otherwise).
# --install-from runs `meson install --destdir ROOT -C BUILD_DIR` into the root before boot
# (so generators, sysusers.d, tmpfiles.d, D-Bus and polkit files are seen at boot) and
# binds BUILD_DIR read-only at the same path. /dev/kvm inside is a node of its own,
# root:kvm 0660, the host's node is left as it is.
#
# State lives in /run/vmunit-systest/NAME/: the tmpfs (fs/), the merged root (root/), the
# nspawn console log (console.log) and `state` (shell-readable key=value lines).
# Environment: VMUNIT_SYSTEST_RUNDIR (default /run/vmunit-systest).
#
# As a library: `source container.sh` defines systest_start, systest_exec, systest_stop,
# systest_root; each runs this script as a separate process, so the caller's shell options
# and traps are left alone.
set -euo pipefail

SYSTEST_CONTAINER_SH=$(readlink -f "${BASH_SOURCE[0]}")

systest_start() { "$SYSTEST_CONTAINER_SH" start "$@"; }
systest_exec()  { "$SYSTEST_CONTAINER_SH" exec "$@"; }
systest_stop()  { "$SYSTEST_CONTAINER_SH" stop "$@"; }
systest_root()  { "$SYSTEST_CONTAINER_SH" root "$@"; }

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
        return 0        # sourced: only the functions above
fi

prog=${0##*/}
rundir=${VMUNIT_SYSTEST_RUNDIR:-/run/vmunit-systest}
stop_timeout=30         # seconds for a clean poweroff before we kill the cgroup

die()  { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
info() { printf '%s: %s\n' "$prog" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
now()  { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

usage() { sed -n '6,13{s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

validate_name() {
        # Also the machine name (a hostname label) and part of a cgroup name.
        [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9-]{0,49}$ ]] ||
                die "invalid container name '$1' (letters, digits and '-', up to 50)"
}

# --- cgroup layout -------------------------------------------------------------------------
# This machine is hybrid: v1 controllers, the v1 name=systemd hierarchy at
# /sys/fs/cgroup/systemd and cgroup2 at /sys/fs/cgroup/unified. A pure cgroup2 host has
# cgroup2 at /sys/fs/cgroup itself and no name=systemd hierarchy. nspawn is started from
# a cgroup of ours in each hierarchy that exists, so that its payload/ and supervisor/
# land there, and so that tear-down can kill the whole tree with cgroup.kill.
cgroup_paths() {        # NAME -> sets cg_unified, cg_v1 (empty if that hierarchy is absent)
        local fstype
        fstype=$(stat -fc %T /sys/fs/cgroup 2>/dev/null) || die "/sys/fs/cgroup is not mounted"
        cg_v1=
        if [[ $fstype == cgroup2fs ]]; then
                cg_unified=/sys/fs/cgroup/vmunit-systest-$1
        elif [[ $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then
                cg_unified=/sys/fs/cgroup/unified/vmunit-systest-$1
                if [[ $(stat -fc %T /sys/fs/cgroup/systemd 2>/dev/null) == cgroupfs ]]; then
                        cg_v1=/sys/fs/cgroup/systemd/vmunit-systest-$1
                fi
        else
                die "no cgroup2 hierarchy (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified):" \
                    "DevicePolicy= could not be enforced in the container"
        fi
}

# --- processes -----------------------------------------------------------------------------
proc_starttime() {      # PID -> start time in ticks (field 22 of /proc/PID/stat), or fail
        local stat f
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        stat=${stat##*) }       # drop "pid (comm) ": comm may contain spaces
        read -ra f <<<"$stat"   # f[0] is field 3 (state)
        [[ ${f[0]} != Z ]] || return 1   # a zombie is as good as gone
        printf '%s\n' "${f[19]}"
}

# Is PID still the process we recorded (same start time), not a recycled pid?
same_process() {        # PID STARTTIME
        local st
        [[ -n $1 && -n $2 ]] || return 1
        st=$(proc_starttime "$1") || return 1
        [[ $st == "$2" ]]
}

cgroup_populated() {    # unified cgroup dir -> success if any process is left in the subtree
        [[ -d $1 ]] || return 1
        if [[ -r $1/cgroup.events ]]; then
                grep -qx 'populated 1' "$1/cgroup.events"
        else
                [[ -n $(find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null) ]]
        fi
}

kill_cgroup_tree() {    # cgroup dir: SIGKILL everything in it and below
        local dir=$1 pid
        [[ -d $dir ]] || return 0
        if [[ -w $dir/cgroup.kill ]]; then
                echo 1 >"$dir/cgroup.kill" 2>/dev/null || true
        fi
        # v1 has no cgroup.kill, and a kernel before 5.14 has none in v2 either.
        while read -r pid; do
                kill -KILL "$pid" 2>/dev/null || true
        done < <(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null)
}

remove_cgroup_tree() {  # cgroup dir: rmdir bottom-up; fails if a process is left
        local dir=$1
        [[ -d $dir ]] || return 0
        find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [[ ! -d $dir ]]
}

# --- mounts --------------------------------------------------------------------------------
mounts_below() {        # DIR -> mount points at or below DIR, deepest first
        findmnt -rn -o TARGET 2>/dev/null | awk -v d="$1" '$0 == d || index($0, d "/") == 1' | sort -r
}

unmount_all_below() {   # DIR
        local m
        for _ in {1..10}; do
                [[ -n $(mounts_below "$1") ]] || return 0
                while read -r m; do
                        umount "$m" 2>/dev/null || true
                done < <(mounts_below "$1")
                [[ -n $(mounts_below "$1") ]] || return 0
                sleep 0.2
        done
        while read -r m; do
                warn "'$m' is busy, detaching it lazily"
                umount -l "$m" || true
        done < <(mounts_below "$1")
        [[ -z $(mounts_below "$1") ]]
}

# --- state ---------------------------------------------------------------------------------
state_dir() { printf '%s/%s\n' "$rundir" "$1"; }

load_state() {          # NAME -> sets the variables from the state file, if there is one
        local f
        f=$(state_dir "$1")/state
        nspawn_pid='' nspawn_start='' pid1='' pid1_start='' root=''
        [[ -r $f ]] || return 1
        local key value
        while IFS='=' read -r key value; do
                case $key in
                nspawn_pid|nspawn_start|pid1|pid1_start|root) printf -v "$key" '%s' "$value" ;;
                esac
        done <"$f"
}

write_state() {         # NAME KEY=VALUE...
        local dir
        dir=$(state_dir "$1"); shift
        printf '%s\n' "$@" >"$dir/state.new"
        mv -f "$dir/state.new" "$dir/state"
}

take_lock() {           # NAME: serialise start/stop of one container
        # Retried: a tear-down of another container may remove an empty $rundir meanwhile.
        for _ in {1..5}; do
                mkdir -p "$rundir" && exec 9>"$rundir/.$1.lock" && break
                sleep 0.1
        done 2>/dev/null
        flock -w 120 9 || die "cannot lock container '$1' ($rundir/.$1.lock)"
}

# Is container NAME up (the recorded nspawn still alive)? Uses load_state.
is_running() {
        load_state "$1" || return 1
        same_process "$nspawn_pid" "$nspawn_start"
}

# --- stop ----------------------------------------------------------------------------------
# Tear down whatever exists of container NAME, in the recipe's order. Every step tolerates
# the resource being absent already. Returns non-zero if something could not be removed.
teardown() {
        local name=$1 dir ok=0 deadline
        dir=$(state_dir "$name")
        cgroup_paths "$name"
        load_state "$name" || true

        if same_process "$nspawn_pid" "$nspawn_start"; then
                # nspawn turns SIGTERM into SIGRTMIN+3 for PID 1: a clean poweroff.
                kill -TERM "$nspawn_pid" 2>/dev/null || true
                deadline=$((SECONDS + stop_timeout))
                while same_process "$nspawn_pid" "$nspawn_start" && ((SECONDS < deadline)); do
                        sleep 0.05
                done
                if same_process "$nspawn_pid" "$nspawn_start"; then
                        warn "container '$name' did not power off within ${stop_timeout}s, killing it"
                fi
        fi

        # Whatever is left (a hung poweroff, or a start that failed half way): kill the tree.
        deadline=$((SECONDS + 10))
        while cgroup_populated "$cg_unified" || { [[ -n $cg_v1 ]] && cgroup_populated "$cg_v1"; }; do
                kill_cgroup_tree "$cg_unified"
                [[ -z $cg_v1 ]] || kill_cgroup_tree "$cg_v1"
                if ((SECONDS >= deadline)); then
                        warn "processes are left in the cgroups of '$name'"
                        ok=1
                        break
                fi
                sleep 0.05
        done
        if same_process "$nspawn_pid" "$nspawn_start"; then
                kill -KILL "$nspawn_pid" 2>/dev/null || true
        fi

        if [[ -d $dir ]]; then
                unmount_all_below "$dir" || { warn "cannot unmount everything below '$dir'"; ok=1; }
        fi
        remove_cgroup_tree "$cg_unified" || { warn "cannot remove cgroup '$cg_unified'"; ok=1; }
        if [[ -n $cg_v1 ]]; then
                remove_cgroup_tree "$cg_v1" || { warn "cannot remove cgroup '$cg_v1'"; ok=1; }
        fi
        # nspawn cannot remove this itself because /run is not a tmpfs here.
        rm -rf -- "/run/systemd/nspawn/propagate/$name"

        if [[ -d $dir ]]; then
                if [[ -z $(mounts_below "$dir") ]]; then
                        rm -rf --one-file-system -- "$dir"
                else
                        warn "keeping '$dir': something is still mounted below it"
                        ok=1
                fi
        fi
        rm -f -- "$rundir/.$name.lock"
        rmdir -- "$rundir" 2>/dev/null || true
        return $ok
}

cmd_stop() {
        [[ $# -eq 1 ]] || usage
        local name=$1 t0
        validate_name "$name"
        [[ $EUID -eq 0 ]] || die "must run as root"
        t0=$(now)
        take_lock "$name"
        teardown "$name" || die "tear-down of '$name' was incomplete (see warnings above)"
        info "stopped '$name' in $(elapsed "$t0" "$(now)") s"
}

# --- start ---------------------------------------------------------------------------------
prepare_root() {        # NAME ROOT BUILD_DIR
        local name=$1 root=$2 build=$3 gid

        # A machine id of its own: with the host's, journald refuses to link journals.
        local uuid
        uuid=$(cat /proc/sys/kernel/random/uuid)
        printf '%s\n' "${uuid//-/}" >"$root/etc/machine-id"

        # The host image enables services (postgresql, timers, ...) that make a boot slow or
        # degraded. Drop all of the host's own enablements; vendor ones under /usr stay.
        # With that, Debian 12 boots to `running` with no unit masked; a unit that fails
        # makes start report `degraded` with the list of failed units.
        rm -rf -- "$root"/etc/systemd/system/*.wants

        # /dev/kvm usable by group kvm, with the group in the image before boot (sysusers
        # would otherwise pick a gid only at boot). The node is ours: the host's stays 0600.
        if ! grep -q '^kvm:' "$root/etc/group"; then
                groupadd --root "$root" --system kvm || die "cannot add group kvm to the container"
        fi
        gid=$(awk -F: '$1 == "kvm" { print $3 }' "$root/etc/group")
        if [[ -c /dev/kvm ]]; then
                local node
                node=$(state_dir "$name")/fs/kvm       # on our tmpfs, bound to /dev/kvm
                # shellcheck disable=SC2046 # major and minor, as two words
                mknod -m 0660 "$node" c $(stat -c "%Hr %Lr" /dev/kvm)
                chown "0:$gid" "$node"
        fi

        if [[ -n $build ]]; then
                info "installing $build into the container"
                meson install --quiet --destdir "$root" -C "$build" >&2 ||
                        die "meson install from '$build' failed"
        fi
}

find_pid1() {           # NSPAWN_PID -> PID of the container's systemd (host pid namespace)
        local c
        for c in $(pgrep -P "$1" 2>/dev/null); do
                if [[ $(cat "/proc/$c/comm" 2>/dev/null) == systemd ]]; then
                        printf '%s\n' "$c"
                        return 0
                fi
        done
        return 1
}

start_exit_trap() {
        local rc=$?
        if [[ $start_done == 0 ]]; then
                info "start of '$start_name' failed, cleaning up"
                teardown "$start_name" || true
        fi
        exit "$rc"
}

cmd_start() {
        [[ $# -ge 1 ]] || usage
        # Global, not local: the EXIT trap below may run after this function returned.
        start_name=$1 start_done=0
        local name=$1; shift
        local build='' timeout=60 allow_degraded=0 binds=() t0
        validate_name "$name"
        while [[ $# -gt 0 ]]; do
                case $1 in
                --install-from) [[ $# -ge 2 ]] || usage; build=$2; shift 2 ;;
                --install-from=*) build=${1#*=}; shift ;;
                --bind|--bind-ro)
                        [[ $# -ge 2 ]] || usage
                        [[ -e ${2%%:*} ]] || die "$1 source '${2%%:*}' does not exist"
                        binds+=("$1=$2"); shift 2 ;;
                --bind=*|--bind-ro=*)
                        local src=${1#*=}
                        [[ -e ${src%%:*} ]] || die "${1%%=*} source '${src%%:*}' does not exist"
                        binds+=("$1"); shift ;;
                --timeout) [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage; timeout=$2; shift 2 ;;
                --allow-degraded) allow_degraded=1; shift ;;
                *) die "unknown option '$1'" ;;
                esac
        done
        if [[ -n $build ]]; then
                [[ -d $build ]] || die "build directory '$build' does not exist (run meson setup first)"
                [[ -f $build/build.ninja ]] || die "'$build' is not a meson build directory"
                build=$(readlink -f "$build")
        fi
        [[ $EUID -eq 0 ]] || die "must run as root"
        local tool
        for tool in systemd-nspawn nsenter findmnt pgrep flock groupadd mknod; do
                command -v "$tool" >/dev/null || die "'$tool' not found"
        done
        [[ -z $build ]] || command -v meson >/dev/null || die "'meson' not found"

        t0=$(now)
        take_lock "$name"
        cgroup_paths "$name"
        local dir
        dir=$(state_dir "$name")
        if is_running "$name"; then
                die "container '$name' is already running (nspawn pid $nspawn_pid)"
        fi
        if [[ -e $dir || -d $cg_unified || ( -n $cg_v1 && -d $cg_v1 ) ]]; then
                info "cleaning up what a previous run of '$name' left behind"
                teardown "$name" || die "cannot clean up the previous run of '$name'"
                take_lock "$name"
        fi

        # From here on, any failure tears everything down again.
        trap start_exit_trap EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        trap 'exit 129' HUP

        mkdir -p "$dir/fs" "$dir/root"
        # The upper/work dirs must not be on `/` (the lower layer): overlayfs refuses that.
        mount -t tmpfs -o mode=0755 "vmunit-systest-$name" "$dir/fs"
        mount --make-private "$dir/fs"
        mkdir "$dir/fs/upper" "$dir/fs/work"
        mount -t overlay -o "lowerdir=/,upperdir=$dir/fs/upper,workdir=$dir/fs/work" \
                "vmunit-systest-$name" "$dir/root"
        mount --make-private "$dir/root"
        local root=$dir/root
        write_state "$name" "status=preparing" "root=$root"

        prepare_root "$name" "$root" "$build"

        local args=(--quiet --register=no --keep-unit --directory="$root" --machine="$name"
                    --boot --console=pipe --system-call-filter=bpf --private-network)
        if [[ -c $dir/fs/kvm ]]; then
                args+=(--bind="$dir/fs/kvm:/dev/kvm")
        fi
        [[ -z $build ]] || args+=(--bind-ro="$build")
        args+=("${binds[@]}")

        mkdir -p "$cg_unified"
        [[ -z $cg_v1 ]] || mkdir -p "$cg_v1"

        # The launcher moves itself into our cgroups, records its pid and becomes nspawn. In a
        # session of its own, so that a terminal's ^C for the caller does not reach it.
        # shellcheck disable=SC2016 # expanded by the inner shell
        setsid bash -c '
                echo $$ >"$1/cgroup.procs" || { echo failed >"$3"; exit 1; }
                if [ -n "$2" ]; then echo $$ >"$2/cgroup.procs" || { echo failed >"$3"; exit 1; }; fi
                echo $$ >"$3"
                shift 3
                SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 exec systemd-nspawn "$@"
        ' vmunit-systest-launch "$cg_unified" "$cg_v1" "$dir/nspawn.pid" "${args[@]}" \
                </dev/null >>"$dir/console.log" 2>&1 9>&- &
        disown $!       # not a job of ours: no "Killed" notice when a failed start kills it

        local deadline=$((SECONDS + timeout)) spid=
        until [[ -s $dir/nspawn.pid ]] && spid=$(<"$dir/nspawn.pid") && [[ -n $spid ]]; do
                ((SECONDS < deadline)) || die "nspawn did not start within ${timeout}s"
                sleep 0.01
        done
        [[ $spid =~ ^[0-9]+$ ]] ||
                die "cannot move the nspawn launcher into '$cg_unified' / '${cg_v1:-}':" \
                    "$(tail -n 5 "$dir/console.log")"
        nspawn_pid=$spid
        nspawn_start=$(proc_starttime "$nspawn_pid") ||
                die "systemd-nspawn exited at once: $(tail -n 5 "$dir/console.log")"
        write_state "$name" "status=booting" "root=$root" \
                "nspawn_pid=$nspawn_pid" "nspawn_start=$nspawn_start"

        local pid1=
        until pid1=$(find_pid1 "$nspawn_pid"); do
                same_process "$nspawn_pid" "$nspawn_start" ||
                        die "systemd-nspawn exited during boot; its output:"$'\n'"$(tail -n 20 "$dir/console.log")"
                ((SECONDS < deadline)) || die "no systemd PID 1 under nspawn $nspawn_pid within ${timeout}s"
                sleep 0.01
        done
        local pid1_start
        pid1_start=$(proc_starttime "$pid1") || die "PID 1 of '$name' died during boot"
        write_state "$name" "status=booting" "root=$root" \
                "nspawn_pid=$nspawn_pid" "nspawn_start=$nspawn_start" "pid1=$pid1" "pid1_start=$pid1_start"

        # Until PID 1 listens on its bus, systemctl fails with "Failed to connect to bus":
        # retry until it prints a state. --wait then returns once the boot is over.
        local state='' left
        while :; do
                left=$((deadline - SECONDS))
                ((left > 0)) || die "'$name' did not finish booting within ${timeout}s (state: '${state:-none}')"
                state=$(timeout "$left" nsenter -t "$pid1" -a systemctl is-system-running --wait 2>/dev/null) || true
                case $state in
                running) break ;;
                degraded)
                        if [[ $allow_degraded == 1 ]]; then
                                warn "'$name' booted degraded"
                                break
                        fi
                        die "'$name' booted degraded (--allow-degraded keeps it for a look); failed units:"$'\n'"$(nsenter -t "$pid1" -a systemctl --failed --no-legend --plain 2>&1)"
                        ;;
                maintenance|stopping|offline)
                        die "'$name' is '$state' instead of running"
                        ;;
                esac
                same_process "$nspawn_pid" "$nspawn_start" ||
                        die "systemd-nspawn exited during boot; its output:"$'\n'"$(tail -n 20 "$dir/console.log")"
                sleep 0.05
        done
        write_state "$name" "status=$state" "root=$root" \
                "nspawn_pid=$nspawn_pid" "nspawn_start=$nspawn_start" "pid1=$pid1" "pid1_start=$pid1_start"
        start_done=1
        info "'$name' is $state (PID 1 = host pid $pid1) after $(elapsed "$t0" "$(now)") s"
}

# --- other commands ------------------------------------------------------------------------
require_running() {     # NAME
        validate_name "$1"
        is_running "$1" || die "container '$1' is not running"
        same_process "$pid1" "$pid1_start" || die "PID 1 of container '$1' is gone"
}

cmd_exec() {
        [[ $# -ge 2 ]] || usage
        local name=$1; shift
        require_running "$name"
        exec nsenter -t "$pid1" -a -- "$@"
}

cmd_status() {
        [[ $# -eq 1 ]] || usage
        validate_name "$1"
        load_state "$1" || die "no container '$1'"
        cat "$(state_dir "$1")/state"
        is_running "$1"
}

cmd_root() {
        [[ $# -eq 1 ]] || usage
        require_running "$1"
        printf '%s\n' "$root"
}

cmd_list() {
        [[ $# -eq 0 ]] || usage
        local d
        for d in "$rundir"/*/; do
                [[ -d $d ]] && basename "$d"
        done
        return 0
}

[[ $# -ge 1 ]] || usage
cmd=$1; shift
case $cmd in
start)  cmd_start "$@" ;;
stop)   cmd_stop "$@" ;;
exec)   cmd_exec "$@" ;;
status) cmd_status "$@" ;;
root)   cmd_root "$@" ;;
list)   cmd_list "$@" ;;
-h|--help|help) usage ;;
*) die "unknown command '$cmd'" ;;
esac
