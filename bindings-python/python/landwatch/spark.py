"""landwatch on Spark: the rules of a single machine over a DataFrame of
events too large for one, with the same detections.

``scan(df, rules)`` runs the stateless rules: each partition's rows are
matched on its executor (``mapInArrow``), one detection per output row.
``correlate(df, rules)`` runs the correlations: every event is sent to the
group (correlation and group key) it feeds, each group is correlated apart
in event-time order (``groupBy(...).applyInArrow``), and the detections
equal those of one ``Scanner`` over the whole stream (docs/spark.md says
exactly when).

Rules travel to executors as their recipe (``Rules.recipe()``: the rule
texts they were built from), never as a pickled native object. Each Python
worker builds them once and keeps them, keyed by the recipe's SHA-256
(``Rules.digest``): a per-process cache of immutable rules, not state of a
stream. pyspark (4.0 or later) is needed only here: ``pip install
landwatch[spark]``.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import _landwatch
from ._landwatch import Detection, Rules

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructField, StructType

__all__ = ["scan", "correlate", "DETECTION_COLUMNS", "CORRELATION_COLUMNS"]

#: The columns ``scan`` adds after the kept ones.
DETECTION_COLUMNS = ("rule", "title", "level", "tags", "time", "host", "evidence")
#: The columns of ``correlate``'s result.
CORRELATION_COLUMNS = (
    "row",
    "rule",
    "title",
    "level",
    "tags",
    "time",
    "host",
    "user",
    "group",
    "window_start",
    "window_end",
    "count",
    "values",
    "value",
    "events",
    "events_omitted",
)

# Columns correlate adds to the rows it shuffles.
_CORR, _KEY, _TIME = "_landwatch_corr", "_landwatch_key", "_landwatch_time"
_ROW = "_landwatch_row"

# ---- the worker side: rules built once per process ------------------------

#: Rules built in this process, by digest (most recently used last).
_cache: "OrderedDict[str, Rules]" = OrderedDict()
_CACHE_SIZE = 8
#: How often this process built each digest's rules (for tests and tuning).
_builds: Dict[str, int] = {}


def _worker_rules(digest: str, recipe: str) -> Rules:
    """The rules of ``recipe``, built the first time this process needs
    them and kept (a few rule sets at most, least recently used dropped)."""
    rules = _cache.get(digest)
    if rules is None:
        rules = Rules.from_recipe(recipe)
        _builds[digest] = _builds.get(digest, 0) + 1
        _cache[digest] = rules
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(digest)
    return rules


def _worker_stats() -> Dict[str, Any]:
    """This process's id and how often it built each rule set."""
    return {"pid": os.getpid(), "builds": dict(_builds)}


# ---- the driver side: arguments and schemas --------------------------------


def _pyspark_types() -> Any:
    try:
        from pyspark.sql import types
    except ImportError as e:  # pragma: no cover - the extra is missing
        raise ImportError("landwatch.spark needs pyspark 4.0 or later: pip install 'landwatch[spark]'") from e
    return types


def _rules(rules: Optional[Rules]) -> Rules:
    if rules is None:
        from ._frame import _default_rules

        return _default_rules()
    if not isinstance(rules, Rules):
        raise TypeError(f"rules: expected landwatch.Rules or None, not {type(rules).__name__}")
    return rules


def _event_columns(
    columns: Sequence[str], column_map: Optional[Mapping[str, Optional[str]]], exclude: Sequence[str] = ()
) -> Tuple[List[str], List[str]]:
    """The columns that make the event, and the field name of each:
    ``column_map`` renames a column, or leaves it out with None."""
    if column_map is not None and not isinstance(column_map, Mapping):
        raise TypeError(f"column_map: expected a dict of column names, not {type(column_map).__name__}")
    column_map = column_map or {}
    unknown = [c for c in column_map if c not in columns]
    if unknown:
        raise ValueError(f"column_map: no column named {unknown[0]!r} in the DataFrame")
    cols, names = [], []
    for c in columns:
        if c in exclude:
            continue
        name = column_map.get(c, c)
        if name is None:
            continue
        if not isinstance(name, str):
            raise TypeError(f"column_map[{c!r}]: expected str or None, not {type(name).__name__}")
        cols.append(c)
        names.append(name)
    return cols, names


def _zones_text(zones: Any) -> Optional[str]:
    """Zones as TOML text, read here (the driver) from a path, so that
    executors need no file."""
    if zones is None:
        return None
    if isinstance(zones, str) and ("\n" in zones or "=" in zones):
        text = zones
    elif isinstance(zones, (str, os.PathLike)):
        with open(zones, encoding="utf-8") as f:
            text = f.read()
    else:
        raise TypeError(f"zones: expected a path, TOML text or None, not {type(zones).__name__}")
    # The scanner takes a str with a newline as TOML text, not a path.
    return text if "\n" in text else text + "\n"


def _field_name(col: Optional[str], columns: Sequence[str], column_map: Optional[Mapping[str, Optional[str]]], arg: str) -> Optional[str]:
    if col is None:
        return None
    if col not in columns:
        raise ValueError(f"{arg}: no column named {col!r} in the DataFrame")
    name = (column_map or {}).get(col, col)
    if name is None:
        raise ValueError(f"{arg}: column {col!r} is left out of the events by column_map")
    return name


def _check_free(names: Sequence[str], taken: Sequence[str], arg: str) -> None:
    clash = [n for n in names if n in taken]
    if clash:
        raise ValueError(f"{arg}: column {clash[0]!r} has the name of a result column; rename it first")


def _evidence_type(T: Any) -> Any:
    return T.ArrayType(
        T.StructType(
            [
                T.StructField("field", T.StringType()),
                T.StructField("pattern", T.StringType()),
                T.StructField("start", T.LongType()),
                T.StructField("end", T.LongType()),
                T.StructField("matched", T.StringType()),
            ]
        )
    )


def _detection_fields(T: Any) -> "List[StructField]":
    return [
        T.StructField("rule", T.StringType()),
        T.StructField("title", T.StringType()),
        T.StructField("level", T.StringType()),
        T.StructField("tags", T.ArrayType(T.StringType())),
        T.StructField("time", T.TimestampType()),
        T.StructField("host", T.StringType()),
        T.StructField("evidence", _evidence_type(T)),
    ]


def _correlation_schema(T: Any, row_type: Any) -> "StructType":
    return T.StructType(
        [
            T.StructField("row", row_type),
            T.StructField("rule", T.StringType()),
            T.StructField("title", T.StringType()),
            T.StructField("level", T.StringType()),
            T.StructField("tags", T.ArrayType(T.StringType())),
            T.StructField("time", T.TimestampType()),
            T.StructField("host", T.StringType()),
            T.StructField("user", T.StringType()),
            T.StructField("group", T.MapType(T.StringType(), T.StringType())),
            T.StructField("window_start", T.TimestampType()),
            T.StructField("window_end", T.TimestampType()),
            T.StructField("count", T.LongType()),
            T.StructField("values", T.ArrayType(T.StringType())),
            T.StructField("value", T.DoubleType()),
            T.StructField("events", T.ArrayType(row_type)),
            T.StructField("events_omitted", T.LongType()),
        ]
    )


# ---- Arrow columns of detections (on the workers) --------------------------

_UTC = "UTC"


def _detection_arrays(pa: Any, found: List[Detection]) -> "List[pyarrow.Array]":
    evidence = pa.list_(
        pa.struct(
            [("field", pa.string()), ("pattern", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("matched", pa.string())]
        )
    )
    return [
        pa.array([d.rule for d in found], pa.string()),
        pa.array([d.title for d in found], pa.string()),
        pa.array([d.level for d in found], pa.string()),
        pa.array([d.tags for d in found], pa.list_(pa.string())),
        pa.array([d.time for d in found], pa.timestamp("us", tz=_UTC)),
        pa.array([d.host for d in found], pa.string()),
        pa.array([d.evidence for d in found], evidence),
    ]


def _scan_batch(
    scanner: Any, batch: "pyarrow.RecordBatch", event_cols: List[str], names: List[str], keep: List[str]
) -> "pyarrow.RecordBatch":
    import pyarrow as pa

    found, _rejected = _landwatch._scan_arrow(scanner, batch.select(event_cols), names, "<spark>", True)
    rows = pa.array([(d.line or 1) - 1 for d in found], pa.int64())
    kept = batch.select(keep).take(rows)
    arrays = list(kept.columns) + _detection_arrays(pa, found)
    return pa.RecordBatch.from_arrays(arrays, names=list(keep) + list(DETECTION_COLUMNS))


# ---- scan -------------------------------------------------------------------


def scan(
    df: "DataFrame",
    rules: Optional[Rules] = None,
    schema: str = "auto",
    column_map: Optional[Mapping[str, Optional[str]]] = None,
    keep: Optional[Sequence[str]] = None,
    *,
    time_col: Optional[str] = None,
) -> "DataFrame":
    """Runs the stateless rules over every row of a Spark DataFrame; one row
    per detection.

    Each row is an event, its columns the event's fields, read as
    ``landwatch.scan_dataframe`` reads a frame's (nulls are absent fields,
    structs objects, timestamps UTC). ``column_map`` renames columns to
    field names, or leaves one out of the event with None (a row id, say).
    ``schema``: as in ``Rules.scanner``. ``time_col``: a column read for the
    event time before the schema's own.

    The result has the ``keep`` columns of the row that made the detection
    (default: all) and then ``rule``, ``title``, ``level``, ``tags``,
    ``time`` (UTC), ``host`` and ``evidence``. Correlations are not run
    here (they need the stream): use ``correlate``. Lazy, like any
    transformation: nothing runs until the result is used.
    """
    T = _pyspark_types()
    rules = _rules(rules)
    recipe, digest = rules.recipe(), rules.digest
    columns = list(df.columns)
    event_cols, names = _event_columns(columns, column_map)
    time_field = _field_name(time_col, columns, column_map, "time_col")
    keep_cols = list(columns) if keep is None else list(keep)
    for c in keep_cols:
        if c not in columns:
            raise ValueError(f"keep: no column named {c!r} in the DataFrame")
    _check_free(keep_cols, DETECTION_COLUMNS, "keep")
    # Bad options fail here, not in a task.
    rules.scanner(schema=schema, time_field=time_field)
    out = T.StructType([df.schema[c] for c in keep_cols] + _detection_fields(T))

    def run(batches: Iterator["pyarrow.RecordBatch"]) -> Iterator["pyarrow.RecordBatch"]:
        scanner = _worker_rules(digest, recipe).scanner(schema=schema, time_field=time_field)
        for batch in batches:
            yield _scan_batch(scanner, batch, event_cols, names, keep_cols)

    return df.mapInArrow(run, out)


# ---- correlate --------------------------------------------------------------


def _keyed_batch(
    scanner: Any, batch: "pyarrow.RecordBatch", event_cols: List[str], names: List[str], row_col: str
) -> "pyarrow.RecordBatch":
    """One row per (event, group it feeds), with the group and the time."""
    import pyarrow as pa

    (rows, corrs, keys, times), _rejected = _landwatch._group_keys_arrow(scanner, batch.select(event_cols), names)
    taken = batch.select(event_cols + [row_col]).take(pa.array(rows, pa.int64()))
    arrays = list(taken.columns) + [pa.array(corrs, pa.int32()), pa.array(keys, pa.string()), pa.array(times, pa.int64())]
    return pa.RecordBatch.from_arrays(arrays, names=event_cols + [row_col, _CORR, _KEY, _TIME])


def _group_table(
    scanner: Any, table: "pyarrow.Table", event_cols: List[str], names: List[str], row_col: str, start: Optional[int]
) -> "pyarrow.Table":
    """One group's events correlated apart: its detections, rows as ids."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out_names = list(CORRELATION_COLUMNS)
    ids_type = table.schema.field(row_col).type
    if table.num_rows == 0:
        return _empty_correlations(pa, ids_type)
    corr = table.column(_CORR)[0].as_py()
    key = table.column(_KEY)[0].as_py()
    # The order one scanner of the whole stream processes them in: event
    # time, then stream order.
    order = pc.sort_indices(table, sort_keys=[(_TIME, "ascending"), (row_col, "ascending")])
    table = table.take(order)
    found = _landwatch._scan_group_arrow(scanner, table.select(event_cols), names, "<group>", corr, key, start)
    ids = table.column(row_col).combine_chunks()
    row = ids.take(pa.array([(d.line or 1) - 1 for d in found], pa.int64()))
    offsets, flat = [0], []
    for d in found:
        for e in d.events or []:
            flat.append((e["line"] or 1) - 1)
        offsets.append(len(flat))
    events = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), ids.take(pa.array(flat, pa.int64())))
    windows = [d.window for d in found]
    ts = pa.timestamp("us", tz=_UTC)
    arrays = [
        row,
        pa.array([d.rule for d in found], pa.string()),
        pa.array([d.title for d in found], pa.string()),
        pa.array([d.level for d in found], pa.string()),
        pa.array([d.tags for d in found], pa.list_(pa.string())),
        pa.array([d.time for d in found], ts),
        pa.array([d.host for d in found], pa.string()),
        pa.array([d.user for d in found], pa.string()),
        pa.array([list((d.group or {}).items()) for d in found], pa.map_(pa.string(), pa.string())),
        pa.array([w["start"] if w else None for w in windows], ts),
        pa.array([w["end"] if w else None for w in windows], ts),
        pa.array([d.count for d in found], pa.int64()),
        pa.array([d.values for d in found], pa.list_(pa.string())),
        pa.array([d.value for d in found], pa.float64()),
        events,
        pa.array([d.events_omitted for d in found], pa.int64()),
    ]
    return pa.Table.from_arrays(arrays, names=out_names)


def _empty_correlations(pa: Any, ids_type: Any) -> "pyarrow.Table":
    ts = pa.timestamp("us", tz=_UTC)
    types = [
        ids_type, pa.string(), pa.string(), pa.string(), pa.list_(pa.string()), ts, pa.string(), pa.string(),
        pa.map_(pa.string(), pa.string()), ts, ts, pa.int64(), pa.list_(pa.string()), pa.float64(),
        pa.list_(ids_type), pa.int64(),
    ]
    return pa.schema(list(zip(CORRELATION_COLUMNS, types))).empty_table()


def correlate(
    df: "DataFrame",
    rules: Optional[Rules] = None,
    time_col: Optional[str] = None,
    zones: Union[str, "os.PathLike[str]", None] = None,
    *,
    row_col: Optional[str] = None,
    schema: str = "auto",
    column_map: Optional[Mapping[str, Optional[str]]] = None,
    max_events: int = 32,
) -> "DataFrame":
    """Runs the correlations over a Spark DataFrame of events as one stream;
    one row per correlated detection, equal to what one ``Scanner`` over
    all the rows gives.

    Each event is sent to every group (correlation and group key) it feeds,
    the key computed by the engine as the scanner computes it; each group's
    events are then correlated apart, sorted by event time and, for equal
    times, by ``row_col``. A correlation without group keys is one group:
    all its events go to one task. The result equals one scanner's over the
    rows in ``row_col`` order when that scanner would drop nothing: no event
    later than its lateness (``stats()["late"]`` 0), none released early or
    evicted past its caps, and no event without a readable time taking the
    one before's. docs/spark.md says why.

    ``time_col``: a column read for the event time before the schema's own.
    ``zones``: as in ``Rules.scanner`` (a path or TOML text, read here and
    shipped as text). ``row_col``: a column naming each row, in stream order
    (a line number, an offset): ``row`` and ``events`` of the result hold its
    values, and it is no field of the event. Without it, rows are numbered
    with ``monotonically_increasing_id()`` as the DataFrame reads them.
    ``schema``, ``column_map``, ``max_events``: as in ``scan`` and
    ``Rules.scanner``. With a first-seen correlation among the rules, one
    more job first finds where the stream starts (its learning period
    counts from there): the rules are matched twice.
    """
    T = _pyspark_types()
    from pyspark.sql import functions as F

    rules = _rules(rules)
    recipe, digest = rules.recipe(), rules.digest
    zones_text = _zones_text(zones)
    if row_col is None:
        df = df.withColumn(_ROW, F.monotonically_increasing_id())
        row_col = _ROW
    elif row_col not in df.columns:
        raise ValueError(f"row_col: no column named {row_col!r} in the DataFrame")
    columns = list(df.columns)
    event_cols, names = _event_columns(columns, column_map, exclude=[row_col])
    _check_free(event_cols + [row_col], (_CORR, _KEY, _TIME), "df")
    time_field = _field_name(time_col, columns, column_map, "time_col")
    rules.scanner(schema=schema, zones=zones_text, time_field=time_field, max_events=max_events)
    row_type = df.schema[row_col].dataType
    out = _correlation_schema(T, row_type)
    if rules.correlations == 0:
        return df.sparkSession.createDataFrame([], out)

    def explode(batches: Iterator["pyarrow.RecordBatch"]) -> Iterator["pyarrow.RecordBatch"]:
        scanner = _worker_rules(digest, recipe).scanner(schema=schema, time_field=time_field)
        for batch in batches:
            yield _keyed_batch(scanner, batch, event_cols, names, row_col)

    keyed_schema = T.StructType(
        [df.schema[c] for c in event_cols + [row_col]]
        + [T.StructField(_CORR, T.IntegerType()), T.StructField(_KEY, T.StringType()), T.StructField(_TIME, T.LongType())]
    )
    keyed = df.select(*event_cols, row_col).mapInArrow(explode, keyed_schema)
    start: Optional[int] = None
    if rules._first_seen():
        first = keyed.agg(F.min(_TIME)).first()
        start = None if first is None else first[0]

    def run(table: "pyarrow.Table") -> "pyarrow.Table":
        scanner = _worker_rules(digest, recipe).scanner(
            schema=schema,
            zones=zones_text,
            lateness=0,
            time_field=time_field,
            max_events=max_events,
        )
        return _group_table(scanner, table, event_cols, names, row_col, start)

    return keyed.groupBy(_CORR, _KEY).applyInArrow(run, out)
