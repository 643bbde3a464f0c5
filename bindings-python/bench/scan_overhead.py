"""Per-call cost of Scanner.scan: a dict event against its JSON bytes.

    python bindings-python/bench/scan_overhead.py [--calls N] [--repeats R]

Scans the same events from examples/msp-intrusion.jsonl with the built-in
pack, each as a dict (converted to JSON text in the binding), as bytes, as
str, and as json.dumps(dict) passed as str (what a caller would do without
the dict path). Prints microseconds per call, the median of the repeats.
The difference between dict and bytes is the conversion; bytes itself is
the core's scan plus the call.
"""

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import landwatch

ROOT = Path(__file__).resolve().parents[2]


def per_call(fn: Callable[[Any], object], events: List[Any], calls: int, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        n = 0
        start = time.perf_counter()
        while n < calls:
            for e in events:
                fn(e)
            n += len(events)
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    lines = [line for line in (ROOT / "examples" / "msp-intrusion.jsonl").read_bytes().splitlines() if line.strip()]
    dicts: List[Dict[str, Any]] = [json.loads(line) for line in lines]
    texts = [line.decode() for line in lines]
    rules = landwatch.builtin()
    # A fresh scanner per measure; time is kept out of correlations' way by
    # the events themselves (one day, in order).
    cases = {
        "dict": (dicts, lambda s: s.scan),
        "bytes": (lines, lambda s: s.scan),
        "str": (texts, lambda s: s.scan),
        "json.dumps + str": (dicts, lambda s: (lambda e: s.scan(json.dumps(e)))),
    }
    mean_fields = statistics.mean(len(d) for d in dicts)
    mean_bytes = statistics.mean(len(line) for line in lines)
    print(f"{len(lines)} events (mean {mean_fields:.1f} fields, {mean_bytes:.0f} bytes), built-in pack ({len(rules)} rules)")
    results = {}
    for name, (events, make) in cases.items():
        scanner = rules.scanner()
        results[name] = per_call(make(scanner), events, args.calls, args.repeats)
        print(f"  scan({name:16}) {results[name]:7.2f} us/call")
    print(f"  dict conversion    {results['dict'] - results['bytes']:7.2f} us/call (dict minus bytes)")


if __name__ == "__main__":
    main()
