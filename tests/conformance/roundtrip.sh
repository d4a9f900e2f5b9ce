#!/usr/bin/env bash
# Round trip of `vmctl domxml-from-native` over libvirt's corpus: for every NAME.libvirt.args in
# ../shared/conformance/libvirt, import libvirt's QEMU command line as domain XML, translate that
# back with `vmctl domxml-to-native`, and let hwcompare compare the virtual hardware of the result
# with the original command line (both started paused under QEMU). The corpus is read in place,
# never copied. Skipped (exit 77) without the corpus or without root (hwcompare needs loop devices
# and taps).
#
# Every case that does not match is listed with the fields that differ and the options the import
# passed through as <qemu:commandline> (the usual explanation). The last line is "N passed, N failed".
#
#   tests/conformance/roundtrip.sh [-v] [NAME...]    -v: show hwcompare's diffs; NAMEs: only these
# Environment: VMCTL (default build/tools/vmctl), VMUNIT_CONFORMANCE_DIR, MIN_PERCENT (default 80:
# exit 1 below it).
set -u

here=$(cd "$(dirname "$0")" && pwd)
vmctl=${VMCTL:-$here/../../build/tools/vmctl}
corpus=${VMUNIT_CONFORMANCE_DIR:-$here/../../../shared/conformance}
min_percent=${MIN_PERCENT:-80}
verbose=false
if [ "${1:-}" = -v ]; then
        verbose=true
        shift
fi

if [ ! -x "$corpus/hwcompare" ] || [ ! -d "$corpus/libvirt" ]; then
        echo "roundtrip: corpus not found at $corpus, skipped"
        exit 77
fi
if [ "$(id -u)" != 0 ]; then
        echo "roundtrip: hwcompare needs root, skipped"
        exit 77
fi
vmctl=$(readlink -f "$vmctl")
[ -x "$vmctl" ] || { echo "roundtrip: $vmctl not built" >&2; exit 1; }

tmp=$(mktemp -d /tmp/vmunit-roundtrip.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# hwcompare uses fixed image paths and ports: one run at a time on this machine (the same lock as
# run-conformance.sh)
exec 9>/run/lock/vmunit-hwcompare.lock
flock 9

if [ $# -gt 0 ]; then
        names=("$@")
else
        names=()
        for a in "$corpus"/libvirt/*.libvirt.args; do
                n=$(basename "$a" .libvirt.args)
                [ -f "$corpus/libvirt/$n.xml" ] && names+=("$n")
        done
fi

pass=0 fail=0
report=()
for name in "${names[@]}"; do
        xml="$corpus/libvirt/$name.xml"
        args="$corpus/libvirt/$name.libvirt.args"
        # the import on its own first, for its warnings: they name what was passed through
        "$vmctl" domxml-from-native qemu-argv "$args" > "$tmp/$name.xml" 2> "$tmp/$name.notes"
        rc=$?
        cand="sh -c '$vmctl domxml-from-native qemu-argv {args} 2>/dev/null > $tmp/candidate.xml && \
$vmctl domxml-to-native qemu-argv $tmp/candidate.xml'"
        out=$("$corpus/hwcompare" -q "$xml" "$args" "$cand" 2>&1)
        last=$(printf '%s\n' "$out" | grep "^hwcompare: $name " | tail -n 1)
        retried=
        case "$last" in
        *" differ (start)"|*" error "*)
                # a QEMU that did not come up within hwcompare's timeout on a loaded machine: once more
                out=$("$corpus/hwcompare" -q "$xml" "$args" "$cand" 2>&1)
                last=$(printf '%s\n' "$out" | grep "^hwcompare: $name " | tail -n 1)
                retried=" (on the second try: the first did not start)" ;;
        esac
        case "$last" in
        *" match")
                pass=$((pass + 1))
                echo "match   $name$retried" ;;
        *)
                fail=$((fail + 1))
                what=${last#"hwcompare: $name "}
                [ -n "$what" ] || what="no result: $(printf '%s\n' "$out" | tail -n 1)"
                if [ $rc != 0 ]; then
                        what="$what; import failed: $(tail -n 1 "$tmp/$name.notes")"
                fi
                passed=$(grep -o "'[^']*' passed through" "$tmp/$name.notes" | cut -c1-90 | tr '\n' ' ')
                report+=("$name: $what${passed:+; passed through: $passed}")
                echo "DIFFER  $name: $what"
                if $verbose; then
                        printf '%s\n' "$out" | grep -v "^hwcompare: $name " | sed 's/^/        /'
                        sed 's/^/        import: /' "$tmp/$name.notes"
                fi ;;
        esac
done

echo
if [ ${#report[@]} -gt 0 ]; then
        echo "Differences (with the options the import passed through as <qemu:arg>):"
        printf '  %s\n' "${report[@]}"
        echo
fi
total=$((pass + fail))
echo "round trip: $pass of $total domains have identical virtual hardware (target ${min_percent}%)"
echo "$pass passed, $fail failed"
[ "$total" -gt 0 ] && [ $((pass * 100)) -ge $((total * min_percent)) ]
