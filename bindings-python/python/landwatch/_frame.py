"""DataFrames in, DataFrames out: ``scan_dataframe`` and the ``landwatch``
accessors of pandas and polars.

Each row of a frame is one event. The rows reach the Rust side in bulk:
through the Arrow C stream interface when the frame has one (polars
always; pandas when pyarrow is installed), else as one Python list per
column. Either way the Rust side writes each row as the JSON object the
scanner reads and scans it with the GIL released; nothing here looks at
what an event says.

pandas and polars are optional: ``import landwatch`` registers the
accessors of whichever is installed (importing it), and this module needs
neither otherwise.
"""

from __future__ import annotations

import html
import itertools
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _landwatch
from ._landwatch import Detection, Rules, Scanner, decode_command_line, normalize_command_line

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars

#: The columns of a detections frame, in order.
COLUMNS = (
    "row",
    "rule",
    "title",
    "level",
    "kind",
    "tags",
    "time",
    "host",
    "user",
    "event_id",
    "evidence",
    "group",
    "events",
)

_builtin: Optional[Rules] = None

# Each scan_dataframe call names its rows' source uniquely, so that a
# correlation spanning two frames (one Scanner) maps back only the events
# of the frame at hand.
_calls = itertools.count(1)


def _default_rules() -> Rules:
    # Compiled once per process: Rules are immutable, so sharing is safe.
    global _builtin
    if _builtin is None:
        _builtin = _landwatch.builtin()
    return _builtin


def _library(df: Any) -> str:
    """Which library a frame comes from: 'pandas', 'polars' or 'arrow'."""
    top = type(df).__module__.split(".", 1)[0]
    if top == "pandas" and hasattr(df, "columns") and hasattr(df, "index"):
        if not hasattr(df, "iloc") or getattr(df, "ndim", 2) != 2:
            raise TypeError(f"df: expected a DataFrame, not a pandas {type(df).__name__}")
        return "pandas"
    if top == "polars":
        if type(df).__name__ == "LazyFrame":
            raise TypeError("df: a polars LazyFrame; collect() it first")
        if type(df).__name__ != "DataFrame":
            raise TypeError(f"df: expected a DataFrame, not a polars {type(df).__name__}")
        return "polars"
    if hasattr(df, "__arrow_c_stream__"):
        return "arrow"
    raise TypeError(
        f"df: expected a pandas or polars DataFrame (or an Arrow table), not {type(df).__name__}"
    )


def _names(columns: Sequence[Any], column_map: Optional[Mapping[str, str]]) -> List[str]:
    if column_map is not None and not isinstance(column_map, Mapping):
        raise TypeError(f"column_map: expected a dict of column names, not {type(column_map).__name__}")
    out = []
    for c in columns:
        name = c if isinstance(c, str) else str(c)
        if column_map is not None:
            new = column_map.get(name, name)
            if not isinstance(new, str):
                raise TypeError(f"column_map['{name}']: expected str, not {type(new).__name__}")
            name = new
        out.append(name)
    return out


def _scanner(
    rules: Union[Rules, Scanner, None],
    schema: Optional[str],
    zones: Any,
    lateness: Any,
    time_field: Optional[str],
) -> Scanner:
    if isinstance(rules, Scanner):
        if zones is not None or lateness is not None or time_field is not None or schema not in (None, "auto"):
            raise ValueError(
                "rules: a Scanner comes with its own schema, zones, lateness and time_field; do not pass them"
            )
        return rules
    if rules is None:
        rules = _default_rules()
    if not isinstance(rules, Rules):
        raise TypeError(f"rules: expected landwatch.Rules, a Scanner or None, not {type(rules).__name__}")
    return rules.scanner(schema=schema, zones=zones, lateness=lateness, time_field=time_field)


def _scan_pandas(
    scanner: Scanner, df: "pandas.DataFrame", names: List[str], source: str
) -> Tuple[List[Detection], List[Tuple[int, str]]]:
    try:
        import pyarrow
    except ImportError:
        pyarrow = None
    if pyarrow is not None:
        try:
            table = pyarrow.Table.from_pandas(df, preserve_index=False)
        except (pyarrow.ArrowException, ValueError, TypeError):
            # Object columns pyarrow cannot type (mixed values, say): the
            # columns path reads each value as scan(dict) would.
            table = None
        if table is not None:
            return _landwatch._scan_arrow(scanner, table, names, source)
    columns = [df.iloc[:, i] for i in range(df.shape[1])]
    return _landwatch._scan_columns(
        scanner,
        names,
        [c.tolist() for c in columns],
        [c.isna().tolist() for c in columns],
        source,
    )


def scan_dataframe(
    df: Any,
    rules: Union[Rules, Scanner, None] = None,
    schema: Optional[str] = "auto",
    column_map: Optional[Mapping[str, str]] = None,
    *,
    zones: Any = None,
    lateness: Any = None,
    time_field: Optional[str] = None,
    flush: bool = True,
) -> Any:
    """Scans every row of a DataFrame as one event; returns a frame with
    one row per detection.

    ``df``: a pandas or polars DataFrame (or anything with
    ``__arrow_c_stream__``, such as a pyarrow Table). Its columns are the
    event's fields, named as in the JSON events (``CommandLine``,
    ``EventID``, ``Computer``...; ``column_map`` renames them). A frame may
    mix schemas, Sysmon and Security rows side by side: a missing value
    (None, NaN, pd.NA, NaT, a polars null) is an absent field, never the
    text 'nan'. Numbers, booleans and timestamps are read as the JSON path
    reads them (a float with an integer value as that integer, timestamps
    as UTC). A column name with dots (``Event.System.Computer``, as
    ``pandas.json_normalize`` writes them) is a path into nested objects.

    ``rules``: the rules (default: the built-in pack), or a Scanner to go
    on with its stream (and its options). ``schema``, ``zones``,
    ``lateness``, ``time_field``: as in ``Rules.scanner``. The rows are one
    stream in frame order, so correlations run across them; ``flush``
    (default) ends the stream so that the correlations still waiting come
    out too.

    The result has the columns ``row`` (the index label of the row that
    made the detection; for polars, the row number), ``rule``, ``title``,
    ``level``, ``kind``, ``tags``, ``time`` (UTC), ``host``, ``user``,
    ``event_id``, ``evidence``, ``group`` and ``events`` (the rows of a
    correlation's events). A polars frame in gives a polars frame out;
    anything else a pandas one, whose ``attrs["landwatch"]`` holds the
    rows scanned, the rows rejected (with why) and the scanner's stats.
    A row with a cell no event can hold (an object column holding a set,
    say) is rejected: counted there with the reason, not raised, like a
    malformed line of a file. An Arrow column of a type no event holds
    (durations, say) raises TypeError naming it. Sort a frame by event
    time first: rows later than the lateness behind the newest are counted
    as ``late`` in the stats and left out of correlations.
    """
    library = _library(df)
    scanner = _scanner(rules, schema, zones, lateness, time_field)
    if not isinstance(flush, bool):
        raise TypeError(f"flush: expected bool, not {type(flush).__name__}")
    source = f"<dataframe {next(_calls)}>"
    if library == "polars":
        names = _names(df.columns, column_map)
        found, rejected = _landwatch._scan_arrow(scanner, df, names, source)
        rows = df.height
    elif library == "pandas":
        names = _names(list(df.columns), column_map)
        found, rejected = _scan_pandas(scanner, df, names, source)
        rows = len(df.index)
    else:
        columns = getattr(df, "column_names", None)
        if columns is None and hasattr(df, "schema"):
            columns = getattr(df.schema, "names", None)
        if column_map is not None and columns is None:
            raise TypeError("column_map: the column names of this Arrow object are unknown; rename them first")
        names_or_none = _names(columns, column_map) if columns is not None else None
        found, rejected = _landwatch._scan_arrow(scanner, df, names_or_none, source)
        rows = getattr(df, "num_rows", None)
    if flush:
        found.extend(scanner.flush())
    if library == "polars":
        return _polars_frame(found, source)
    import pandas as pd

    labels = df.index if library == "pandas" else None
    out = _pandas_frame(pd, found, source, labels)
    out.attrs["landwatch"] = {
        "rows": rows,
        "rejected": [(labels[r] if labels is not None else r, why) for r, why in rejected],
        "stats": scanner.stats(),
    }
    return out


def _label(labels: Any, file: Optional[str], line: Optional[int], source: str) -> Any:
    """The row an event of this scan is: its index label (pandas) or
    number; None for an event the scanner read elsewhere (an earlier frame
    or file given to the same Scanner)."""
    if file != source or line is None or line < 1:
        return None
    return labels[line - 1] if labels is not None else line - 1


def _row(d: Detection, labels: Any, source: str) -> Any:
    return _label(labels, d.file, d.line, source)


def _event_rows(d: Detection, labels: Any, source: str) -> Optional[List[Any]]:
    events = d.events
    if events is None:
        return None
    return [_label(labels, e["file"], e["line"], source) for e in events]


def _columns(found: List[Detection], labels: Any, source: str) -> Dict[str, List[Any]]:
    """The detections as the result's columns, one list per column."""
    data: Dict[str, List[Any]] = {c: [] for c in COLUMNS}
    for d in found:
        data["row"].append(_row(d, labels, source))
        data["rule"].append(d.rule)
        data["title"].append(d.title)
        data["level"].append(d.level)
        data["kind"].append(d.kind)
        data["tags"].append(d.tags)
        data["time"].append(d.time)
        data["host"].append(d.host)
        data["user"].append(d.user)
        data["event_id"].append(d.event_id)
        data["evidence"].append(d.evidence)
        data["group"].append(d.group)
        data["events"].append(_event_rows(d, labels, source))
    return data


def _pandas_frame(pd: Any, found: List[Detection], source: str, labels: Any) -> "pandas.DataFrame":
    data = _columns(found, labels, source)
    frame = _frame_class(pd)({c: pd.Series(v, dtype=object) for c, v in data.items()})
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["event_id"] = pd.array(data["event_id"], dtype="Int64")
    return frame


def _polars_frame(found: List[Detection], source: str) -> "polars.DataFrame":
    import polars as pl

    evidence = pl.List(
        pl.Struct({"field": pl.String, "pattern": pl.String, "start": pl.Int64, "end": pl.Int64, "matched": pl.String})
    )
    schema = {
        "row": pl.Int64,
        "rule": pl.String,
        "title": pl.String,
        "level": pl.String,
        "kind": pl.String,
        "tags": pl.List(pl.String),
        "time": pl.Datetime("us", "UTC"),
        "host": pl.String,
        "user": pl.String,
        "event_id": pl.Int64,
        "evidence": evidence,
        "group": pl.List(pl.Struct({"key": pl.String, "value": pl.String})),
        "events": pl.List(pl.Int64),
    }
    data = _columns(found, None, source)
    # polars structs have fixed fields: a group's keys become key/value pairs.
    data["group"] = [None if g is None else [{"key": k, "value": v} for k, v in g.items()] for g in data["group"]]
    return pl.DataFrame(data, schema=schema)


# The colours of Detection._repr_html_.
_LEVEL_STYLE = {
    "critical": ("#a50e0e", "#ffffff"),
    "high": ("#e8590c", "#ffffff"),
    "medium": ("#f2c200", "#000000"),
    "low": ("#2f9e44", "#ffffff"),
    "informational": ("#adb5bd", "#000000"),
}


def _cell_html(column: str, value: Any) -> str:
    if column == "level" and value in _LEVEL_STYLE:
        bg, fg = _LEVEL_STYLE[value]
        return f'<span style="background:{bg};color:{fg};padding:0 6px;border-radius:3px">{value}</span>'
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if column == "evidence" and isinstance(value, list):
        return "<br>".join(html.escape(f"{e['field']}: {e['matched']}") for e in value)
    if isinstance(value, dict):
        return html.escape(", ".join(f"{k}={v}" for k, v in value.items()))
    if isinstance(value, list):
        return html.escape(", ".join(str(v) for v in value))
    text = str(value)
    if len(text) > 200:
        text = text[:200] + "\u2026"
    return html.escape(text)


def detections_html(frame: Any, max_rows: int = 60) -> str:
    """A detections frame as a compact HTML table, the level coloured
    (what Jupyter shows for the frames ``scan_dataframe`` returns)."""
    n = len(frame)
    columns = [str(c) for c in frame.columns]
    if n > max_rows:
        half = max_rows // 2
        parts = [frame.iloc[:half], None, frame.iloc[n - half :]]
    else:
        parts = [frame]
    out = ['<table class="landwatch-detections" style="font-size:90%">', "<thead><tr><th></th>"]
    out.extend(f"<th>{html.escape(c)}</th>" for c in columns)
    out.append("</tr></thead><tbody>")
    for part in parts:
        if part is None:
            out.append(f'<tr><td colspan="{len(columns) + 1}">\u2026 {n - 2 * (max_rows // 2)} more</td></tr>')
            continue
        for label, row in zip(part.index, part.itertuples(index=False, name=None)):
            out.append(f"<tr><th>{html.escape(str(label))}</th>")
            out.extend(f"<td>{_cell_html(c, v)}</td>" for c, v in zip(columns, row))
            out.append("</tr>")
    out.append(f"</tbody></table><p>{n} detections</p>")
    return "".join(out)


_frame_classes: Dict[int, Any] = {}


def _frame_class(pd: Any) -> Any:
    """DetectionFrame: a pandas DataFrame that Jupyter shows with the
    level coloured (made once, when pandas is first used)."""
    cls = _frame_classes.get(id(pd))
    if cls is not None:
        return cls

    class DetectionFrame(pd.DataFrame):  # type: ignore[misc, name-defined]
        """The detections of ``scan_dataframe``: a pandas DataFrame, shown
        in Jupyter as a compact table with the level coloured."""

        @property
        def _constructor(self) -> Any:
            return DetectionFrame

        def _repr_html_(self) -> Optional[str]:
            if "level" not in self.columns or "rule" not in self.columns:
                return super()._repr_html_()  # type: ignore[no-any-return]
            return detections_html(self, max_rows=pd.get_option("display.max_rows") or 60)

    # Importable as landwatch._frame.DetectionFrame (see __getattr__), so
    # that the frames pickle, and unpickle in a fresh process.
    DetectionFrame.__module__ = __name__
    DetectionFrame.__qualname__ = "DetectionFrame"
    _frame_classes[id(pd)] = DetectionFrame
    return DetectionFrame


def __getattr__(name: str) -> Any:
    # DetectionFrame exists once pandas is imported; made on first use.
    if name == "DetectionFrame":
        import pandas as pd

        return _frame_class(pd)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _normalize_list(values: Sequence[Any], fn: Any) -> List[Any]:
    return [None if v is None or (isinstance(v, float) and v != v) else fn(v) for v in values]


# The libraries whose accessors are registered (once: registering again
# would only warn that it overrides them).
_registered: Dict[str, bool] = {}


def register_pandas() -> bool:
    """Registers ``df.landwatch`` and ``series.landwatch`` on pandas, when
    it is installed; False when it is not. ``import landwatch`` calls it."""
    if "pandas" in _registered:
        return _registered["pandas"]
    try:
        import pandas as pd
    except ImportError:
        _registered["pandas"] = False
        return False
    _registered["pandas"] = True

    @pd.api.extensions.register_dataframe_accessor("landwatch")
    class LandwatchFrameAccessor:
        """``df.landwatch.scan(...)``: ``landwatch.scan_dataframe(df, ...)``."""

        def __init__(self, df: Any) -> None:
            self._df = df

        def scan(self, rules: Union[Rules, Scanner, None] = None, **kwargs: Any) -> Any:
            """Scans each row as an event; see ``landwatch.scan_dataframe``."""
            return scan_dataframe(self._df, rules, **kwargs)

    @pd.api.extensions.register_series_accessor("landwatch")
    class LandwatchSeriesAccessor:
        """``series.landwatch.normalize()`` and ``.decode()`` for command lines."""

        def __init__(self, series: Any) -> None:
            self._s = series

        def normalize(self) -> Any:
            """The normal form of each command line (what rules match),
            missing values left missing."""
            return self._s.map(normalize_command_line, na_action="ignore")

        def decode(self) -> Any:
            """Each command line's decoded -EncodedCommand payloads (None
            where there are none)."""
            return self._s.map(decode_command_line, na_action="ignore")

    return True


def register_polars() -> bool:
    """Registers ``df.landwatch`` and ``series.landwatch`` on polars, when
    it is installed; False when it is not. ``import landwatch`` calls it."""
    if "polars" in _registered:
        return _registered["polars"]
    try:
        import polars as pl
    except ImportError:
        _registered["polars"] = False
        return False
    _registered["polars"] = True

    @pl.api.register_dataframe_namespace("landwatch")
    class LandwatchFrameNamespace:
        """``df.landwatch.scan(...)``: ``landwatch.scan_dataframe(df, ...)``."""

        def __init__(self, df: Any) -> None:
            self._df = df

        def scan(self, rules: Union[Rules, Scanner, None] = None, **kwargs: Any) -> Any:
            """Scans each row as an event; see ``landwatch.scan_dataframe``."""
            return scan_dataframe(self._df, rules, **kwargs)

    @pl.api.register_series_namespace("landwatch")
    class LandwatchSeriesNamespace:
        """``series.landwatch.normalize()`` and ``.decode()`` for command lines."""

        def __init__(self, series: Any) -> None:
            self._s = series

        def normalize(self) -> Any:
            """The normal form of each command line, nulls left null."""
            return pl.Series(self._s.name, _normalize_list(self._s.to_list(), normalize_command_line), dtype=pl.String)

        def decode(self) -> Any:
            """Each command line's decoded -EncodedCommand payloads."""
            return pl.Series(self._s.name, _normalize_list(self._s.to_list(), decode_command_line), dtype=pl.String)

    return True
