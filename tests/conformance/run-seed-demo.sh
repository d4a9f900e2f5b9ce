#!/usr/bin/env bash
# The seed's example domain (docs/examples/demo.xml, libvirt's QEMU driver page example) converts,
# and QEMU started with vmctl's command line has the same virtual hardware as with libvirt 9.0's
# (seed/demo.libvirt.args; see seed/README.md). Runs hwcompare's batch mode over a one-domain corpus
# made here, so that hwcompare creates the disk the domain uses.
set -u
here=$(cd "$(dirname "$0")" && pwd)
vmctl=$(readlink -f "${VMCTL:-$here/../../build/tools/vmctl}")
corpus=${VMUNIT_CONFORMANCE_DIR:-$here/../../../shared/conformance}
if [ ! -x "$corpus/hwcompare" ]; then
        echo "seed-demo: hwcompare not found at $corpus, skipped"
        exit 77
fi
if [ "$(id -u)" != 0 ]; then
        echo "seed-demo: hwcompare needs root, skipped"
        exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed 's|/dev/HostVG/QEMUGuest1|/var/tmp/vmconf/images/QEMUGuest1|' "$here/../../docs/examples/demo.xml" > "$work/demo.xml"
cp "$here/seed/demo.libvirt.args" "$work/demo.libvirt.args"
# one MANIFEST line in the corpus's format: the disk is a 64 MiB raw block device
{
        printf 'name\tset\tmachine\taccel\tfiles\tfeatures\toracle_quirks\tenv\n'
        printf 'demo\tpublic\tpc-i440fx-7.2\ttcg\tblock:raw:67108864:/var/tmp/vmconf/images/QEMUGuest1\t-\t-\t-\n'
} > "$work/MANIFEST.tsv"
exec 9>/run/lock/vmunit-hwcompare.lock
flock 9
"$corpus/hwcompare" --batch "$work" --candidate "$vmctl domxml-to-native qemu-argv {xml}"
