#!/usr/bin/env bash
# The C API's per-event overhead against the Rust Scanner (issue 19: within
# 10%). From anywhere in the repository:
#
#   bindings-c/bench/run.sh [RULE_PATH...]
#
# Builds liblandwatch.a, scan_rust and gen_events in release, links
# bindings-c/bench/scan_bench.c against the static library (so both sides
# are the same optimised code), writes `gen_events $N` to
# target/c-bench/events-$N.jsonl (once), then for each workload (those
# events, and examples/msp-intrusion.jsonl) and each mode (`rule`: the
# callback reads each detection's rule id; `json`: its JSON as well) runs
# the C and the Rust program $REPEATS times, interleaved (C first, then
# Rust first, by turns). Each run prints its own line (min and median
# ns/event over its rounds, a fresh scanner each); the summary gives, per
# workload and mode, the best min and the median of the runs' medians, and
# the ratio C/Rust of each. Rules: the built-in pack, or the paths given
# (both programs load them alike).
#
# Settings (environment): N=200000 events generated, REPEATS=3 runs of each
# side, ROUNDS=10 rounds a run on the generated events, SMALL_ROUNDS=2000 on
# the example (331 events), MODES="rule json", CC=gcc.
#
# A measurement, never a test: nothing here fails on a slow figure. It
# fails only when a build fails or the two sides disagree on the
# detections. On a shared or busy machine the figures move by several per
# cent from run to run: compare the ratios of the minimums first, and run
# it again before believing a difference of a few per cent.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-200000}
REPEATS=${REPEATS:-3}
ROUNDS=${ROUNDS:-10}
SMALL_ROUNDS=${SMALL_ROUNDS:-2000}
MODES=${MODES:-rule json}
CC=${CC:-gcc}
out=target/c-bench

echo "== build (release)" >&2
cargo build --release --locked -p landwatch-c -p landwatch-benches --bin scan_rust --bin gen_events >&2
mkdir -p "$out"
# The libraries the Rust standard library needs under a static link (what
# `cargo rustc -- --print native-static-libs` lists on Linux).
"$CC" -std=c11 -O2 -Wall -Wextra -Werror -Ibindings-c/include bindings-c/bench/scan_bench.c \
    target/release/liblandwatch.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -o "$out/scan_bench"

events="$out/events-$N.jsonl"
if [ ! -s "$events" ]; then
    echo "== gen_events $N > $events" >&2
    target/release/gen_events "$N" >"$events.tmp"
    mv "$events.tmp" "$events"
fi

runs="$out/runs.txt"
: >"$runs"
c_bench="$out/scan_bench"
rust_bench=target/release/scan_rust

# run WORKLOAD_NAME FILE ROUNDS MODE: $REPEATS runs of each side, by turns.
run() {
    local name=$1 file=$2 rounds=$3 mode=$4 k first second line
    for ((k = 0; k < REPEATS; k++)); do
        if ((k % 2 == 0)); then first=$c_bench second=$rust_bench; else first=$rust_bench second=$c_bench; fi
        for prog in "$first" "$second"; do
            line=$("$prog" -r "$rounds" -m "$mode" "$file" "${@:5}")
            echo "$name $line" | tee -a "$runs"
        done
    done
}

for mode in $MODES; do
    echo "== $mode, $events" >&2
    run generated "$events" "$ROUNDS" "$mode" "$@"
    echo "== $mode, examples/msp-intrusion.jsonl" >&2
    run msp examples/msp-intrusion.jsonl "$SMALL_ROUNDS" "$mode" "$@"
done

# The summary: per workload and mode, the best min and the median of the
# medians of each side, their ratios, and whether the sides agreed.
echo
awk '
function field(key,   i, kv) {
    for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) return kv[2] }
    return ""
}
{
    k = $1 " " $3; side = $2
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    n = ++count[k, side]
    med[k, side, n] = field("median_ns") + 0
    m = field("min_ns") + 0
    if (!((k, side) in best) || m < best[k, side]) best[k, side] = m
    found = field("events") "/" field("detections") "/" field("rejected") "/" field("check")
    if ((k in agreed) && agreed[k] != found) bad[k] = 1
    agreed[k] = found
}
function median(k, side,   n, i, j, t, a) {
    n = count[k, side]
    for (i = 1; i <= n; i++) a[i] = med[k, side, i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
    printf "%-16s %10s %10s %7s   %10s %10s %7s   %s\n", "workload mode", "C min", "Rust min", "C/Rust", "C median", "Rust med", "C/Rust", "events/detections"
    status = 0
    for (i = 1; i <= nk; i++) {
        k = order[i]
        cm = median(k, "c"); rm = median(k, "rust")
        split(agreed[k], a, "/")
        printf "%-16s %10.1f %10.1f %7.3f   %10.1f %10.1f %7.3f   %s/%s%s\n", k, best[k, "c"], best[k, "rust"], best[k, "c"] / best[k, "rust"], cm, rm, cm / rm, a[1], a[2], (k in bad) ? "  DISAGREE" : ""
        if (k in bad) status = 1
    }
    print "(ns/event; min: the best round of all runs; median: the median of the runs'"'"' medians)"
    exit status
}' "$runs"
