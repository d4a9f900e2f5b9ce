#!/usr/bin/env bash
# Runs every vmunit test: unit and golden tests (plain, then under ASan+UBSan), the libvirt
# conformance comparison, the system tests under a real systemd in a container, and a bounded
# fuzzing run with a fixed seed. Needs root (QEMU, containers). Prints one summary line per stage and a closing
# "N passed, N failed" line counting the stages.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0 failed=0
stage() {
        local name=$1; shift
        echo "=== $name: $*"
        local start=$SECONDS
        if "$@"; then
                passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - start)) s)"
        else
                failed=$((failed + 1)); echo "=== $name: FAILED ($((SECONDS - start)) s)"
        fi
}

stage build scripts/build.sh
stage unit meson test -C build --suite unit --print-errorlogs
if [ ! -f build-asan/build.ninja ]; then
        meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
stage unit-asan env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --suite unit --print-errorlogs
stage conformance meson test -C build --suite conformance --print-errorlogs --timeout-multiplier 3
# (no "| grep -q" here: with pipefail, grep's early exit would fail the pipeline)
tests=$(meson test -C build --list 2>/dev/null)
if printf '%s\n' "$tests" | grep '^vmunit:system' >/dev/null; then
        stage system meson test -C build --suite system --print-errorlogs
fi
# Reproducible fuzzing: a fixed seed and number of inputs (about a minute each), so that the same
# inputs are tried on every machine; exploratory runs are `fuzz/run-fuzz.sh SECONDS TARGET`.
if [ -x fuzz/run-fuzz.sh ]; then
        stage fuzz-domxml fuzz/run-fuzz.sh -r "${VMUNIT_FUZZ_RUNS:-150000}" -s "${VMUNIT_FUZZ_SEED:-1}" fuzz-domxml
        stage fuzz-qemu-import fuzz/run-fuzz.sh -r "${VMUNIT_FUZZ_RUNS:-60000}" -s "${VMUNIT_FUZZ_SEED:-1}" fuzz-qemu-import
fi
echo "test stages: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
