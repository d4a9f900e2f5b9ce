#!/usr/bin/env bash
# Build the tiny test guest: a Debian cloud kernel plus a busybox initramfs whose
# /init answers an ACPI power button press by powering off.
#
# Usage: make-guest.sh [--force] OUTDIR
#
# Produces OUTDIR/vmlinuz and OUTDIR/initrd.cpio.gz (newc cpio, gzip). The .debs are
# cached in OUTDIR/cache (checked against apt's SHA256). Nothing is installed on the
# host; only `apt-get download` touches the network. Outputs newer than this script
# are kept as they are (use --force to rebuild).
#
# Guest protocol, all on ttyS0 (one line each):
#   VMUNIT-GUEST-READY            the power button is open: an ACPI powerdown from now on is seen
#   VMUNIT-GUEST-UPTIME <secs>    once a second, for as long as the guest runs
#   VMUNIT-GUEST-POWERDOWN        a power button event arrived, `poweroff -f` follows
#   VMUNIT-GUEST-ACPI-IGNORED     with `vmunit.ignore_acpi=1` on the kernel command line:
#                                 an event arrived and was deliberately ignored
#   VMUNIT-GUEST-POWEROFF         with `vmunit.poweroff_after=N` on the kernel command line: N
#                                 seconds after READY the guest powers itself off (`poweroff -f`)
#   VMUNIT-GUEST-NET <addr>       with `vmunit.ip=ADDR/PREFIX`: eth0 (the first virtio NIC) is up
#                                 with that address, before READY
#   VMUNIT-GUEST-VIRTIOFS <text>  with `vmunit.virtiofs=TAG`: the virtiofs share TAG is mounted at
#                                 /mnt, <text> is its file 'hello', and 'from-guest' was written
#                                 into it, before READY
#   VMUNIT-GUEST-ERROR <what>     setup failed; the guest stays up (no READY marker)
# Boot with: -kernel vmlinuz -initrd initrd.cpio.gz
#            -append "console=ttyS0 quiet panic=-1 cryptomgr.notests" -no-reboot
set -euo pipefail

prog=${0##*/}
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
info() { printf '%s: %s\n' "$prog" "$*" >&2; }

force=0
while [[ $# -gt 0 ]]; do
        case $1 in
        --force) force=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        --) shift; break ;;
        -*) die "unknown option '$1' (usage: $prog [--force] OUTDIR)" ;;
        *) break ;;
        esac
done
[[ $# -eq 1 ]] || die "usage: $prog [--force] OUTDIR"
outdir=$1
self=$(readlink -f "$0")

# Modules the /init needs, as paths below lib/modules/VERSION/kernel/ (without .ko*).
wanted_modules=(drivers/input/evdev drivers/acpi/button drivers/virtio/virtio_pci drivers/net/virtio_net
                fs/fuse/virtiofs)

up_to_date() {
        [[ $force -eq 0 && -s $outdir/vmlinuz && -s $outdir/initrd.cpio.gz &&
           $outdir/vmlinuz -nt $self && $outdir/initrd.cpio.gz -nt $self ]]
}
if up_to_date; then
        info "up to date: $outdir/vmlinuz $outdir/initrd.cpio.gz"
        exit 0
fi

for tool in apt-cache apt-get dpkg-deb gzip sha256sum flock; do
        command -v "$tool" >/dev/null || die "'$tool' not found (this script needs a Debian host)"
done

mkdir -p "$outdir/cache" || die "cannot create '$outdir/cache'"
outdir=$(readlink -f "$outdir")
# Tests running in parallel may all ask for the guest: one builds, the others wait for it.
exec 8>"$outdir/.lock"
flock 8 || die "cannot lock '$outdir/.lock'"
if up_to_date; then
        info "up to date: $outdir/vmlinuz $outdir/initrd.cpio.gz (built meanwhile)"
        exit 0
fi
cache=$outdir/cache

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmunit-guest.XXXXXX") || die "cannot create a temporary directory"
cleanup() {
        rm -rf -- "$tmp"
        rm -f -- "$outdir/.vmlinuz.new" "$outdir/.initrd.cpio.gz.new"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# The concrete kernel package behind the meta package, e.g. linux-image-6.1.0-56-cloud-amd64.
kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1) || true
[[ -n $kpkg ]] || die "cannot resolve the kernel package behind 'linux-image-cloud-amd64'" \
                      "(is it in apt's lists? try 'apt-get update')"

# Cache the .debs: one apt query for names and hashes (apt is slow to start), a download
# only for what is missing or stale. Sets debs[PKG] to the path of the cached file.
declare -A debs=()
fetch() {
        local name hash pkg missing=()
        while read -r _ name _ hash; do
                [[ $hash == SHA256:* ]] || die "apt gave no SHA256 for '$name'"
                pkg=${name%%_*}
                debs[$pkg]=$cache/$name
                if ! { [[ -f $cache/$name ]] &&
                       echo "${hash#SHA256:}  $cache/$name" | sha256sum --quiet -c - >/dev/null 2>&1; }; then
                        missing+=("$pkg")
                        echo "${hash#SHA256:}  $name" >>"$tmp/SHA256SUMS"
                fi
        done < <(apt-get download --print-uris "$@" 2>/dev/null)
        for pkg in "$@"; do
                [[ -n ${debs[$pkg]:-} ]] || die "apt cannot locate package '$pkg' (try 'apt-get update')"
        done
        [[ ${#missing[@]} -gt 0 ]] || return 0
        info "downloading ${missing[*]}"
        mkdir "$tmp/dl"
        # -o APT::Sandbox::User=root: the _apt user may not be able to write into the cache dir.
        (cd "$tmp/dl" && apt-get -q=2 -o APT::Sandbox::User=root download "${missing[@]}") >&2 ||
                die "apt-get download ${missing[*]} failed"
        (cd "$tmp/dl" && sha256sum --quiet -c "$tmp/SHA256SUMS") >&2 ||
                die "downloaded packages do not match apt's checksums"
        for pkg in "${missing[@]}"; do
                rm -f -- "$cache/${pkg}"_*.deb          # older versions of the same package
                mv -- "$tmp/dl/${debs[$pkg]##*/}" "${debs[$pkg]}"
        done
}
fetch "$kpkg" busybox-static
kdeb=${debs[$kpkg]}
bdeb=${debs[busybox-static]}

info "unpacking $kpkg and busybox-static"
mkdir "$tmp/k" "$tmp/b" "$tmp/root"
dpkg-deb -x "$kdeb" "$tmp/k" || die "cannot unpack '$kdeb'"
dpkg-deb -x "$bdeb" "$tmp/b" || die "cannot unpack '$bdeb'"

kernels=("$tmp"/k/boot/vmlinuz-*)
[[ ${#kernels[@]} -eq 1 && -f ${kernels[0]} ]] || die "expected exactly one boot/vmlinuz-* in '$kdeb'"
kver=${kernels[0]##*/vmlinuz-}
moddir=$tmp/k/lib/modules/$kver
[[ -d $moddir ]] || moddir=$tmp/k/usr/lib/modules/$kver    # merged-/usr layout of newer releases
[[ -d $moddir ]] || die "no modules directory for kernel $kver in '$kdeb'"

bb=$tmp/b/bin/busybox
[[ -x $bb ]] || die "no bin/busybox in '$bdeb'"

# --- initramfs tree -------------------------------------------------------------------------
r=$tmp/root
mkdir -p "$r"/{bin,dev,proc,sys,run,tmp,lib/modules}
cp "$bb" "$r/bin/busybox"
# Applet links made here, not by `busybox --install` at boot (that needs /proc first).
for applet in $("$bb" --list); do
        [[ $applet == busybox ]] || ln -s busybox "$r/bin/$applet"
done

# Modules: skip built-ins, add dependencies first, store them uncompressed so that
# insmod works whatever the guest kernel can decompress.
builtin_list=$moddir/modules.builtin
declare -A added=()
load_order=()
# modfile NAME -> path of the module file for module NAME ('-' and '_' are equivalent)
modfile() {
        local n=${1//-/_} f b
        while IFS= read -r -d '' f; do
                b=${f##*/}; b=${b%%.ko*}
                [[ ${b//-/_} == "$n" ]] && { printf '%s\n' "$f"; return 0; }
        done < <(find "$moddir/kernel" -name '*.ko*' -print0)
        return 1
}
add_module() {
        local f=$1 name out dep deps depfile
        name=${f##*/}; name=${name%%.ko*}
        [[ -n ${added[$name]:-} ]] && return 0
        added[$name]=1
        out=$r/lib/modules/$name.ko
        case $f in
        *.ko)     cp "$f" "$out" ;;
        *.ko.xz)  "$bb" unxz -c "$f" >"$out" ;;
        *.ko.gz)  "$bb" zcat "$f" >"$out" ;;
        *.ko.zst) command -v zstd >/dev/null || die "'$f' is zstd-compressed and zstd is not installed"
                  zstd -q -d -c "$f" >"$out" ;;
        *)        die "unknown module format: '$f'" ;;
        esac || die "cannot extract module '$f'"
        # The "depends=a,b" string of the .modinfo section. (modinfo itself wants the
        # modules.dep of the running kernel, which the package does not ship.)
        deps=$(tr '\0' '\n' <"$out" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
        for dep in $deps; do
                if depfile=$(modfile "$dep"); then
                        add_module "$depfile"
                elif ! grep -q "/${dep//[-_]/[-_]}\.ko" "$builtin_list" 2>/dev/null; then
                        die "module '$name' depends on '$dep', which is neither a module nor built in"
                fi
        done
        load_order+=("$name")           # after its dependencies
}
for m in "${wanted_modules[@]}"; do
        if grep -qx "kernel/$m\.ko.*" "$builtin_list" 2>/dev/null; then
                info "${m##*/} is built into $kver"
                continue
        fi
        files=("$moddir/kernel/$m".ko*)
        [[ -f ${files[0]} ]] || die "module '$m' is neither built into $kver nor shipped in '$kdeb'"
        add_module "${files[0]}"
done
printf '%s\n' "${load_order[@]}" >"$r/lib/modules/load-order"

cat >"$r/init" <<'EOF'
#!/bin/sh
# vmunit test guest init (generated by tests/guest/make-guest.sh); runs as PID 1.
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run

# Markers go to the first serial port, whatever console= says.
if [ -c /dev/ttyS0 ]; then exec 1>/dev/ttyS0; else exec 1>/dev/console; fi
exec 2>&1

fail() {
        echo "VMUNIT-GUEST-ERROR $*"
        while :; do sleep 3600; done
}

ignore_acpi=0
poweroff_after=
ip_addr=
virtiofs_tag=
for arg in $(cat /proc/cmdline); do
        case $arg in
        vmunit.ignore_acpi=1) ignore_acpi=1 ;;
        vmunit.ip=*) ip_addr=${arg#*=} ;;
        vmunit.virtiofs=*) virtiofs_tag=${arg#*=} ;;
        vmunit.poweroff_after=*) poweroff_after=${arg#*=} ;;
        esac
done
case $poweroff_after in
""|*[!0-9]*) poweroff_after= ;;
esac

while read -r mod; do
        [ -n "$mod" ] || continue
        insmod "/lib/modules/$mod.ko" || fail "insmod $mod failed"
done </lib/modules/load-order

# The button driver probes asynchronously: give the device a moment to appear.
events=
tries=0
while :; do
        for d in /sys/class/input/input*; do
                [ "$(cat "$d/name" 2>/dev/null)" = "Power Button" ] || continue
                for e in "$d"/event*; do
                        [ -e "$e" ] && events="$events /dev/input/${e##*/}"
                done
        done
        [ -n "$events" ] && break
        tries=$((tries + 1))
        [ $tries -le 100 ] || fail "no input device named 'Power Button'"
        usleep 50000
done

# Open every power button before the ready marker: evdev only queues events for
# readers that have the device open, so an event sent right after READY is kept.
# Each reader inherits its descriptor from this shell, so it is open right now.
fd=3
for ev in $events; do
        [ -c "$ev" ] || fail "$ev is not a character device"
        eval "exec $fd<$ev" || fail "cannot open $ev"
        (
                # struct input_event is 24 bytes on x86_64: struct timeval (16), then
                # __u16 type, __u16 code, __s32 value. As 12 u16 words: type is the 9th,
                # the low half of value the 11th. A press is EV_KEY (1) with value 1;
                # the release and the EV_SYN reports that follow it are skipped.
                while :; do
                        set -- $(dd bs=24 count=1 2>/dev/null | od -An -v -tu2)
                        [ $# -eq 12 ] || break
                        [ "$9" = 1 ] && [ "${11}" = 1 ] || continue
                        if [ $ignore_acpi = 1 ]; then
                                echo "VMUNIT-GUEST-ACPI-IGNORED"
                                continue
                        fi
                        echo "VMUNIT-GUEST-POWERDOWN"
                        poweroff -f
                done
                echo "VMUNIT-GUEST-ERROR reading $ev failed"
        ) <&$fd &
        fd=$((fd + 1))
done

# vmunit.ip=ADDR/PREFIX: the first NIC gets it (the host pings it through its tap).
if [ -n "$ip_addr" ]; then
        ip link set lo up
        ip link set eth0 up || fail "no eth0"
        ip addr add "$ip_addr" dev eth0 || fail "ip addr add $ip_addr failed"
        echo "VMUNIT-GUEST-NET $ip_addr"
fi

# vmunit.virtiofs=TAG: the host's share, read and written.
if [ -n "$virtiofs_tag" ]; then
        mkdir -p /mnt
        mount -t virtiofs "$virtiofs_tag" /mnt || fail "mount -t virtiofs $virtiofs_tag failed"
        echo "written by the guest" >/mnt/from-guest || fail "cannot write to the virtiofs share"
        sync
        echo "VMUNIT-GUEST-VIRTIOFS $(cat /mnt/hello)"
fi

echo "VMUNIT-GUEST-READY"

if [ -n "$poweroff_after" ]; then
        (
                sleep "$poweroff_after"
                echo "VMUNIT-GUEST-POWEROFF"
                poweroff -f
        ) &
fi

# PID 1 must never exit (that panics the kernel); it prints the uptime counter.
while :; do
        read -r up rest </proc/uptime
        echo "VMUNIT-GUEST-UPTIME ${up%%.*}"
        sleep 1
done
EOF
chmod 0755 "$r/init"

# --- outputs --------------------------------------------------------------------------------
info "writing initramfs"
(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | "$bb" cpio -o -H newc 2>/dev/null) |
        gzip -9n >"$outdir/.initrd.cpio.gz.new" || die "cannot create the initramfs"
cp "${kernels[0]}" "$outdir/.vmlinuz.new" || die "cannot copy the kernel"
mv -f -- "$outdir/.vmlinuz.new" "$outdir/vmlinuz"
mv -f -- "$outdir/.initrd.cpio.gz.new" "$outdir/initrd.cpio.gz"
printf 'kernel %s\nbusybox %s\nmodules %s\n' "${kdeb##*/}" "${bdeb##*/}" "${load_order[*]:-(built in)}" \
        >"$outdir/guest.info"
info "built $outdir/vmlinuz ($kver) and $outdir/initrd.cpio.gz ($(stat -c %s "$outdir/initrd.cpio.gz") bytes)"
