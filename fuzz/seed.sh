#!/usr/bin/env bash
# Copies seed inputs into fuzz/corpus/<target>/ (gitignored) at run time:
# from examples/, core/rules, core/tests, and ../shared/corpus when it is
# there. Nothing from the shared corpus is ever committed. A bounded sample
# per target keeps short runs short; SEED_MAX raises it for long runs.
set -eu  # no pipefail: `head` closing a pipe early is fine here
cd "$(dirname "$0")"
root=..
shared=${SHARED_CORPUS:-$root/../shared/corpus}
max=${SEED_MAX:-200}

copy() { # target, then files on stdin
    local dir=corpus/$1 n=0
    mkdir -p "$dir"
    while IFS= read -r f && [ "$n" -lt "$max" ]; do
        [ -f "$f" ] || continue
        # content-addressed names: reruns do not duplicate
        cp "$f" "$dir/seed-$(cksum <"$f" | cut -d' ' -f1)"
        n=$((n + 1))
    done
    cat >/dev/null
}
lines() { # target, then jsonl files on stdin: single events as seeds
    local dir=corpus/$1
    mkdir -p "$dir"
    while IFS= read -r f; do
        head -n 40 "$f" | while IFS= read -r l; do
            printf '%s' "$l" >"$dir/ev-$(printf '%s' "$l" | cksum | cut -d' ' -f1)"
        done
    done
}
have_shared() { [ -d "$shared" ]; }

ls "$root"/core/rules/*.lw | copy dsl_parse
ls "$root"/core/rules/*.lw | copy scan_rules
{ find "$root/core/tests" -name '*.yml'; have_shared && find "$shared/sigma" -name '*.yml' | sort | head -n "$max"; } | copy sigma_load
{ ls "$root"/examples/*.jsonl; have_shared && find "$shared" -name '*.jsonl' | sort | head -n 20; } | lines json_event
# state_restore: empty state bytes, a NUL, then events (the target saves
# halfway through them and restores).
mkdir -p corpus/state_restore
for f in "$root"/examples/*.jsonl; do
    { printf '\0'; head -n 60 "$f"; } >"corpus/state_restore/seed-$(basename "$f" .jsonl)"
done
ls "$root"/examples/*.jsonl | lines normalize
have_shared && find "$shared" -name '*.evtx' | sort | head -n 20 | copy evtx_buffer
mkdir -p corpus/evtx_buffer
# scan_reference: rule text, a NUL, then flat events.
mkdir -p corpus/scan_reference
for r in "$root"/core/rules/*.lw; do
    { cat "$r"; printf '\0'; head -n 20 "$root/examples/msp-intrusion.jsonl"; } \
        >"corpus/scan_reference/seed-$(basename "$r" .lw)"
done
# capi: the first byte splits rule text from events.
mkdir -p corpus/capi
for r in "$root"/core/rules/*.lw; do
    { printf '\x40'; cat "$r"; printf '\n'; head -n 5 "$root/examples/msp-intrusion.jsonl"; } \
        >"corpus/capi/seed-$(basename "$r" .lw)"
done
for t in corpus/*; do echo "seeds: $(basename "$t") $(ls "$t" | wc -l)"; done
