#!/usr/bin/env bash
# Installs what vmunit needs to build and test on Debian 12 (as root). One list, used by the README's
# first command and by .ci/run.
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc clang
        libxml2-dev libjson-c-dev libsystemd-dev libcap-ng-dev libseccomp-dev libselinux1-dev libapparmor-dev
        libcriterion-dev libclang-rt-14-dev
        # run and test
        qemu-system-x86 qemu-system-common qemu-utils ovmf swtpm systemd-container dbus polkitd apparmor valgrind python3 attr
        iproute2 iputils-ping
)

if [ "$(id -u)" != 0 ]; then
        echo "install-deps: run as root (apt-get)" >&2
        exit 1
fi
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
        echo "install-deps: all ${#packages[@]} packages present"
        exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
