"""Type stubs of landwatch (the extension module ``landwatch._landwatch``)."""

import os
from datetime import date, datetime
from typing import (
    IO,
    Any,
    Dict,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    TypedDict,
    Union,
)

# The aliases and TypedDicts below exist for type checkers only (import
# them under `if typing.TYPE_CHECKING:`); at run time the dicts are dicts.

__version__: str

_Level = Literal["informational", "low", "medium", "high", "critical"]
_Kind = Literal["stateless", "correlation"]
_Schema = Literal["auto", "sysmon", "security", "ecs", "evtx"]
_TimeMissing = Literal["skip", "previous"]
_Path = Union[str, "os.PathLike[str]"]
# A value of a dict event: what json.dumps writes, and dates (ISO 8601).
_JsonValue = Union[
    str, int, float, bool, None, date, datetime, Mapping[str, Any], Sequence[Any]
]
_Lateness = Union[str, int, float]

class RuleErrorInfo(TypedDict):
    message: str
    file: str
    line: int
    column: int
    rule: Optional[str]

class RuleInfo(TypedDict):
    id: str
    title: str
    level: _Level
    tags: List[str]
    kind: _Kind
    description: Optional[str]
    references: List[str]
    reports: bool
    on: str
    file: str
    line: int

class Rejection(TypedDict):
    file: str
    line: int
    rule: Optional[str]
    reason: str

class Evidence(TypedDict):
    field: str
    pattern: str
    start: int
    end: int
    matched: str

class Window(TypedDict):
    start: datetime
    end: datetime

class EventRef(TypedDict):
    file: Optional[str]
    line: Optional[int]
    record: Optional[int]
    time: datetime

class ReadError(TypedDict):
    file: Optional[str]
    line: int
    reason: str
    message: str

class Stats(TypedDict):
    read: int
    scanned: int
    rejected_by_reason: Dict[str, int]
    correlated: int
    detections_by_rule: Dict[str, int]
    detections_by_level: Dict[str, int]
    events: int
    rejected: int
    detections: int
    evaluations: int
    no_time: int
    late: int
    no_value: int
    expired: int
    evicted: int
    forced: int
    groups: int
    state_bytes: int
    pending: int

class LandwatchError(Exception):
    """The base of every exception landwatch raises."""

class RuleError(LandwatchError):
    """Rules that do not compile; the first error's position, and every error."""

    message: Optional[str]
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    rule: Optional[str]
    errors: List[RuleErrorInfo]

class EventError(LandwatchError):
    """An event that cannot be read; ``reason`` is a short stable name."""

    reason: str

class StateError(LandwatchError):
    """Saved scanner state that cannot be restored."""

class InternalError(LandwatchError):
    """A bug in landwatch: a panic caught at the boundary."""

class Detection:
    """One rule matching one event, or one correlation completed by one event."""

    @property
    def rule(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def level(self) -> _Level: ...
    @property
    def tags(self) -> List[str]: ...
    @property
    def kind(self) -> _Kind: ...
    @property
    def event(self) -> int: ...
    @property
    def file(self) -> Optional[str]: ...
    @property
    def line(self) -> Optional[int]: ...
    @property
    def time(self) -> Optional[datetime]: ...
    @property
    def host(self) -> Optional[str]: ...
    @property
    def user(self) -> Optional[str]: ...
    @property
    def channel(self) -> Optional[str]: ...
    @property
    def event_id(self) -> Optional[int]: ...
    @property
    def record(self) -> Optional[int]: ...
    @property
    def evidence(self) -> List[Evidence]: ...
    @property
    def group(self) -> Optional[Dict[str, str]]: ...
    @property
    def window(self) -> Optional[Window]: ...
    @property
    def count(self) -> Optional[int]: ...
    @property
    def values(self) -> Optional[List[str]]: ...
    @property
    def value(self) -> Optional[float]: ...
    @property
    def events(self) -> Optional[List[EventRef]]: ...
    @property
    def events_omitted(self) -> Optional[int]: ...
    def to_dict(self) -> Dict[str, Any]:
        """The keys of ``landwatch scan --format jsonl``, times as datetimes."""
    def _repr_html_(self) -> str: ...

class ScanIter(Iterator[Detection]):
    """Detections of one file, read and scanned as the iterator advances."""

    def __iter__(self) -> "ScanIter": ...
    def __next__(self) -> Detection: ...
    @property
    def errors(self) -> List[ReadError]: ...
    @property
    def error_count(self) -> int: ...

class Scanner:
    """One stream of events against shared rules, with its correlation state."""

    def scan(
        self,
        event: Union[Mapping[str, _JsonValue], str, bytes, bytearray],
        *,
        file: Optional[str] = None,
        line: Optional[int] = None,
    ) -> List[Detection]:
        """One event (dict, JSON str or bytes) -> the detections it completes."""
    def scan_jsonl(self, source: Union[_Path, IO[str], IO[bytes]]) -> ScanIter:
        """JSON Lines, a JSON array or concatenated objects -> detections."""
    def scan_evtx(self, source: Union[_Path, IO[bytes]]) -> ScanIter:
        """A Windows .evtx file -> detections."""
    def flush(self) -> List[Detection]:
        """Ends the stream: what the events still waiting complete."""
    def stats(self) -> Stats: ...
    def save(self) -> bytes:
        """The correlation state, for ``Scanner.restore``."""
    @staticmethod
    def restore(
        rules: "Rules",
        data: bytes,
        schema: Optional[_Schema] = "auto",
        zones: Optional[Union[_Path, str]] = None,
        lateness: Optional[_Lateness] = "60s",
        *,
        time_field: Optional[str] = None,
        time_missing: Optional[_TimeMissing] = "skip",
        ordered: bool = False,
        max_events: int = 32,
    ) -> "Scanner":
        """A scanner going on from saved state; StateError when it cannot."""
    @property
    def rules(self) -> "Rules": ...

class Rules:
    """A compiled, immutable rule set, shared by scanners and threads."""

    def ids(self) -> List[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: str) -> bool: ...
    def info(self, id: str) -> RuleInfo: ...
    @property
    def correlations(self) -> int: ...
    @property
    def rejected(self) -> List[Rejection]: ...
    @property
    def sigma_loaded(self) -> int: ...
    def recipe(self) -> str:
        """The texts and options these rules were built from, as canonical JSON."""
    @property
    def digest(self) -> str:
        """The SHA-256 of ``recipe()`` in hex: names the rule set."""
    @staticmethod
    def from_recipe(recipe: Union[str, bytes]) -> "Rules":
        """The rules a recipe builds; ValueError for another version's."""
    def _correlation_ids(self) -> List[str]: ...
    def _first_seen(self) -> List[str]: ...
    def scanner(
        self,
        schema: Optional[_Schema] = "auto",
        zones: Optional[Union[_Path, str]] = None,
        lateness: Optional[_Lateness] = "60s",
        *,
        time_field: Optional[str] = None,
        time_missing: Optional[_TimeMissing] = "skip",
        ordered: bool = False,
        max_events: int = 32,
    ) -> Scanner:
        """A scanner over these rules: one stream, with its correlation state."""
    def _repr_html_(self) -> str: ...

def compile(source: str, name: str = "<string>") -> Rules:
    """Rule-language text -> Rules; RuleError with positions."""

def builtin() -> Rules:
    """The built-in rule pack."""

def load(
    paths: Optional[Union[_Path, Sequence[_Path]]] = None,
    sigma: Optional[Union[_Path, Sequence[_Path]]] = None,
    builtin: bool = True,
    normalize: bool = False,
    *,
    strict: bool = False,
) -> Rules:
    """Rules from files and directories (``*.lw``; Sigma ``*.yml``)."""

def normalize_command_line(text: str) -> str:
    """A command line in the normal form rules match against."""

def decode_command_line(text: str) -> Optional[str]:
    """The decoded PowerShell -EncodedCommand payloads, or None."""

# DataFrames (pandas and polars are optional, so frames are typed Any).
def scan_dataframe(
    df: Any,
    rules: Optional[Union[Rules, Scanner]] = None,
    schema: Optional[_Schema] = "auto",
    column_map: Optional[Mapping[str, str]] = None,
    *,
    zones: Optional[Union[_Path, str]] = None,
    lateness: Optional[_Lateness] = None,
    time_field: Optional[str] = None,
    flush: bool = True,
) -> Any:
    """Each row an event -> a frame of detections (pandas, or polars for polars)."""

def detections_html(frame: Any, max_rows: int = 60) -> str:
    """A detections frame as a compact HTML table, the level coloured."""

def register_pandas() -> bool:
    """Registers the ``landwatch`` accessors on pandas; False without pandas."""

def register_polars() -> bool:
    """Registers the ``landwatch`` namespaces on polars; False without polars."""
