#!/usr/bin/env bash
# Runs every test of the project from a clean clone: lints, the CLI on the
# bundled example, and the whole test suite (Rust unit, integration and
# property tests; tests that need ../shared/corpus skip with a message when it
# is absent). Needs only a Rust toolchain with clippy.
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
