"""Uses every name in landwatch's stubs, for `mypy --strict` to check.

Not a test module (pytest collects test_*.py only): tools/test-all.sh runs
mypy on it, and runs it too, so the stubs and the module cannot drift apart.
"""

from __future__ import annotations

import importlib
import io
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional

import landwatch

if TYPE_CHECKING:
    import pyspark.sql
    from landwatch import EventRef, Evidence, ReadError, Rejection, RuleErrorInfo, RuleInfo, Stats, Window

ROOT = Path(__file__).resolve().parents[2]
EVENT: Dict[str, Any] = {
    "EventID": 1,
    "UtcTime": "2018-10-03 14:00:00.084",
    "Computer": "WS1",
    "Image": "C:\\Windows\\System32\\certutil.exe",
    "CommandLine": "certutil -urlcache -f http://198.51.100.7/a.exe a.exe",
}


def rules_api() -> landwatch.Rules:
    version: str = landwatch.__version__
    rules: landwatch.Rules = landwatch.builtin()
    mine = landwatch.compile('rule t.x { title: "x" level: low on: process when: Image endswith "\\\\x.exe" }', name="t.lw")
    loaded = landwatch.load(paths=[], sigma=None, builtin=True, normalize=False, strict=False)
    ids: List[str] = rules.ids()
    n: int = len(rules) + len(mine) + len(loaded) + rules.correlations + rules.sigma_loaded
    info: RuleInfo = rules.info(ids[0])
    kind: str = info["kind"]
    rejected: List[Rejection] = loaded.rejected
    html: str = rules._repr_html_()
    present: bool = ids[0] in rules
    recipe: str = mine.recipe()
    digest: str = mine.digest
    rebuilt: landwatch.Rules = landwatch.Rules.from_recipe(recipe)
    assert landwatch.Rules.from_recipe(recipe.encode()).digest == rebuilt.digest == digest
    print(rebuilt._correlation_ids(), rebuilt._first_seen())
    try:
        landwatch.compile("rule {", name="bad.lw")
    except landwatch.RuleError as e:
        first: Optional[str] = e.message
        where = (e.file, e.line, e.column, e.rule)
        errors: List[RuleErrorInfo] = e.errors
        print(first, where, errors[0]["line"])
    print(version, n, kind, rejected, len(html), present)
    return rules


def detection_api(d: landwatch.Detection) -> Dict[str, Any]:
    when: Optional[datetime] = d.time
    evidence: List[Evidence] = d.evidence
    group: Optional[Dict[str, str]] = d.group
    window: Optional[Window] = d.window
    events: Optional[List[EventRef]] = d.events
    values: Optional[List[str]] = d.values
    value: Optional[float] = d.value
    count: Optional[int] = d.count
    omitted: Optional[int] = d.events_omitted
    context = (d.rule, d.title, d.level, d.tags, d.kind, d.event, d.file, d.line,
               d.host, d.user, d.channel, d.event_id, d.record)
    print(when, evidence, group, window, events, values, value, count, omitted, context, d._repr_html_())
    return d.to_dict()


def scanner_api(rules: landwatch.Rules) -> None:
    scanner: landwatch.Scanner = rules.scanner(schema="auto", zones=None, lateness="60s")
    other = rules.scanner("sysmon", ROOT / "examples" / "zones.toml", 60, time_field="UtcTime",
                          time_missing="previous", ordered=True, max_events=8)
    found: List[landwatch.Detection] = scanner.scan(EVENT)
    found += scanner.scan('{"EventID": 1}', file="a.jsonl", line=1)
    found += scanner.scan(b'{"EventID": 1}')
    for d in found:
        detection_api(d)
    try:
        scanner.scan("{bad")
    except landwatch.EventError as e:
        reason: str = e.reason
        print(reason)
    it: landwatch.ScanIter = scanner.scan_jsonl(ROOT / "examples" / "msp-intrusion.jsonl")
    stream: Iterator[landwatch.Detection] = it
    print(sum(1 for _ in stream))
    problems: List[ReadError] = it.errors
    print(problems, it.error_count)
    print(list(scanner.scan_jsonl(io.StringIO(""))), list(scanner.scan_jsonl(str(ROOT / "README.md"))))
    evtx = sorted((ROOT.parent / "shared" / "corpus" / "sigma" / "regression_data").rglob("*.evtx"))[:1]
    for path in evtx:
        print(len(list(other.scan_evtx(path))))
    flushed: List[landwatch.Detection] = scanner.flush()
    stats: Stats = scanner.stats()
    blob: bytes = scanner.save()
    again = landwatch.Scanner.restore(rules, blob, schema="auto", zones=None, lateness=60.0)
    same: landwatch.Rules = again.rules
    try:
        landwatch.Scanner.restore(rules, b"junk")
    except landwatch.StateError as e:
        print(e)
    by_reason: Dict[str, int] = stats["rejected_by_reason"]
    by_rule: Dict[str, int] = stats["detections_by_rule"]
    print(len(flushed), stats["events"], stats["read"] - stats["scanned"], len(same), by_reason, by_rule)


def functions() -> None:
    normal: str = landwatch.normalize_command_line("c^md /c whoami")
    decoded: Optional[str] = landwatch.decode_command_line("powershell -enc ZABpAHIA")
    base: type[landwatch.LandwatchError] = landwatch.InternalError
    print(normal, decoded, base)


def frames(rules: landwatch.Rules) -> None:
    """scan_dataframe and the accessors; skipped without pandas."""
    # pandas is optional and typed Any here (pandas-stubs cannot know the
    # accessor); the frame functions' own types are what is checked.
    try:
        pandas: Any = importlib.import_module("pandas")
    except ImportError:
        return
    df = pandas.DataFrame([{"EventID": 1, "CommandLine": "c^ertutil -urlcache -f http://x/a a"}])
    out = landwatch.scan_dataframe(df, rules, schema="auto", column_map={"cmd": "CommandLine"}, lateness="60s")
    again = landwatch.scan_dataframe(df, rules.scanner(), flush=False)
    page: str = landwatch.detections_html(out, max_rows=10)
    registered: bool = landwatch.register_pandas() and landwatch.register_polars()
    print(len(out), len(again), len(page), registered, df.landwatch.scan(rules), df["CommandLine"].landwatch.normalize())


def spark_api(df: "pyspark.sql.DataFrame", rules: landwatch.Rules) -> None:
    """landwatch.spark's types; checked by mypy, not run (that needs a JVM:
    tests/test_spark.py runs it)."""
    import landwatch.spark as lws

    found: pyspark.sql.DataFrame = lws.scan(df, rules, schema="sysmon", column_map={"row": None}, keep=["row"],
                                            time_col="UtcTime")
    correlated = lws.correlate(df, rules, "UtcTime", ROOT / "examples" / "zones.toml", row_col="row",
                               schema="auto", column_map={"cmd": "CommandLine"}, max_events=8)
    columns: List[str] = list(lws.DETECTION_COLUMNS) + list(lws.CORRELATION_COLUMNS)
    print(found.columns, correlated.columns, columns, lws._worker_stats()["pid"])


if __name__ == "__main__":
    r = rules_api()
    scanner_api(r)
    functions()
    frames(r)
    sys.exit(0)
