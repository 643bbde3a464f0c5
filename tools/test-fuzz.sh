#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/, seeds their corpora (fuzz/seed.sh:
# examples/, core/rules, core/tests and ../shared/corpus when present, copied
# at run time, gitignored), and runs each target briefly so they keep
# building and alive. Fails on any crash, leak, timeout or failed oracle;
# the input is left in fuzz/artifacts/<target>/.
#
# FUZZ_SECONDS (default 15) is the time per target; FUZZ_TARGETS overrides
# the list. Needs cargo-fuzz, installed here when missing (0.13.1 pinned: it
# builds on stable Rust 1.95 with --locked); RUSTC_BOOTSTRAP=1 lets its
# nightly-only flags (-Zsanitizer=address) through on stable.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-15}
cargo_fuzz_version=0.13.1

if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
    echo "== installing cargo-fuzz $cargo_fuzz_version"
    cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"
fi

echo "== fuzz: build"
(cd fuzz && cargo fuzz build -O)
targets=${FUZZ_TARGETS:-$(cd fuzz && cargo fuzz list)}

echo "== fuzz: seed corpora"
bash fuzz/seed.sh

mkdir -p target/fuzz-logs
for t in $targets; do
    log=target/fuzz-logs/$t.log
    # -rss_limit_mb and -timeout turn runaway memory or time into failures.
    if ! (cd fuzz && cargo fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1) >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: target $t failed; the input is in fuzz/artifacts/$t/ (log: $log)" >&2
        exit 1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $t ok, $runs executions in ${seconds}s"
done
