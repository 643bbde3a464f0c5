#!/usr/bin/env bash
# The C API's per-event overhead against the Rust Scanner (issue 19: within
# 10%). From anywhere in the repository:
#
#   bindings-c/bench/run.sh [RULE_PATH...]          # time, ns/event
#   IR=1 bindings-c/bench/run.sh [RULE_PATH...]     # count, instructions/event
#
# Builds liblandwatch.a, scan_rust and gen_events in release, links
# bindings-c/bench/scan_bench.c against the static library (so both sides
# are the same optimised code), writes `gen_events $N` to
# target/c-bench/events-$N.jsonl (once), then for each workload and each
# mode (`rule`: the callback reads each detection's rule id; `json`: its
# JSON as well) runs the C and the Rust program $REPEATS times,
# interleaved (C first, then Rust first, by turns). Each run prints its own
# line (min and median ns/event over its rounds, a fresh scanner each); the
# summary gives, per workload and mode, the best min and the median of the
# runs' medians, and the ratio C/Rust of each. Rules: the built-in pack, or
# the paths given (both programs load them alike). The workloads:
#
#   generated  the $N generated events (about 1 in 170 detected)
#   msp        examples/msp-intrusion.jsonl (331 events, 35 detections)
#   every      the same example with a rule more, that every process event
#              matches (core/rules, or the paths given, and
#              target/c-bench/every.lw): the most the C side's per-detection
#              work can weigh.
#
# IR=1 counts instructions instead, under valgrind's callgrind, which the
# load of other processes does not move: each program runs once with 1
# round and once with 1 + $IR_ROUNDS, and the difference over the events
# scanned is the instructions per event, setup left out. There the
# generated workload is its first $IR_EVENTS events. Instructions are not
# time (cache misses and branches are left out), but the C side's extra
# work is of the same kind as the rest, so the ratio is a steady check on
# the timed one.
#
# Settings (environment): N=200000 events generated, REPEATS=3 runs of each
# side, ROUNDS=10 rounds a run on the generated events, SMALL_ROUNDS=2000 on
# the example (331 events), MODES="rule json", CC=gcc; with IR=1,
# IR_EVENTS=20000 and IR_ROUNDS=5.
#
# A measurement, never a test: nothing here fails on a slow figure. It
# fails only when a build fails or the two sides disagree on the
# detections. On a shared or busy machine the timed figures move by ten per
# cent and more from run to run (one side's lucky minimum, a median taken
# while another build ran), either way: run it again before believing a
# difference under 10%, and look at the IR=1 counts, which do not move.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-200000}
REPEATS=${REPEATS:-3}
ROUNDS=${ROUNDS:-10}
SMALL_ROUNDS=${SMALL_ROUNDS:-2000}
MODES=${MODES:-rule json}
CC=${CC:-gcc}
IR=${IR:-0}
IR_EVENTS=${IR_EVENTS:-20000}
IR_ROUNDS=${IR_ROUNDS:-5}
out=target/c-bench

echo "== build (release)" >&2
# One build of both (with --lib: --bin alone would leave landwatch-c out),
# so that they link the same build of the core crate: built on its own,
# landwatch-c gets the core compiled with other features of its
# dependencies (cargo unifies features over the packages of one build).
cargo build --release --locked -p landwatch-c -p landwatch-benches --lib --bin scan_rust --bin gen_events >&2
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

every="$out/every.lw"
cat >"$every" <<'RULE'
rule bench.every_process {
    title: "Every process event (benchmark)"
    level: informational
    on: process
    when: Image exists
}
RULE

runs="$out/runs.txt"
: >"$runs"
c_bench="$out/scan_bench"
rust_bench=target/release/scan_rust

# field KEY LINE: the value of KEY=... in a program's output line.
field() {
    local kv
    for kv in $2; do
        if [ "${kv%%=*}" = "$1" ]; then echo "${kv#*=}"; return; fi
    done
}

# timed WORKLOAD_NAME FILE ROUNDS MODE [RULE_PATH...]: $REPEATS runs of each
# side, by turns.
timed() {
    local name=$1 file=$2 rounds=$3 mode=$4 k first second line
    for ((k = 0; k < REPEATS; k++)); do
        if ((k % 2 == 0)); then first=$c_bench second=$rust_bench; else first=$rust_bench second=$c_bench; fi
        for prog in "$first" "$second"; do
            line=$("$prog" -r "$rounds" -m "$mode" "$file" "${@:5}")
            echo "$name $line" | tee -a "$runs"
        done
    done
}

# counted WORKLOAD_NAME FILE ROUNDS MODE [RULE_PATH...]: each side under
# callgrind with 1 and 1 + $IR_ROUNDS rounds; prints a line like the timed
# ones, with ir_per_event for min_ns and median_ns.
counted() {
    local name=$1 file=$2 mode=$4 prog line r ir few many
    for prog in "$c_bench" "$rust_bench"; do
        for r in 1 $((1 + IR_ROUNDS)); do
            ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$out/callgrind.log" \
                "$prog" -r "$r" -m "$mode" "$file" "${@:5}" >"$out/callgrind.out" &&
                awk '/Collected/ { print $NF }' "$out/callgrind.log")
            if ((r == 1)); then few=$ir; else many=$ir; fi
        done
        line=$(cat "$out/callgrind.out")
        ir=$(awk -v a="$few" -v b="$many" -v n="$(field events "$line")" -v r="$IR_ROUNDS" \
            'BEGIN { printf "%.1f", (b - a) / (n * r) }')
        line="${line%% min_ns=*}"
        echo "$name $line min_ns=$ir median_ns=$ir" | tee -a "$runs"
    done
}

if [ "$IR" = 1 ]; then
    command -v valgrind >/dev/null || { echo "IR=1 needs valgrind" >&2; exit 1; }
    head -n "$IR_EVENTS" "$events" >"$out/events-$N-head.jsonl"
    events="$out/events-$N-head.jsonl"
    measure=counted
    unit="instructions/event, under callgrind; each side counted once"
else
    measure=timed
    unit="ns/event; min: the best round of all runs; median: the median of the runs' medians"
fi

for mode in $MODES; do
    echo "== $mode, $events" >&2
    $measure generated "$events" "$ROUNDS" "$mode" "$@"
    echo "== $mode, examples/msp-intrusion.jsonl" >&2
    $measure msp examples/msp-intrusion.jsonl "$SMALL_ROUNDS" "$mode" "$@"
    echo "== $mode, examples/msp-intrusion.jsonl with a rule for every event" >&2
    $measure every examples/msp-intrusion.jsonl "$SMALL_ROUNDS" "$mode" "${@:-core/rules}" "$every"
done

# The summary: per workload and mode, the best min and the median of the
# medians of each side, their ratios, and whether the sides agreed.
echo
awk -v unit="$unit" '
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
    print "(" unit ")"
    exit status
}' "$runs"
