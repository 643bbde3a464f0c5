#!/usr/bin/env bash
# Runs every test of the project from a clean clone: lints, the CLI on the
# bundled example, the whole Rust test suite (unit, integration and property
# tests), and the Python package: built into a venv, then pytest and mypy
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
# what runs the notebook (nbclient, a kernel, matplotlib).
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
)
python -m pip install --quiet --disable-pip-version-check "${python_tools[@]}"
# The pinned maturin builds it (no build isolation: no other download).
python -m pip install --quiet --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps ./bindings-python
(cd /tmp && python -c "import landwatch; print(len(landwatch.builtin().ids()))")
python -m pytest -q bindings-python/tests
python -m mypy --strict --cache-dir target/mypy-cache bindings-python/tests/typing_check.py
python bindings-python/tests/typing_check.py >/dev/null
