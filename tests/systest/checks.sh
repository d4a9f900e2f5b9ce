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

# ---- the common head of a system test that runs the tiny guest in a container ----------------
#
#   here=$(cd "$(dirname "$0")" && pwd); source "$here/checks.sh"
#   checks_init NAME "${1:-}"     prog, top, build (BUILD_DIR or build/), boot_timeout, container
#                                 (vmunit-NAME-PID), started; the EXIT trap (the script's own
#                                 checks_cleanup first, when it defines one, then checks_finish) and
#                                 the signal traps; refuses to run without root or a built supervisor
#   ... the script's own preconditions ...
#   checks_boot_container         builds the test guest, starts the container with the build
#                                 installed, sets root, puts the guest in $img (/var/lib/vmunit-test)
#                                 inside it and makes QEMU run as vmunit-qemu (vmunit.conf)
# Helpers: info MESSAGE, cx COMMAND... (in the container), console_has VM TEXT (the guest's serial
# console in the journal), has/hasnt TEXT STRING.
checks_init() {
        prog=${0##*/}
        top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
        build=$(readlink -f "${2:-$top/build}")
        boot_timeout=${VMUNIT_TEST_BOOT_TIMEOUT:-90}
        container=vmunit-$1-$$
        started=0
        img=/var/lib/vmunit-test
        trap checks_exit EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        trap 'exit 129' HUP
        [[ $EUID -eq 0 ]] || { info "must run as root"; exit 1; }
        [[ -x $build/supervisor/vmunit-supervisor ]] || { info "no supervisor in '$build' (run ninja first)"; exit 1; }
}

checks_exit() {
        local rc=$?
        trap - EXIT
        if declare -F checks_cleanup >/dev/null; then
                checks_cleanup || true
        fi
        checks_finish "$rc" "$container" "$started"
}

checks_boot_container() {
        local here
        here=$(dirname "${BASH_SOURCE[0]}")
        "$top/tests/guest/make-guest.sh" "$build/guest" >/dev/null 2>&1 || { info "building the test guest failed"; exit 1; }
        started=1
        "$here/container.sh" start "$container" --install-from "$build" >/dev/null 2>&1 ||
                { info "container start failed"; exit 1; }
        root=$("$here/container.sh" root "$container")
        install -d -m 0755 "$root$img" "$root/etc/vmunit/domains"
        install -m 0644 "$build/guest/vmlinuz" "$build/guest/initrd.cpio.gz" "$root$img/"
        printf 'user = "vmunit-qemu"\n' >"$root/etc/vmunit/vmunit.conf"
}

info() { printf '%s: %s\n' "${prog:-${0##*/}}" "$*" >&2; }
cx() { "$(dirname "${BASH_SOURCE[0]}")/container.sh" exec "$container" "$@"; }
console_has() { cx journalctl --no-pager -q -o cat -u "machine-$1.scope" -t console 2>/dev/null | grep -q -- "$2"; }
has() { grep -q -- "$1" <<<"$2"; }
hasnt() { ! grep -q -- "$1" <<<"$2"; }
