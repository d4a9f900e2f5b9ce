#!/usr/bin/env bash
# The inputs libvirt 9.0 refuses on its test host (../shared/conformance/libvirt-rejects):
#   configuration-rejected: invalid domains; vmctl must refuse each with its own error (exit 1 and a
#     message naming the file);
#   libvirt-internal-error, host-environment, missing-libvirt-object: vmctl must never crash; it either
#     converts the domain (host checks happen when the supervisor starts it) or refuses with a clear
#     error. The counts are printed so that progress on them is visible.
set -u
here=$(cd "$(dirname "$0")" && pwd)
vmctl=${VMCTL:-$here/../../build/tools/vmctl}
dir=${VMUNIT_CONFORMANCE_DIR:-$here/../../../shared/conformance}/libvirt-rejects
if [ ! -f "$dir/REJECTS.tsv" ]; then
        echo "rejects: corpus not found at $dir, skipped"
        exit 77
fi

pass=0 fail=0
declare -A converted refused
while IFS=$'\t' read -r name category error; do
        case "$name" in ''|name) continue ;; esac
        err=$("$vmctl" domxml-to-native qemu-argv "$dir/$name.xml" 2>&1 >/dev/null)
        rc=$?
        ok=1
        if [ "$rc" -gt 1 ]; then
                echo "FAIL $name ($category): exit status $rc (crash?): $err"
                ok=0
        elif [ "$rc" -eq 1 ] && ! printf '%s' "$err" | grep -q "$name.xml"; then
                echo "FAIL $name ($category): error does not name the file: $err"
                ok=0
        elif [ "$category" = configuration-rejected ] && [ "$rc" -eq 0 ]; then
                echo "FAIL $name: an invalid domain was accepted (libvirt: $error)"
                ok=0
        fi
        if [ "$rc" -eq 0 ]; then
                converted[$category]=$(( ${converted[$category]:-0} + 1 ))
        else
                refused[$category]=$(( ${refused[$category]:-0} + 1 ))
        fi
        if [ "$ok" = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done < "$dir/REJECTS.tsv"

for c in configuration-rejected host-environment missing-libvirt-object libvirt-internal-error; do
        echo "rejects: $c: ${converted[$c]:-0} converted, ${refused[$c]:-0} refused with an error"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
