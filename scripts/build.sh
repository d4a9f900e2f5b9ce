#!/usr/bin/env bash
# Configures (once) and builds vmunit into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
# warnings are errors in every build the scripts make (CI included)
[ -f build/build.ninja ] || meson setup build -Dwerror=true
ninja -C build
