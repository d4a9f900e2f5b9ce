#!/usr/bin/env bash
# The README's first command: installs the dependencies, builds vmunit, and shows it at work.
# Once the supervisor is built, it boots a systemd test container (this machine's systemd is not
# PID 1), installs vmunit there and runs the tiny demo guest as vm@demo; before that, it prints
# the QEMU command line for libvirt's example domain.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
if [ -x build/supervisor/vmunit-supervisor ] && [ -x scripts/demo-vm.sh ]; then
        exec bash scripts/demo-vm.sh
fi
echo
echo "QEMU command line for docs/examples/demo.xml (libvirt's example domain):"
build/tools/vmctl domxml-to-native qemu-argv docs/examples/demo.xml
