"""landwatch: detect living-off-the-land tool abuse and credential misuse
in Windows event streams.

A thin layer over the Rust library: ``compile``, ``builtin`` and ``load``
give ``Rules``; ``Rules.scanner()`` gives a ``Scanner`` for one stream;
``Scanner.scan`` (one event), ``scan_jsonl`` and ``scan_evtx`` (files) give
``Detection`` objects; ``scan_dataframe`` (and the ``landwatch`` accessor
of pandas and polars frames) scans a DataFrame's rows. The stubs (``__init__.pyi``) give the whole API
with types; every object has its docstring.
"""

from ._landwatch import (
    Detection,
    EventError,
    InternalError,
    LandwatchError,
    RuleError,
    Rules,
    ScanIter,
    Scanner,
    StateError,
    __version__,
    builtin,
    compile,
    decode_command_line,
    load,
    normalize_command_line,
)

from ._frame import detections_html, register_pandas, register_polars, scan_dataframe

# The `landwatch` accessors of pandas and polars frames and series, for
# whichever of the two is installed (neither is required).
register_pandas()
register_polars()

__all__ = [
    "Detection",
    "EventError",
    "InternalError",
    "LandwatchError",
    "RuleError",
    "Rules",
    "ScanIter",
    "Scanner",
    "StateError",
    "__version__",
    "builtin",
    "compile",
    "decode_command_line",
    "detections_html",
    "load",
    "normalize_command_line",
    "scan_dataframe",
]
