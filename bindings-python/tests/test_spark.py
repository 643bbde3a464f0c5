"""landwatch.spark in local mode (local[2]): scan and correlate over
DataFrames split into many partitions in shuffled order give the
detections of one process (Python) and of the command, exactly: the same
rules on the same rows, and for correlations the same contributing rows,
groups, counts and windows.

Needs pyspark (tools/test-all.sh installs it in the venv) and Java 17 or
later; the module skips with a message where Java is missing. The
generated set is written at test time by the benches' gen_events.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest

import landwatch
from conftest import EXAMPLES, ROOT

ZONES = EXAMPLES / "zones.toml"
TEST_RULES = Path(__file__).parent / "data" / "process_correlations.lw"
GENERATED = 200_000


def _java() -> Tuple[Optional[str], str]:
    """The java pyspark will start (JAVA_HOME's, else the one on PATH),
    and why it will not do when it will not."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home, "bin", "java")) if home else shutil.which("java")
    if java is None or not Path(java).exists():
        return None, "Java is not installed"
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', out)
    if match is None or int(match.group(1)) < 17:
        return None, f"{java} is not Java 17 or later ({out.splitlines()[0] if out else 'no version'})"
    return java, ""


JAVA, WHY_NOT = _java()
if JAVA is None:
    pytest.skip(
        f"{WHY_NOT}: the Spark tests need a Java 17+ runtime (JAVA_HOME, or java on PATH; "
        "on Debian: apt-get install openjdk-17-jre-headless)",
        allow_module_level=True,
    )
try:
    import pyarrow as pa
    import pyarrow.json as pa_json
    import pyarrow.parquet as pq
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F
except ImportError as e:
    if os.environ.get("LANDWATCH_REQUIRE_SPARK"):
        raise
    pytest.skip(f"pyspark is not installed ({e}): pip install './bindings-python[spark]'", allow_module_level=True)

import landwatch.spark as lws

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

#: A stateless detection: (rule, row).
Hit = Tuple[str, int]
#: A correlated detection: rule, completing row, contributing rows, group
#: (as written), count, window (epoch seconds), host.
Corr = Tuple[str, int, Tuple[int, ...], Tuple[Tuple[str, str], ...], int, float, float, Optional[str]]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("landwatch-tests")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.default.parallelism", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(tmp_path_factory.mktemp("spark-local")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def to_parquet(jsonl: Path, out: Path, seed: int = 7) -> Path:
    """The events of a JSON Lines file as a Parquet file of their fields
    (one column each, null where an event lacks it) plus `row`, the line
    index; rows in shuffled order, in small row groups."""
    size = jsonl.stat().st_size
    table = pa_json.read_json(jsonl, read_options=pa_json.ReadOptions(block_size=size + 1))
    table = table.append_column("row", pa.array(range(table.num_rows), pa.int64()))
    import random

    order = list(range(table.num_rows))
    random.Random(seed).shuffle(order)
    pq.write_table(table.take(pa.array(order)), out, row_group_size=max(256, table.num_rows // 32))
    return out


def frame(spark: SparkSession, path: Path, partitions: int = 16) -> DataFrame:
    return spark.read.parquet(str(path)).repartition(partitions)


def python_reference(path: Path, rules: landwatch.Rules, zones: Optional[Path]) -> Tuple[Set[Hit], Set[Corr]]:
    scanner = rules.scanner(zones=zones)
    found = list(scanner.scan_jsonl(path)) + scanner.flush()
    stats = scanner.stats()
    # Where the split by group key is exact (docs/spark.md).
    assert (stats["late"], stats["forced"], stats["evicted"], stats["rejected"]) == (0, 0, 0, 0)
    hits = {(d.rule, (d.line or 0) - 1) for d in found if d.kind == "stateless"}
    corrs = set()
    for d in found:
        if d.kind == "correlation":
            assert d.window is not None and d.events is not None and d.group is not None and d.count is not None
            corrs.add(
                (
                    d.rule,
                    (d.line or 0) - 1,
                    tuple((e["line"] or 0) - 1 for e in d.events),
                    tuple(d.group.items()),
                    d.count,
                    d.window["start"].timestamp(),
                    d.window["end"].timestamp(),
                    d.host,
                )
            )
    assert len(hits) == sum(1 for d in found if d.kind == "stateless"), "a rule fires once per event"
    return hits, corrs


def cli_binary() -> Path:
    cli = ROOT / "target" / "release" / "landwatch"
    # Built by tools/test-all.sh before the Python tests; fresh, a no-op.
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "landwatch-cli"], cwd=ROOT, check=True)
    return cli


def cli_reference(path: Path, args: List[str]) -> Tuple[Set[Hit], Set[Tuple[str, int, Tuple[int, ...]]]]:
    out = subprocess.run(
        [str(cli_binary()), "scan", "--format", "jsonl", *args, str(path)], capture_output=True, text=True, check=True
    )
    hits, corrs = set(), set()
    for line in out.stdout.splitlines():
        d = json.loads(line)
        if d.get("group") is None:
            hits.add((d["rule"], d["line"] - 1))
        else:
            corrs.add((d["rule"], d["line"] - 1, tuple(e["line"] - 1 for e in d["events"])))
    return hits, corrs


def spark_hits(out: DataFrame) -> Set[Hit]:
    rows = out.select("rule", "row").collect()
    hits = {(r["rule"], r["row"]) for r in rows}
    assert len(hits) == len(rows)
    return hits


def spark_corrs(out: DataFrame) -> Set[Corr]:
    rows = out.collect()
    corrs = {
        (
            r["rule"],
            r["row"],
            tuple(r["events"]),
            # A Spark map has no order; the group keys' order is the rule's.
            tuple(sorted(r["group"].items())),
            r["count"],
            # Spark gives naive local times; timestamp() reads them so.
            r["window_start"].timestamp(),
            r["window_end"].timestamp(),
            r["host"],
        )
        for r in rows
    }
    assert len(corrs) == len(rows)
    return corrs


def sorted_groups(corrs: Set[Corr]) -> Set[Corr]:
    return {c[:3] + (tuple(sorted(c[3])),) + c[4:] for c in corrs}


EXAMPLE_CASES = [
    # file, zones, correlated detections the example makes
    ("msp-credentials.jsonl", ZONES, 38),
    ("msp-intrusion.jsonl", None, 1),
]


@pytest.mark.parametrize("name,zones,correlated", EXAMPLE_CASES)
def test_the_examples_equal_one_process_and_the_command(
    spark: SparkSession, tmp_path: Path, name: str, zones: Optional[Path], correlated: int
) -> None:
    rules = landwatch.builtin()
    path = EXAMPLES / name
    hits, corrs = python_reference(path, rules, zones)
    assert len(corrs) == correlated
    cli_hits, cli_corrs = cli_reference(path, ["--zones", str(zones)] if zones else [])
    assert hits == cli_hits
    assert {c[:3] for c in corrs} == cli_corrs

    df = frame(spark, to_parquet(path, tmp_path / "events.parquet"))
    assert df.rdd.getNumPartitions() == 16
    found = lws.scan(df, rules, column_map={"row": None}, keep=["row"])
    assert found.columns == ["row", *lws.DETECTION_COLUMNS]
    assert spark_hits(found) == hits
    correlations = lws.correlate(df, rules, zones=zones, row_col="row")
    assert correlations.columns == list(lws.CORRELATION_COLUMNS)
    assert spark_corrs(correlations) == sorted_groups(corrs)


def test_a_generated_200k_event_set_equals_one_process_and_the_command(spark: SparkSession, tmp_path: Path) -> None:
    # The benches' process events, with the pack and correlations over
    # process events (every measure, a chain, first-seen, no group keys,
    # groups of thousands): the built-in correlations read logons, which
    # the generator does not write.
    jsonl = tmp_path / "generated.jsonl"
    subprocess.run(["cargo", "build", "--locked", "-q", "-p", "landwatch-benches", "--bin", "gen_events"], cwd=ROOT, check=True)
    with jsonl.open("wb") as out:
        subprocess.run([str(ROOT / "target" / "debug" / "gen_events"), str(GENERATED)], stdout=out, check=True)
    rules = landwatch.load(paths=TEST_RULES)
    assert "t.first_parent" in rules._first_seen()
    hits, corrs = python_reference(jsonl, rules, None)
    cli_hits, cli_corrs = cli_reference(jsonl, ["--rules", str(TEST_RULES)])
    assert hits == cli_hits and {c[:3] for c in corrs} == cli_corrs
    assert len(hits) > 1000
    fired = {c[0] for c in corrs}
    assert fired >= {"t.host_credential_stages", "t.stages_then_encoded", "t.user_tools", "t.first_parent", "t.shadow_wave", "t.conhost_burst", "t.busy_user"}

    df = frame(spark, to_parquet(jsonl, tmp_path / "generated.parquet"), partitions=16)
    assert spark_hits(lws.scan(df, rules, column_map={"row": None}, keep=["row"])) == hits
    assert spark_corrs(lws.correlate(df, rules, row_col="row")) == sorted_groups(corrs)


def test_each_worker_builds_the_rules_once(spark: SparkSession, tmp_path: Path) -> None:
    # A rule set no other test builds (the pack and one rule of its own).
    mine = tmp_path / "once.lw"
    mine.write_text('rule t.cmd { title: "cmd" level: low on: process when: Image endswith "\\\\cmd.exe" }\n')
    rules = landwatch.load(paths=mine)
    df = frame(spark, to_parquet(EXAMPLES / "msp-intrusion.jsonl", tmp_path / "events.parquet"), partitions=24)
    # Small Arrow batches: many batches per task, many tasks per worker.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "16")
    try:
        assert lws.scan(df, rules, column_map={"row": None}, keep=["row"]).count() > 0
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")

    def report(batches: Iterator[Any]) -> Iterator[Any]:
        stats = lws._worker_stats()
        for _ in batches:
            pass
        yield pa.RecordBatch.from_pylist([{"pid": stats["pid"], "builds": json.dumps(stats["builds"])}])

    seen = spark.range(0, 96, 1, 24).mapInArrow(report, "pid long, builds string").collect()
    builds: Dict[int, Dict[str, int]] = {r["pid"]: json.loads(r["builds"]) for r in seen}
    counts = [b[rules.digest] for b in builds.values() if rules.digest in b]
    # 24 tasks of many batches; each worker process built the rules once.
    assert counts and all(n == 1 for n in counts), builds
    assert sum(counts) < 24


def test_options_and_their_errors(spark: SparkSession, tmp_path: Path) -> None:
    rules = landwatch.builtin()
    df = spark.read.parquet(str(to_parquet(EXAMPLES / "msp-intrusion.jsonl", tmp_path / "events.parquet")))
    everything = lws.scan(df, rules)
    assert everything.columns == df.columns + list(lws.DETECTION_COLUMNS)
    # The row id as an event field changes nothing the pack reads.
    assert spark_hits(everything) == spark_hits(lws.scan(df, column_map={"row": None}))
    renamed = df.withColumnRenamed("CommandLine", "cmd")
    assert spark_hits(lws.scan(renamed, rules, column_map={"cmd": "CommandLine", "row": None})) == spark_hits(everything)
    first = everything.orderBy("row").first()
    assert first is not None and first["time"] is not None and first["evidence"]
    for bad, match in [
        (dict(keep=["nope"]), "keep"),
        (dict(keep=["rule"]), "keep"),
        (dict(column_map={"nope": "x"}), "column_map"),
        (dict(schema="winlogbeat"), "schema"),
        (dict(time_col="nope"), "time_col"),
    ]:
        with pytest.raises(ValueError, match=match):
            lws.scan(df, rules, **bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rules"):
        lws.scan(df, "builtin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="row_col"):
        lws.correlate(df, rules, row_col="nope")
    # Without row_col, rows are numbered as read: the same detections.
    numbered = lws.correlate(df.drop("row").coalesce(1), rules).collect()
    assert [r["rule"] for r in numbered] == ["corr.logon_then_lotl_tool"]
    # A time column of Spark timestamps, read before the schema's own.
    timed = df.withColumn("When", F.to_timestamp("UtcTime")).drop("UtcTime")
    again = lws.correlate(timed, rules, time_col="When", row_col="row").collect()
    assert [(r["rule"], r["row"]) for r in again] == [(r["rule"], r["row"]) for r in lws.correlate(df, rules, row_col="row").collect()]
    # No correlations: an empty frame of the result's columns.
    stateless = landwatch.compile('rule t.x { title: "x" level: low on: process when: Image endswith "\\\\x.exe" }')
    empty = lws.correlate(df, stateless, row_col="row")
    assert empty.columns == list(lws.CORRELATION_COLUMNS) and empty.count() == 0
