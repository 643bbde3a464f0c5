"""Threads: shared Rules, one Scanner per thread; a Scanner shared raises."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Tuple

import pytest

import landwatch
from conftest import CERTUTIL, EXAMPLES

INTRUSION = EXAMPLES / "msp-intrusion.jsonl"


def scan_file(rules: landwatch.Rules) -> List[Tuple[str, object]]:
    scanner = rules.scanner()
    return [(d.rule, d.line) for d in scanner.scan_jsonl(INTRUSION)] + [(d.rule, d.line) for d in scanner.flush()]


def test_rules_shared_by_threads_each_with_a_scanner(builtin: landwatch.Rules) -> None:
    expected = scan_file(builtin)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: scan_file(builtin), range(8)))
    assert all(r == expected for r in results)


def test_scan_calls_from_threads_with_their_own_scanners(builtin: landwatch.Rules) -> None:
    lines = [line for line in INTRUSION.read_bytes().splitlines() if line.strip()]

    def work(_: int) -> int:
        scanner = builtin.scanner()
        return sum(len(scanner.scan(line)) for line in lines)

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(work, range(8)))
    assert len(set(counts)) == 1 and counts[0] > 0


def test_a_scanner_shared_by_two_threads_raises(builtin: landwatch.Rules, tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_text((json.dumps(CERTUTIL) + "\n") * 100_000, encoding="utf-8")
    scanner = builtin.scanner()
    errors: List[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        try:
            for _ in scanner.scan_jsonl(big):
                pass
        except BaseException as e:  # noqa: BLE001 - recorded for the assertion
            errors.append(e)
        finally:
            done.set()

    t = threading.Thread(target=reader)
    t.start()
    busy = 0
    ok = 0
    while not done.is_set():
        try:
            scanner.scan(CERTUTIL)
            ok += 1
        except RuntimeError as e:
            assert "another thread" in str(e)
            busy += 1
    t.join()
    assert errors == [] or all(isinstance(e, RuntimeError) for e in errors)
    assert busy > 0, "the other thread never saw the scanner busy"
    # No crash, and the scanner is whole afterwards.
    stats = scanner.stats()
    assert stats["events"] >= ok
    assert len(scanner.scan(CERTUTIL)) == 1


def test_the_gil_is_released_while_a_file_is_scanned(builtin: landwatch.Rules, tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_text((json.dumps(CERTUTIL) + "\n") * 50_000, encoding="utf-8")
    ticks = 0
    stop = threading.Event()

    def counter() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=counter)
    t.start()
    try:
        n = sum(1 for _ in builtin.scanner().scan_jsonl(big))
    finally:
        stop.set()
        t.join()
    assert n == 50_000
    assert ticks > 0


def test_errors_in_threads_stay_python_exceptions(builtin: landwatch.Rules) -> None:
    def bad(_: int) -> str:
        try:
            builtin.scanner().scan("{bad")
        except landwatch.EventError as e:
            return e.reason
        return "no error"

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(bad, range(16))) == {"malformed JSON"}
    with pytest.raises(landwatch.InternalError):
        landwatch._landwatch._panic("from a test")  # type: ignore[attr-defined]
