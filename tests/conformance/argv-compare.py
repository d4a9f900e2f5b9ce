#!/usr/bin/env python3
"""Argv-level conformance for domains QEMU cannot start on this host.

For every NAME.xml with a NAME.libvirt.args in the given corpus directories, converts the domain
with `vmctl domxml-to-native` and compares the set of guest devices -- (driver, bus, addr) of each
-device -- with libvirt 9.0's argv. Naming is ignored. Domains vmctl refuses are counted apart
(their error must name the file). Cases listed in KNOWN carry the reason they differ.
The last line is "N passed, N failed"; exit status 1 when a converted domain differs unexpectedly.
"""
import glob
import json
import os
import shlex
import subprocess
import sys

# Where vmctl honours the XML and libvirt's domxml-to-native does not (README "Known limitations").
KNOWN = {
    "graphics-spice-timeout": "the oracle dropped the <interface> PCI address",
    "q35-pci-force-address": "the oracle dropped the <interface> PCI address",
    # the pretend start turns every <interface> into a tap NIC, an <interface type='hostdev'> too,
    # and keeps its VF besides; a real start (and vmctl) has the VF alone, as vfio-pci
    "net-hostdev-vfio": "the oracle added a tap NIC for the <interface type='hostdev'> besides its VF",
    "net-hostdev-vfio-multidomain": "the oracle added a tap NIC for the <interface type='hostdev'> besides its VF",
}


def devices(line):
    toks = shlex.split(line)
    out = []
    for i, t in enumerate(toks[:-1]):
        if t != "-device":
            continue
        v = toks[i + 1]
        if v.startswith("{"):
            d = json.loads(v)
        else:
            parts = v.split(",")
            d = {"driver": parts[0]}
            for p in parts[1:]:
                if "=" in p:
                    k, x = p.split("=", 1)
                    d[k] = x
        out.append((d.get("driver"), d.get("bus"), d.get("addr")))
    return sorted(out, key=str)


def main():
    vmctl = os.environ.get("VMCTL", os.path.join(os.path.dirname(__file__), "../../build/tools/vmctl"))
    corpus = os.environ.get("VMUNIT_CONFORMANCE_DIR",
                            os.path.join(os.path.dirname(__file__), "../../../shared/conformance"))
    dirs = [os.path.join(corpus, d) for d in ("libvirt", "libvirt-qemu-fails")]
    if not all(os.path.isdir(d) for d in dirs):
        print("argv-compare: corpus not found at %s, skipped" % corpus)
        return 77
    passed = failed = refused = known = 0
    for d in dirs:
        for xml in sorted(glob.glob(os.path.join(d, "*.xml"))):
            name = os.path.basename(xml)[:-4]
            args = os.path.join(d, name + ".libvirt.args")
            if not os.path.exists(args):
                continue
            r = subprocess.run([vmctl, "domxml-to-native", "qemu-argv", xml], capture_output=True, text=True)
            if r.returncode != 0:
                if r.returncode != 1 or os.path.basename(xml) not in r.stderr:
                    print("FAIL %s: exit %d without a clear error: %s" % (name, r.returncode, r.stderr.strip()))
                    failed += 1
                else:
                    refused += 1
                continue
            want, got = devices(open(args).read()), devices(r.stdout)
            if want == got:
                passed += 1
            elif name in KNOWN:
                known += 1
                print("known difference %s: %s" % (name, KNOWN[name]))
            else:
                failed += 1
                print("FAIL %s" % name)
                print("  libvirt only: %s" % [t for t in want if t not in got])
                print("  vmctl only:   %s" % [t for t in got if t not in want])
    print("argv-compare: %d same devices, %d known differences, %d refused with an error" % (passed, known, refused))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
