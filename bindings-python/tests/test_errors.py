"""The exception hierarchy, and panics turned into InternalError."""

import threading
from typing import List

import pytest

import landwatch


def test_hierarchy() -> None:
    for e in (landwatch.RuleError, landwatch.EventError, landwatch.StateError, landwatch.InternalError):
        assert issubclass(e, landwatch.LandwatchError)
        assert issubclass(e, Exception)
        assert e.__module__ == "landwatch"
        assert e.__doc__


def test_a_panic_becomes_internal_error() -> None:
    with pytest.raises(landwatch.InternalError, match="a bug.*boom"):
        landwatch._landwatch._panic("boom")  # type: ignore[attr-defined]
    caught: List[BaseException] = []

    def run() -> None:
        try:
            landwatch._landwatch._panic("in a thread")  # type: ignore[attr-defined]
        except BaseException as e:  # noqa: BLE001
            caught.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert len(caught) == 1 and isinstance(caught[0], landwatch.InternalError)


def test_docstrings_everywhere() -> None:
    for obj in (
        landwatch.compile, landwatch.builtin, landwatch.load, landwatch.normalize_command_line,
        landwatch.decode_command_line, landwatch.Rules, landwatch.Scanner, landwatch.Detection,
        landwatch.ScanIter, landwatch.Rules.scanner, landwatch.Rules.info, landwatch.Scanner.scan,
        landwatch.Scanner.scan_jsonl, landwatch.Scanner.scan_evtx, landwatch.Scanner.flush,
        landwatch.Scanner.stats, landwatch.Scanner.save, landwatch.Scanner.restore,
        landwatch.Detection.to_dict,
    ):
        assert obj.__doc__, obj
    assert landwatch.__version__
