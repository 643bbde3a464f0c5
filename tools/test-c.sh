#!/usr/bin/env bash
# The C library's tests, run by tools/test-all.sh after `cargo test` (which
# checks the header is fresh, tests/header.rs) and after the release CLI is
# built (the filter example is checked against it). From the repository
# root; installs valgrind and pkg-config with apt-get where they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== C library (bindings-c): liblandwatch, landwatch.h, C tests under valgrind"
# The header's freshness is checked by `cargo test` above (tests/header.rs).
cargo build --locked -p landwatch-c
if ! command -v valgrind >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get install -y -qq valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
    else
        echo "valgrind is needed for the C tests (apt-get install valgrind)" >&2
        exit 1
    fi
fi
mkdir -p target/c-tests
for test in bindings-c/tests/c/*.c; do
    name=$(basename "$test" .c)
    gcc -std=c11 -Wall -Wextra -Werror -Ibindings-c/include "$test" -Ltarget/debug -llandwatch -lpthread -o "target/c-tests/$name"
    # RUST_BACKTRACE=0: test_api panics on purpose; one line says so.
    RUST_BACKTRACE=0 LD_LIBRARY_PATH=target/debug valgrind -q --leak-check=full \
        --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
        --error-exitcode=1 "target/c-tests/$name" core/rules
done

# The benchmark (bindings-c/bench/run.sh measures with it): kept compiling
# and running; its timings are not checked here.
gcc -std=c11 -Wall -Wextra -Werror -Ibindings-c/include bindings-c/bench/scan_bench.c -Ltarget/debug -llandwatch -lpthread -o target/c-tests/scan_bench
LD_LIBRARY_PATH=target/debug target/c-tests/scan_bench -r 1 -m json examples/msp-intrusion.jsonl >/dev/null

echo "== C example (bindings-c/examples/siem_filter): built shared, static and with pkg-config; run on the examples"
# Checked against the CLI (release, built above) by check_filter.py: every
# line out, unannotated ones byte for byte, the CLI's detections at the
# CLI's lines. Valgrind's reports go to fd 3 (this stderr): the program's
# own stderr is its summary, which the check reads.
if ! command -v pkg-config >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get install -y -qq pkgconf >/dev/null || { apt-get update -qq && apt-get install -y -qq pkgconf >/dev/null; }
    else
        echo "pkg-config is needed for the C example's test (apt-get install pkgconf)" >&2
        exit 1
    fi
fi
ex=target/c-tests/example
check=bindings-c/examples/check_filter.py
py=${PYTHON:-python3}
vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 --log-fd=3)
make -s -C bindings-c/examples OUT="$PWD/$ex" shared static
bindings-c/pkgconfig.sh --profile debug
(
    export PKG_CONFIG_PATH="$PWD/target/debug/pkgconfig"
    gcc -std=c11 -Wall -Wextra -Werror bindings-c/examples/siem_filter.c $(pkg-config --cflags --libs landwatch) \
        -Wl,-rpath,"$(pkg-config --variable=libdir landwatch)" -o "$ex/siem_filter-pc"
    gcc -std=c11 -Wall -Wextra -Werror bindings-c/examples/siem_filter.c $(pkg-config --cflags landwatch) \
        "$(pkg-config --variable=staticlib landwatch)" $(pkg-config --variable=privatelibs landwatch) -o "$ex/siem_filter-pc-static"
)
for b in siem_filter siem_filter-static siem_filter-pc siem_filter-pc-static; do
    "$ex/$b" --version >/dev/null
done
if ldd "$ex/siem_filter-static" | grep -q liblandwatch; then
    echo "siem_filter-static links liblandwatch.so" >&2
    exit 1
fi
# The intrusion day: rules by path (lw_rules_load), the shared build under
# valgrind; the static build's --mmexternal replies against it.
cli=target/release/landwatch
intrusion=examples/msp-intrusion.jsonl
"$cli" scan --format jsonl "$intrusion" >"$ex/intrusion.cli" 2>/dev/null
"${vg[@]}" "$ex/siem_filter" core/rules <"$intrusion" 3>&2 >"$ex/intrusion.out" 2>"$ex/intrusion.err"
"$ex/siem_filter-static" --mmexternal <"$intrusion" >"$ex/intrusion.mm" 2>/dev/null
"$py" "$check" "$intrusion" "$ex"/intrusion.{out,err,cli} --mmexternal "$ex/intrusion.mm"
# No lateness: the correlation is written on the line that completed it,
# as the CLI with --lateness 0s reports it.
"$cli" scan --lateness 0s --format jsonl "$intrusion" >"$ex/intrusion-now.cli" 2>/dev/null
"$ex/siem_filter" --lateness 0s <"$intrusion" >"$ex/intrusion-now.out" 2>"$ex/intrusion-now.err"
"$py" "$check" "$intrusion" "$ex"/intrusion-now.{out,err,cli}
if ! grep -n '"rule":"corr.logon_then_lotl_tool"' "$ex/intrusion-now.out" | grep -q '^184:'; then
    echo "siem_filter --lateness 0s: corr.logon_then_lotl_tool is not on line 184" >&2
    exit 1
fi
# Three days of credentials with the zones, the static and pkg-config
# builds; and above --min-level high.
credentials=examples/msp-credentials.jsonl
"$cli" scan --zones examples/zones.toml --format jsonl "$credentials" >"$ex/credentials.cli" 2>/dev/null
"$ex/siem_filter-static" --zones examples/zones.toml <"$credentials" >"$ex/credentials.out" 2>"$ex/credentials.err"
"$py" "$check" "$credentials" "$ex"/credentials.{out,err,cli}
"$ex/siem_filter-pc-static" --zones examples/zones.toml --min-level high <"$credentials" >"$ex/credentials-high.out" 2>"$ex/credentials-high.err"
"$py" "$check" "$credentials" "$ex"/credentials-high.{out,err} "$ex/credentials.cli" --min-level high
# Malformed, blank and odd lines mixed into the intrusion day, under valgrind.
"$py" "$check" --make-mixed "$intrusion" "$ex/mixed.jsonl"
"$cli" scan --format jsonl "$ex/mixed.jsonl" >"$ex/mixed.cli" 2>/dev/null
"${vg[@]}" "$ex/siem_filter-pc" <"$ex/mixed.jsonl" 3>&2 >"$ex/mixed.out" 2>"$ex/mixed.err"
"$py" "$check" "$ex/mixed.jsonl" "$ex"/mixed.{out,err,cli}
# The day cut just after the logon-then-tool correlation completes: it is
# still waiting for the lateness at end of input, so the flush gives it.
head -n 186 "$intrusion" >"$ex/cut.jsonl"
"$cli" scan --format jsonl "$ex/cut.jsonl" >"$ex/cut.cli" 2>/dev/null
"${vg[@]}" "$ex/siem_filter-static" <"$ex/cut.jsonl" 3>&2 >"$ex/cut.out" 2>"$ex/cut.err"
"$py" "$check" "$ex/cut.jsonl" "$ex"/cut.{out,err,cli} --at-end 1
# A rule error: status 2, the position on stderr, nothing on stdout.
printf 'rule t.bad {\n    title: "x"\n    level: severe\n}\n' >"$ex/bad.lw"
status=0
"$ex/siem_filter" "$ex/bad.lw" </dev/null >"$ex/bad.out" 2>"$ex/bad.err" || status=$?
if [ "$status" != 2 ] || [ -s "$ex/bad.out" ] || ! grep -q "(line 3, column 12): .*bad.lw:3:12" "$ex/bad.err"; then
    echo "siem_filter on a bad rule file: status $status, stderr:" >&2
    cat "$ex/bad.err" >&2
    exit 1
fi
