#!/usr/bin/env bash
# Runs every test of the project from a clean clone: lints, the CLI on the
# bundled example, the whole Rust test suite (unit, integration and property
# tests), the C library (tools/test-c.sh: C tests under valgrind, the filter
# example), and the Python package: built into a venv, then pytest and mypy
# (tests that need ../shared/corpus skip with a message when it is absent).
# Needs a Rust toolchain with clippy and a Python 3.9+ with venv ($PYTHON,
# default python3); the Python tools come from PyPI, pinned below.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo clippy --version >/dev/null 2>&1; then
    rustup component add clippy
fi

echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== release build and the bundled example"
cargo build --release --locked -p landwatch-cli
target/release/landwatch scan --format jsonl examples/msp-intrusion.jsonl >/dev/null
target/release/landwatch scan --zones examples/zones.toml --format csv examples/msp-credentials.jsonl >/dev/null

echo "== tests"
cargo test --workspace --locked

# The C library: its tests under valgrind, and the filter example.
bash tools/test-c.sh
bash tools/test-fuzz.sh  # the fuzz targets (fuzz/): built, seeded, ~15 s each

echo "== Python package (bindings-python)"
# A venv kept between runs under target/ (cargo clean removes it); pip
# leaves pinned packages already there alone, so a warm run costs nothing.
venv=target/pyenv
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
export PATH="$PWD/$venv/bin:$PATH"
export VIRTUAL_ENV="$PWD/$venv"
# The pinned test tools: the build and test runners, the DataFrame
# libraries the frame tests use (optional for users of the package), and
# what runs the notebook (nbclient, a kernel, matplotlib), and pyspark for
# landwatch.spark's tests (a 430 MB download the first time; pip caches it).
python_tools=(
    maturin==1.16.0
    pytest==9.2.0
    mypy==2.4.1
    pandas==3.1.1
    polars==2.1.0
    pyarrow==26.0.1
    nbclient==0.11.0
    nbformat==5.11.1
    ipykernel==7.4.0
    matplotlib==3.11.2
    pyspark==4.3.0
)
python -m pip install --quiet --disable-pip-version-check "${python_tools[@]}"
# The pinned maturin builds it (no build isolation: no other download).
python -m pip install --quiet --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps ./bindings-python
(cd /tmp && python -c "import landwatch; print(len(landwatch.builtin().ids()))")
# pyspark 4 runs on Java 17 or later. JAVA_HOME when it holds one; else
# the java on PATH (through Debian's alternatives symlinks); else a JDK
# under /usr/lib/jvm (where Debian's openjdk packages put them). The Spark tests skip, saying why, only
# when there is none; a missing pyspark fails them (it is pinned above).
java_major() {
    "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n 1
}
java_ok() {
    [ -x "$1" ] && [ "$(java_major "$1")" -ge 17 ] 2>/dev/null
}
if [ -z "${JAVA_HOME:-}" ] || ! java_ok "$JAVA_HOME/bin/java"; then
    unset JAVA_HOME
    candidates=()
    if command -v java >/dev/null 2>&1; then
        candidates+=("$(readlink -f "$(command -v java)")")
    fi
    # Spark 4 is built and tested on Java 17 and 21: those first.
    for j in /usr/lib/jvm/*-17-*/bin/java /usr/lib/jvm/*-21-*/bin/java /usr/lib/jvm/*/bin/java; do
        candidates+=("$j")
    done
    for j in "${candidates[@]}"; do
        if java_ok "$j"; then
            JAVA_HOME=$(dirname "$(dirname "$j")")
            export JAVA_HOME
            break
        fi
    done
fi
if [ -n "${JAVA_HOME:-}" ]; then
    export PATH="$JAVA_HOME/bin:$PATH"
    echo "Java for the Spark tests: $JAVA_HOME (Java $(java_major "$JAVA_HOME/bin/java"))"
else
    echo "no Java 17 or later found: the Spark tests will skip" >&2
fi
# The Spark tests compare with the command (built above) and scan the
# benches' generated events (gen_events, built here in the debug profile
# whose dependencies cargo test built).
cargo build --locked -q -p landwatch-benches --bin gen_events
LANDWATCH_REQUIRE_SPARK=1 python -m pytest -q bindings-python/tests
python -m mypy --strict --cache-dir target/mypy-cache bindings-python/tests/typing_check.py
python bindings-python/tests/typing_check.py >/dev/null
