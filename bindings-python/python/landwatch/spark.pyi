"""Type stubs of landwatch.spark (needs pyspark 4.0 or later)."""

import os
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from pyspark.sql import DataFrame

from . import Rules, _Schema

DETECTION_COLUMNS: Tuple[str, ...]
CORRELATION_COLUMNS: Tuple[str, ...]

def scan(
    df: DataFrame,
    rules: Optional[Rules] = None,
    schema: _Schema = "auto",
    column_map: Optional[Mapping[str, Optional[str]]] = None,
    keep: Optional[Sequence[str]] = None,
    *,
    time_col: Optional[str] = None,
) -> DataFrame:
    """Stateless rules over every row: one row per detection, the ``keep``
    columns then rule, title, level, tags, time, host, evidence."""

def correlate(
    df: DataFrame,
    rules: Optional[Rules] = None,
    time_col: Optional[str] = None,
    zones: Union[str, "os.PathLike[str]", None] = None,
    *,
    row_col: Optional[str] = None,
    schema: _Schema = "auto",
    column_map: Optional[Mapping[str, Optional[str]]] = None,
    max_events: int = 32,
) -> DataFrame:
    """The correlations over every row as one stream, split by group key:
    one row per correlated detection, as one Scanner gives them."""

def _worker_stats() -> Dict[str, Any]: ...
