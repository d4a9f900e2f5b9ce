#!/bin/bash
# Build (if needed) and run one libFuzzer target for a bounded time, then print one summary line.
#
#   fuzz/run-fuzz.sh [-k] [SECONDS] [TARGET]      SECONDS defaults to 60, TARGET to fuzz-domxml
#   fuzz/run-fuzz.sh -r RUNS -s SEED [TARGET]      a reproducible run (what CI does)
#
#   -k       keep going after a crash, leak or timeout (libFuzzer's fork mode, one job per CPU),
#            to collect several distinct failures in one run; the exit status still says failure.
#   -r RUNS  stop after RUNS inputs instead of after SECONDS,
#   -s SEED  with libFuzzer's random seed SEED, starting from the seeds alone (an empty working
#            corpus, thrown away afterwards): the same inputs are tried on every machine, so a
#            failure in CI can be replayed anywhere with the same command, and CI does not
#            turn red at random. Exploratory runs (without -s) keep growing the working corpus.
#
# Exit status: 0 when nothing failed, 1 on a crash, leak, timeout or out-of-memory, 2 on a
# usage or build error.
#
# Inputs, regenerated on every run in BUILDDIR/fuzz/TARGET-seeds/ (never copied into the tree):
#   ../shared/conformance/libvirt*/*.xml   (or $VMUNIT_CONFORMANCE_DIR), when present
#   fuzz/seeds/TARGET/                     small hand-written seeds
#   fuzz/regressions/TARGET/               inputs that once failed and were fixed (committed)
#   fuzz/crashes/TARGET/                   inputs that failed and are not fixed yet (not committed)
# New failing inputs are written to fuzz/crashes/TARGET/; once the bug is fixed, move the input to
# fuzz/regressions/TARGET/ and commit it. The growing working corpus is BUILDDIR/fuzz/TARGET-corpus/.
#
# Environment: VMUNIT_FUZZ_BUILDDIR (default: build-fuzz in the source tree), VMUNIT_CONFORMANCE_DIR.
set -euo pipefail

keep_going=false
runs=
seed=
usage() {
        echo "usage: $0 [-k] [SECONDS] [TARGET]  or  $0 -r RUNS -s SEED [TARGET]" >&2
        exit 2
}
while getopts kr:s: opt; do
        case $opt in
        k) keep_going=true ;;
        r) runs=$OPTARG ;;
        s) seed=$OPTARG ;;
        *) usage ;;
        esac
done
shift $((OPTIND - 1))
if [[ -n $runs || -n $seed ]]; then
        [[ $runs =~ ^[1-9][0-9]*$ && $seed =~ ^[1-9][0-9]*$ ]] && ! $keep_going || usage
        seconds=
        target=${1:-fuzz-domxml}
else
        seconds=${1:-60}
        target=${2:-fuzz-domxml}
        [[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
fi
[[ $target =~ ^fuzz-[a-z0-9-]+$ ]] || usage

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${VMUNIT_FUZZ_BUILDDIR:-$srcdir/build-fuzz}
confdir=${VMUNIT_CONFORMANCE_DIR:-$srcdir/../shared/conformance}
work=$builddir/fuzz
artifacts=$srcdir/fuzz/crashes/$target

# -max_len: the largest conformance domain (100 disks behind PCI bridges) is about 20 KiB.
# -timeout: a domain converts in well under a millisecond, even under ASan; 10 s is a hang.
max_len=32768
timeout=10

if [[ ! -f $builddir/build.ninja ]]; then
        CC=${CC:-clang} meson setup "$builddir" "$srcdir" -Dfuzz=true >"$builddir.setup.log" 2>&1 || {
                echo "$target: meson setup failed, see $builddir.setup.log" >&2
                exit 2
        }
        rm -f "$builddir.setup.log"
fi
if ! ninja -C "$builddir" "fuzz/$target" >/dev/null; then
        echo "$target: build failed (is $builddir configured with -Dfuzz=true? 'ninja -C $builddir fuzz/$target')" >&2
        exit 2
fi

seeds=$work/$target-seeds
corpus=$work/$target-corpus
if [[ -n $seed ]]; then
        corpus=$work/$target-corpus-seed$seed
        rm -rf "$corpus"
fi
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts"

n_conformance=0
case $target in
fuzz-domxml)
        # prefix with the set's name: the same case name appears in several sets
        for f in "$confdir"/libvirt*/*.xml; do
                [[ -f $f ]] || continue
                set_name=$(basename "$(dirname "$f")")
                cp "$f" "$seeds/$set_name--$(basename "$f")"
                n_conformance=$((n_conformance + 1))
        done
        # Dictionary: every name the parser looks for, as is and as an element opener, plus XML syntax.
        dict=$work/$target.dict
        {
                grep -ohE '"[A-Za-z][A-Za-z0-9_:.-]{1,30}"' "$srcdir"/lib/domxml*.c "$srcdir"/lib/xml-util.c |
                        sort -u | sed -e 'p' -e 's/^"/"</'
                printf '%s\n' '"</"' '"/>"' '"=\""' '"=\x27"' '"<!--"' '"-->"' '"<![CDATA["' '"]]>"' \
                        '"&amp;"' '"&#10;"' '"&#x2c;"' '"<?xml version=\"1.0\"?>"' \
                        '"xmlns:qemu=\"http://libvirt.org/schemas/domain/qemu/1.0\""' \
                        '"<qemu:commandline>"' '"<qemu:arg value=\""' '"<qemu:env name=\""' \
                        '"unit=\x27KiB\x27"' '"18446744073709551615"' '"4294967296"' '"-1"' '"0x"'
        } >"$dict"
        ;;
fuzz-qemu-import)
        # libvirt's own command lines for its test domains
        for f in "$confdir"/libvirt*/*.libvirt.args; do
                [[ -f $f ]] || continue
                set_name=$(basename "$(dirname "$f")")
                cp "$f" "$seeds/$set_name--$(basename "$f")"
                n_conformance=$((n_conformance + 1))
        done
        # Dictionary: the option names and keys the importer looks for, plus shell and option syntax.
        dict=$work/$target.dict
        {
                grep -ohE '"[A-Za-z-][A-Za-z0-9_.-]{1,30}"' "$srcdir"/lib/qemu-import*.c | sort -u |
                        sed -e 'p' -e 's/^"/"-/' -e 'p' -e 's/^"-/",/' -e 's/"$/="/'
                printf '%s\n' '"'"'"'"' '"\""' '"\\"' '",,"' '"={"' '"{\"driver\":"' '"}"' '"\\\x0a"' '" #"' \
                        '"0x"' '"1G"' '"bus=pci.0,addr=0x"' '"netdev="' '"chardev="' '"drive="'
        } >"$dict"
        ;;
esac
if [[ $n_conformance -eq 0 ]]; then
        conformance_note="no conformance corpus at $confdir"
else
        conformance_note="$n_conformance conformance seeds"
fi

for d in "$srcdir/fuzz/seeds/$target" "$srcdir/fuzz/regressions/$target"; do
        [[ -d $d ]] || continue
        for f in "$d"/*; do
                [[ -f $f ]] && cp "$f" "$seeds/$(basename "$d")--$(basename "$f")"
        done
done
n_seeds=$(find "$seeds" -type f | wc -l)

log=$work/$target-$(date +%Y%m%dT%H%M%S).log
symbolizer=$(command -v llvm-symbolizer || true)
export ASAN_OPTIONS=detect_leaks=1:symbolize=1:allocator_may_return_null=1${symbolizer:+:external_symbolizer_path=$symbolizer}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Replay first, one process per input: committed regressions must pass; inputs still waiting
# for a fix in fuzz/crashes/ are reported, and kept out of the seeds so that fuzzing goes on.
replay_failed=()
still_failing=()
for f in "$srcdir/fuzz/regressions/$target"/* "$artifacts"/*; do
        [[ -f $f ]] || continue
        if ! "$builddir/fuzz/$target" "$f" >>"$log.replay" 2>&1; then
                case $f in
                "$artifacts"/*) still_failing+=("${f#"$srcdir"/}") ;;
                *) replay_failed+=("${f#"$srcdir"/}") ;;
                esac
        elif [[ $f == "$artifacts"/* ]]; then
                echo "$target: $f passes now: move it to fuzz/regressions/$target/ and commit it" >&2
        fi
done
artifacts_before=$(find "$artifacts" -type f)

args=(-max_len="$max_len" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
if [[ -n $seed ]]; then
        args+=(-runs="$runs" -seed="$seed")
else
        args+=(-max_total_time="$seconds")
fi
[[ -n ${dict:-} ]] && args+=(-dict="$dict")
if $keep_going; then
        args+=(-fork="$(nproc)" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

rc=0
start_time=$(date +%s)
"$builddir/fuzz/$target" "${args[@]}" "$corpus" "$seeds" >"$log" 2>&1 || rc=$?

# The summary: executions and coverage from libFuzzer's final stats (or its last status line),
# the failure kind from the sanitizer's report, the inputs from "Test unit written to".
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
[[ -n $execs ]] || execs=$(sed -n 's/^#\([0-9]\+\).*/\1/p' "$log" | tail -n1)
execs=${execs:-0}
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
cov=$({ grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" || true; } | tail -n1 | sed 's/cov: \([0-9]*\) ft: /cov \1, ft /')
corpus_n=$(find "$corpus" -type f | wc -l)
# New inputs are whatever appeared in fuzz/crashes/TARGET/. Fork mode can save an input that
# does not fail on its own (its job died elsewhere): keep only those that fail in a fresh process.
written=
for f in "$artifacts"/*; do
        [[ -f $f ]] || continue
        grep -qxF "$f" <<<"$artifacts_before" && continue
        if "$builddir/fuzz/$target" "$f" >>"$log.replay" 2>&1; then
                rm -f "$f"
                echo "$target: ${f#"$srcdir"/} does not fail on its own, removed" >&2
        else
                written+="${f#"$srcdir"/} "
        fi
done
kinds=$({ grep -oE 'ERROR: AddressSanitizer: [a-z-]+|ERROR: LeakSanitizer|runtime error: [a-z ]+|ERROR: libFuzzer: [a-z-]+|property violated' "$log" || true; } |
        sed -e 's/ERROR: AddressSanitizer: /asan:/' -e 's/ERROR: LeakSanitizer/leak/' -e 's/runtime error: /ubsan:/' \
            -e 's/ERROR: libFuzzer: /libfuzzer:/' -e 's/ *$//' | sort | uniq -c | awk '{c=$1; $1=""; printf "%s%s x%d", n++ ? ", " : "", substr($0, 2), c}')
[[ -n $kinds ]] || kinds="exit status $rc"

[[ -n $seed ]] && rm -rf "$corpus"
elapsed=$(( $(date +%s) - start_time ))
stats="${seconds:+$seconds s budget, }${seed:+seed $seed, }${elapsed} s, $execs execs${rate:+ ($rate/s)}, ${cov:-cov ?}, corpus $corpus_n, $n_seeds seeds ($conformance_note)"
known=
[[ ${#replay_failed[@]} -eq 0 ]] || known+="; REGRESSED: ${replay_failed[*]}"
[[ ${#still_failing[@]} -eq 0 ]] || known+="; ${#still_failing[@]} known failure(s) still unfixed in fuzz/crashes/$target/"
if [[ $rc -eq 0 && -z $written ]]; then
        echo "$target: ok: $stats$known; log $log"
        if [[ -n $known ]]; then
                exit 1
        fi
        exit 0
fi
read -ra new_inputs <<<"$written"
if [[ ${#new_inputs[@]} -gt 3 ]]; then
        written="${new_inputs[*]:0:3} and $((${#new_inputs[@]} - 3)) more in fuzz/crashes/$target/"
fi
echo "$target: FAILED ($kinds): $stats; new inputs: ${written:-none}$known; log $log"
exit 1
