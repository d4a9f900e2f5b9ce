# shellcheck shell=bash
# Check helpers for the system tests, to be sourced (bash): one "ok"/"FAIL" line per check and
# the counts for the summary.
#
#   check DESCRIPTION COMMAND...   passes if COMMAND succeeds
#   pass / fail DESCRIPTION        record a result computed otherwise
#   wait_for SECONDS COMMAND...    retry COMMAND every 0.1 s until it succeeds or SECONDS pass
#   now, elapsed T0 T1             wall-clock seconds (float) and their difference
#   check_introspect CONTAINER BUSNAME PATH EXPECTED WHAT
#                                  `busctl introspect` of PATH at BUSNAME on the system bus in CONTAINER
#                                  against the committed file EXPECTED (the documented API), with the
#                                  diff on failure; VMUNIT_TEST_REGENERATE=1 rewrites EXPECTED
#   checks_summary                 "N passed, N failed"; returns 1 if something failed
#   checks_finish RC CONTAINER STARTED
#                                  the end of a test (its EXIT trap): tears CONTAINER down if
#                                  STARTED is 1 (keeps it on failure with VMUNIT_TEST_KEEP=1), prints
#                                  the summary and exits 0 only if all passed and RC is 0
passed=0
failed=0

now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

pass() { passed=$((passed + 1)); printf 'ok      %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL    %s\n' "$*"; }
check() {
        local what=$1; shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

wait_for() {
        local deadline
        deadline=$(awk -v n="$(now)" -v t="$1" 'BEGIN { printf "%.1f", n + t }'); shift
        until "$@"; do
                awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n < d) }' || return 1
                sleep 0.1
        done
}

check_introspect() {
        local container=$1 name=$2 path=$3 expected=$4 what=$5 actual
        actual=$("$(dirname "${BASH_SOURCE[0]}")/container.sh" exec "$container" \
                 busctl introspect --no-pager --xml-interface "$name" "$path")
        if [[ ${VMUNIT_TEST_REGENERATE:-0} == 1 ]]; then
                printf '%s\n' "$actual" >"$expected"
                printf '%s: regenerated %s\n' "${0##*/}" "$expected" >&2
        fi
        if diff -u "$expected" <(printf '%s\n' "$actual"); then
                pass "busctl introspect $what matches the documented API"
        else
                fail "busctl introspect $what matches the documented API (diff above)"
        fi
}

checks_summary() {
        echo "$passed passed, $failed failed"
        [[ $failed -eq 0 ]]
}

checks_finish() {
        local rc=$1 container=$2 started=$3 here
        here=$(dirname "${BASH_SOURCE[0]}")
        if [[ $started == 1 ]]; then
                if [[ ${VMUNIT_TEST_KEEP:-0} == 1 && $failed -gt 0 ]]; then
                        printf '%s: keeping container %s (VMUNIT_TEST_KEEP=1)\n' "${0##*/}" "$container" >&2
                else
                        "$here/container.sh" stop "$container" >/dev/null 2>&1 ||
                                printf '%s: warning: tear-down of %s reported problems\n' "${0##*/}" "$container" >&2
                fi
        fi
        if [[ $rc -ne 0 && $passed -eq 0 && $failed -eq 0 ]]; then
                failed=1        # set-up failed before any check ran
        fi
        checks_summary && [[ $rc -eq 0 ]] && exit 0
        exit 1
}
