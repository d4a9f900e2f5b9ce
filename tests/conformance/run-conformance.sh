#!/usr/bin/env bash
# Conformance: every domain of libvirt's corpus (../shared/conformance/libvirt) is converted by
# `vmctl domxml-to-native` and compared with libvirt 9.0's argv as *virtual hardware* by hwcompare
# (QEMU started paused, inventory diffed over QMP). The corpus is never copied into the project:
# where it is absent this test says so and is skipped (exit 77).
#
# A case passes when hwcompare reports "match". Allowed non-matches, each counted as failed but not
# failing the run:
#   - vmctl refuses the domain with its own error (never different hardware built silently);
#   - libvirt's oracle is known to drop details there (MANIFEST.tsv's oracle_quirks column) and vmctl
#     honours the XML instead; see expected_differ() for which and why.
# The run fails when a case builds different hardware silently, or fewer than MIN_PERCENT match.
set -u

here=$(cd "$(dirname "$0")" && pwd)
vmctl=${VMCTL:-$here/../../build/tools/vmctl}
corpus=${VMUNIT_CONFORMANCE_DIR:-$here/../../../shared/conformance}
min_percent=${MIN_PERCENT:-90}

if [ ! -x "$corpus/hwcompare" ] || [ ! -d "$corpus/libvirt" ]; then
        echo "conformance: corpus not found at $corpus, skipped"
        exit 77
fi
if [ "$(id -u)" != 0 ]; then
        echo "conformance: hwcompare needs root, skipped"
        exit 77
fi
vmctl=$(readlink -f "$vmctl")
# hwcompare uses fixed image paths and ports: one run at a time on this machine
exec 9>/run/lock/vmunit-hwcompare.lock
flock 9
[ -x "$vmctl" ] || { echo "conformance: $vmctl not built" >&2; exit 1; }

# net-as-ethernet-tap-fd: libvirt's domxml-to-native turns every <interface> into a tap with a fake fd.
# vmctl builds the backend the XML asks for (user networking, a socket, a tap for bridges), so the
# backend part of the "net" field differs by design; the NIC itself (model, MAC, PCI slot, bootindex)
# is still compared through the "pci" and "qtree" fields.
# q35-virt-manager-basic: <graphics type='spice' autoport='yes'>: the port is chosen when the VM starts;
# the oracle happened to get 5901, vmctl's offline answer is 5900. The port is not hardware.
ignore_for() {
        case "$2" in
        *net-as-ethernet-tap-fd*) printf '%s ' --ignore net ;;
        esac
        case "$1" in
        q35-virt-manager-basic) printf '%s ' --ignore graphics ;;
        esac
}

# Cases where the oracle dropped XML details that vmctl honours, so the hardware differs by design.
expected_differ() {
        case "$1" in
        # the oracle dropped the <interface> PCI <address>; vmctl keeps the NIC where the XML puts it
        graphics-spice-timeout|q35-pci-force-address) return 0 ;;
        # the oracle dropped <mtu size=...>; vmctl sets host_mtu on the virtio NIC as the XML asks
        net-mtu) return 0 ;;
        # udp/server sockets bound to addresses of the test author's network, not of this host:
        # vmctl builds the socket backend the XML describes, which QEMU cannot bind here
        net-udp|net-server) return 0 ;;
        esac
        return 1
}

pass=0 fail=0 refused=0 expected=0 silent=0
declare -a silent_cases refused_cases expected_cases
while IFS=$'\t' read -r name set machine accel files features quirks env; do
        case "$name" in ''|'#'*|name) continue ;; esac
        xml="$corpus/libvirt/$name.xml"
        args="$corpus/libvirt/$name.libvirt.args"
        # shellcheck disable=SC2046
        out=$("$corpus/hwcompare" $(ignore_for "$name" "$quirks") -q "$xml" "$args" "$vmctl domxml-to-native qemu-argv {xml}" 2>&1)
        last=$(printf '%s\n' "$out" | grep "^hwcompare: $name " | tail -n 1)
        case "$last" in
        *" match")
                pass=$((pass + 1)) ;;
        *)
                fail=$((fail + 1))
                if printf '%s\n' "$out" | grep -q "candidate command failed (rc=1)"; then
                        refused=$((refused + 1))
                        refused_cases+=("$name: $(printf '%s\n' "$out" | grep -o 'candidate command failed (rc=1): .*' | head -n 1 | cut -c35-200)")
                elif expected_differ "$name"; then
                        expected=$((expected + 1))
                        expected_cases+=("$name ($last)")
                else
                        silent=$((silent + 1))
                        silent_cases+=("$name: $last")
                        printf '%s\n' "$out" | head -n 40
                fi ;;
        esac
        echo "${last:-hwcompare: $name error}"
done < "$corpus/libvirt/MANIFEST.tsv"

total=$((pass + fail))
echo
echo "refused with a clear error ($refused):"
for c in "${refused_cases[@]}"; do echo "  $c"; done
echo "oracle dropped details vmctl honours ($expected):"
for c in "${expected_cases[@]}"; do echo "  $c"; done
echo "different hardware built silently ($silent):"
for c in "${silent_cases[@]}"; do echo "  $c"; done
percent=$((total > 0 ? pass * 100 / total : 0))
echo "conformance: $pass of $total match libvirt's hardware ($percent%, target $min_percent%)"
status=0
[ "$silent" -eq 0 ] || { echo "conformance: FAILED: $silent case(s) built different hardware silently"; status=1; }
[ "$percent" -ge "$min_percent" ] || { echo "conformance: FAILED: below $min_percent%"; status=1; }
echo "$pass passed, $fail failed"
exit $status
