"""scan_dataframe against the command on the same events, one thread each.

    python bindings-python/bench/frame_vs_cli.py [--events N] [--runs R] [--file PATH]

Writes N process-creation events as JSON lines (the benches' generator,
`cargo run --release -p landwatch-benches --bin gen_events`) unless --file
names them, loads them into a pandas and a polars frame (not timed: an
analyst's frame is already in memory), then times, best of R runs:

- `landwatch scan --threads 1 --format jsonl FILE > /dev/null` (the CLI
  reading and scanning the JSON text itself);
- `landwatch.scan_dataframe(pandas_frame)` (pandas through pyarrow:
  `Table.from_pandas`, the Arrow C stream, rows written as JSON and
  scanned);
- `landwatch.scan_dataframe(polars_frame)` (polars' Arrow C stream);
- the same pandas frame without pyarrow (the column-lists path).

All with the built-in pack. Checks that every way gives the CLI's
detections (rule and row) before printing seconds, rows per second and
the ratio to the CLI.
"""

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, List, Tuple

import landwatch

ROOT = Path(__file__).resolve().parents[2]


def best(fn: Callable[[], Any], runs: int) -> Tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def cli_binary() -> Path:
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "landwatch-cli"], cwd=ROOT, check=True)
    return ROOT / "target" / "release" / "landwatch"


def events_file(n: int) -> Path:
    path = ROOT / "target" / "bench" / f"process-events-{n}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["cargo", "build", "--release", "--locked", "-p", "landwatch-benches", "--bin", "gen_events"],
            cwd=ROOT,
            check=True,
        )
        with open(path.with_suffix(".tmp"), "wb") as out:
            subprocess.run([str(ROOT / "target" / "release" / "gen_events"), str(n)], stdout=out, check=True)
        path.with_suffix(".tmp").rename(path)
    return path


def run_cli(binary: Path, path: Path) -> Counter:
    done = subprocess.run(
        [str(binary), "scan", "--threads", "1", "--format", "jsonl", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return Counter((d["rule"], d["line"] - 1) for d in map(json.loads, done.stdout.splitlines()))


def frame_counter(out: Any) -> Counter:
    return Counter(zip(out["rule"].to_list(), out["row"].to_list()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--file", type=Path, help="JSON lines to use instead of generated events")
    ap.add_argument("--no-columns", action="store_true", help="skip the (slow) path without pyarrow")
    args = ap.parse_args()

    import pandas as pd
    import polars as pl
    import pyarrow.json

    path = args.file or events_file(args.events)
    binary = cli_binary()
    print(f"events: {path} ({path.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)
    table = pyarrow.json.read_json(path)
    pandas_frame = table.to_pandas()
    polars_frame = pl.from_arrow(table)
    rows = table.num_rows
    del table
    rules = landwatch.builtin()

    results: List[Tuple[str, float]] = []
    cli_time, want = best(lambda: run_cli(binary, path), args.runs)
    results.append(("CLI, 1 thread, JSONL file", cli_time))

    def frame(df: Any) -> Callable[[], Any]:
        return lambda: landwatch.scan_dataframe(df, rules)

    t, out = best(frame(pandas_frame), args.runs)
    assert frame_counter(out) == want, "pandas frame: detections differ from the CLI's"
    results.append(("scan_dataframe(pandas), via pyarrow", t))
    t, out = best(frame(polars_frame), args.runs)
    assert frame_counter(out) == want, "polars frame: detections differ from the CLI's"
    results.append(("scan_dataframe(polars)", t))
    if not args.no_columns:
        sys.modules["pyarrow"] = None  # type: ignore[assignment]
        t, out = best(frame(pandas_frame), 1)
        del sys.modules["pyarrow"]
        assert frame_counter(out) == want, "pandas column lists: detections differ from the CLI's"
        results.append(("scan_dataframe(pandas), no pyarrow (1 run)", t))

    print(f"{rows} rows, {sum(want.values())} detections, built-in pack, best of {args.runs}")
    print(f"{'':46} {'seconds':>8} {'rows/s':>10} {'x CLI':>6}")
    for name, t in results:
        print(f"{name:46} {t:8.2f} {rows / t:10.0f} {t / cli_time:6.2f}")
    _ = pd


if __name__ == "__main__":
    main()
