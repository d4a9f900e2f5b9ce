#!/bin/sh
# Runs one test binary under valgrind, for
#     meson test -C build --suite unit --wrap="$PWD/tests/unit/valgrind-wrap.sh" --timeout-multiplier 10
# Criterion re-executes the test binary for every test, and ignores a child's exit code once the
# test has reported, so plain --wrap='valgrind --error-exitcode=1' checks only Criterion's runner.
# Here valgrind follows every child (--trace-children) into its own log, and any error or definite
# leak in any log fails the run. Known lib/ leaks are suppressed in valgrind.supp beside this file.
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/vmunit-valgrind.XXXXXX") || exit 1
valgrind -q --trace-children=yes --leak-check=full --show-leak-kinds=definite \
         --errors-for-leak-kinds=definite --suppressions="$here/valgrind.supp" \
         --log-file="$logs/%p.log" "$@"
rc=$?
for f in "$logs"/*.log; do
        if [ -s "$f" ]; then
                cat "$f" >&2
                rc=1
        fi
done
rm -rf "$logs"
exit $rc
