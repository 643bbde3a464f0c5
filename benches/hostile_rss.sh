#!/usr/bin/env bash
# Peak memory of `landwatch scan` while a hostile file streams through it:
# the example events (examples/*.jsonl, over and over) with hostile lines
# between them (invalid UTF-8, truncated objects, arrays, numbers, strings,
# null, NUL bytes, a 300-deep object, a 1 MB command line, blank lines,
# CRLF line ends) and a 16 MB line every 64 MB. A measurement, not a test:
# it prints figures and checks only that every event was accounted for
# (read == scanned + rejected).
#
#   benches/hostile_rss.sh [SIZE_MB ...]    (default: 100 1024)
#
# Each file is generated on the fly into a temporary directory (TMPDIR,
# default /tmp) by a streaming generator, scanned with --threads 1 and
# with --threads 2, and deleted. Peak RSS comes from /usr/bin/time -v, or
# else from /proc/PID/status (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1024)
bin=target/release/landwatch
[ -x "$bin" ] || cargo build --release --locked -p landwatch-cli
work=$(mktemp -d "${TMPDIR:-/tmp}/landwatch-rss.XXXXXX")
trap 'rm -rf "$work"' EXIT

generate() { # SIZE_MB FILE
    python3 - "$1" examples/msp-intrusion.jsonl examples/msp-credentials.jsonl >"$2" <<'EOF'
import sys
size = int(sys.argv[1]) << 20
normal = []
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        normal += [l.rstrip(b"\r\n") for l in f if l.strip()]
hostile = [
    b'{"EventID":1,"CommandLine":"\xff\xfe"}',
    b"\xc3\x28",
    b'{"EventID":1,"Image":"C:\\\\Windows\\\\System32\\\\certutil.exe","CommandLine":"certutil -urlca',
    b"[1,2,3]", b"42", b'"a string"', b"null", b"true",
    b'{"CommandLine":"x\x00y"}', b"\x00\x00\x00",
    b'{"a":' * 300 + b"1" + b"}" * 300,
    b"", b"   ",
]
# Once per pass over the events.
long = b'{"EventID":1,"Image":"C:\\\\App\\\\app.exe","CommandLine":"app.exe ' + b"a" * (1 << 20) + b'"}'
big = b'{"EventID":1,"Image":"C:\\\\App\\\\app.exe","CommandLine":"app.exe ' + b"b" * (16 << 20) + b'"}'
out = sys.stdout.buffer
written, next_big, i = 0, 64 << 20, 0
# The first line is an event: the reader tells JSON Lines from it.
while written < size:
    chunk = []
    for j, line in enumerate(normal):
        chunk.append(line)
        if j % 7 == 0:
            chunk.append(hostile[i % len(hostile)])
            i += 1
    chunk.append(long)
    end = b"\r\n" if (written >> 20) % 2 else b"\n"
    data = end.join(chunk) + end
    if written + len(data) >= next_big:
        data += big + b"\n"
        next_big += 64 << 20
    out.write(data)
    written += len(data)
EOF
}

peak_kb() { # FILE ARGS...: the figures JSON into $work/figures, the peak RSS (kB) into $work/kb
    local stats="$work/stats" timing="$work/time"
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v -o "$timing" "$bin" scan --format jsonl --stats json "${@:2}" "$1" >/dev/null 2>"$stats"
        awk -F': ' '/Maximum resident set size/ {print $2}' "$timing" >"$work/kb"
    else
        "$bin" scan --format jsonl --stats json "${@:2}" "$1" >/dev/null 2>"$stats" &
        local pid=$! hwm=0 kb
        while kill -0 "$pid" 2>/dev/null; do
            kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
            [ -n "$kb" ] && hwm=$kb
            sleep 0.05
        done
        wait "$pid"
        echo "$hwm" >"$work/kb"
    fi
    tail -n 1 "$stats" >"$work/figures"
}

printf '%-8s %-8s %10s %12s %10s %10s %10s\n' "file" "threads" "peak RSS" "read" "rejected" "seconds" "MB/s"
for mb in "${sizes[@]}"; do
    file="$work/hostile-$mb.jsonl"
    generate "$mb" "$file"
    bytes=$(stat -c %s "$file")
    for threads in 1 2; do
        peak_kb "$file" --zones examples/zones.toml --threads "$threads"
        python3 - "$work/figures" "$mb" "$threads" "$(cat "$work/kb")" "$bytes" <<'EOF'
import json, sys
path, mb, threads, kb, size = sys.argv[1:]
s = json.loads(open(path).read())
assert s["read"] == s["scanned"] + s["rejected"], s
assert sum(s["rejected_by_reason"].values()) == s["rejected"], s
mbs = int(size) / 2**20 / s["seconds"]
print(f"{mb + ' MB':<8} {threads:<8} {int(kb) / 1024:8.1f} MB {s['read']:>12} {s['rejected']:>10} {s['seconds']:>10.1f} {mbs:>10.1f}")
print(f"         reasons: {s['rejected_by_reason']}; late {s['late']}, no_time {s['no_time']}, evicted {s['evicted']}, forced {s['forced']}, detections {s['detections']}", file=sys.stderr)
EOF
    done
    rm -f "$file"
done
