"""landwatch: detect living-off-the-land tool abuse and credential misuse
in Windows event streams.

A thin layer over the Rust library: ``compile``, ``builtin`` and ``load``
give ``Rules``; ``Rules.scanner()`` gives a ``Scanner`` for one stream;
``Scanner.scan`` (one event), ``scan_jsonl`` and ``scan_evtx`` (files) give
``Detection`` objects. The stubs (``__init__.pyi``) give the whole API
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

# The DataFrame functions (scan_dataframe, the pandas accessor) go in a
# module of their own beside this one and are re-exported here.

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
    "load",
    "normalize_command_line",
]
