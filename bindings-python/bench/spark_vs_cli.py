"""landwatch.spark in local mode against the command, on the same events.

    python bindings-python/bench/spark_vs_cli.py [--events N] [--runs R] [--master local[2]]
                                                 [--rules FILE.lw] [--file PATH]

Writes N process-creation events as JSON lines (the benches' generator,
`cargo run --release -p landwatch-benches --bin gen_events`) unless --file
names them, and the same events as Parquet (a `row` column added: the
line index; not timed: a data lake holds Parquet already). Then times,
best of R runs:

- `landwatch scan --threads T --format jsonl FILE > /dev/null` for T = 1
  and 2 (the command reading and scanning the JSON text);
- a `mapInArrow` that only counts the rows it is handed: what Spark
  itself costs to read the Parquet file and hand it to Python as Arrow;
- `landwatch.spark.scan(df)` over the Parquet file, detections collected
  (stateless rules; the correlations are left out);
- `landwatch.spark.correlate(df)` (the correlations, split by group key;
  with a first-seen correlation among the rules, two passes);

with the built-in pack plus `--rules` (default: the Spark tests'
correlations over process events, which the pack's logon correlations
leave silent). Checks that Spark's detections are the command's (rule and
row; correlations with their contributing rows) before printing seconds
and events per second. The Spark session is started (JVM up) before the
clock starts; its first job warms the workers, which later runs reuse.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, List, Set, Tuple

import landwatch
import landwatch.spark as lws

ROOT = Path(__file__).resolve().parents[2]
TEST_RULES = ROOT / "bindings-python" / "tests" / "data" / "process_correlations.lw"


def best(fn: Callable[[], Any], runs: int) -> Tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def cli(path: Path, rules: Path, threads: int) -> Tuple[Set[Tuple[str, int]], Set[Tuple[str, int, Tuple[int, ...]]]]:
    out = subprocess.run(
        [str(ROOT / "target" / "release" / "landwatch"), "scan", "--threads", str(threads), "--format", "jsonl",
         "--rules", str(rules), str(path)],
        capture_output=True, text=True, check=True,
    )
    hits, corrs = set(), set()
    for line in out.stdout.splitlines():
        d = json.loads(line)
        if d.get("group") is None:
            hits.add((d["rule"], d["line"] - 1))
        else:
            corrs.add((d["rule"], d["line"] - 1, tuple(e["line"] - 1 for e in d["events"])))
    return hits, corrs


def count_rows(batches: Iterator[Any]) -> Iterator[Any]:
    import pyarrow as pa

    n = sum(b.num_rows for b in batches)
    yield pa.RecordBatch.from_pylist([{"n": n}])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--rules", type=Path, default=TEST_RULES)
    ap.add_argument("--file", type=Path)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    import pyarrow as pa
    import pyarrow.json as pa_json
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession

    work = Path(tempfile.mkdtemp(prefix="landwatch-spark-bench-"))
    path = args.file
    if path is None:
        path = work / "events.jsonl"
        subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "landwatch-cli", "-p", "landwatch-benches"],
                       cwd=ROOT, check=True)
        with path.open("wb") as out:
            subprocess.run([str(ROOT / "target" / "release" / "gen_events"), str(args.events)], stdout=out, check=True)
    table = pa_json.read_json(path, read_options=pa_json.ReadOptions(block_size=path.stat().st_size + 1))
    n = table.num_rows
    table = table.append_column("row", pa.array(range(n), pa.int64()))
    parquet = work / "events.parquet"
    pq.write_table(table, parquet, row_group_size=100_000)
    del table

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(args.master)
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(work / "spark"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    rules = landwatch.load(paths=args.rules)
    df = spark.read.parquet(str(parquet))
    print(f"{n:,} events ({path.stat().st_size / n / 1000:.2f} KB each as JSON), {len(rules)} rules, "
          f"{df.rdd.getNumPartitions()} input partitions, {args.master}")

    rows: List[Tuple[str, float]] = []
    for threads in (1, 2):
        t, (hits, corrs) = best(lambda: cli(path, args.rules, threads), args.runs)
        rows.append((f"landwatch scan --threads {threads} (the command)", t))
    # The first job starts the Python workers and builds the rules there.
    lws.scan(df.limit(1000), rules, column_map={"row": None}, keep=["row"]).count()
    # What Spark itself costs: the rows handed to Python as Arrow and
    # counted there, nothing scanned.
    t, _ = best(lambda: df.mapInArrow(count_rows, "n long").collect(), args.runs)
    rows.append(("mapInArrow counting the rows (Spark alone, no landwatch)", t))
    t, found = best(lambda: lws.scan(df, rules, column_map={"row": None}, keep=["row"]).select("rule", "row").collect(), args.runs)
    assert {(r["rule"], r["row"]) for r in found} == hits, "spark.scan differs from the command"
    rows.append((f"landwatch.spark.scan ({len(hits):,} stateless detections)", t))
    t, found = best(lambda: lws.correlate(df, rules, row_col="row").select("rule", "row", "events").collect(), args.runs)
    assert {(r["rule"], r["row"], tuple(r["events"])) for r in found} == corrs, "spark.correlate differs from the command"
    rows.append((f"landwatch.spark.correlate ({len(corrs)} correlated detections)", t))
    for label, t in rows:
        print(f"{label:<58} {t:8.2f} s {n / t:>12,.0f} events/s")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
