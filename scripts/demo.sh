#!/usr/bin/env bash
# The README's first command: takes a fresh Debian 12 machine (as root) to a running demo VM.
# Installs the dependencies (scripts/install-deps.sh), builds vmunit into build/ (scripts/build.sh),
# then scripts/demo-vm.sh installs it, makes the tiny test guest, defines it as the domain `demo`
# with vmctl, starts it, shows its console output and `vmctl list`, and stops it again. Where
# systemd is not PID 1 (a container, a sandbox), it says so and does all that inside a throw-away
# container booted with systemd (tests/systest/container.sh).
#
# Usage: bash scripts/demo.sh [--keep]
#   --keep    leave the demo VM (and the container, if one was booted) running at the end, with
#             the commands to look at it and to tear it down; without it, nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
        case $a in
        --keep) ;;
        -h|--help) sed -n '2,11{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "demo.sh: unknown argument '$a' (usage: bash scripts/demo.sh [--keep])" >&2; exit 2 ;;
        esac
done
bash scripts/install-deps.sh
bash scripts/build.sh
exec bash scripts/demo-vm.sh "$@" build
