"""scan_jsonl and scan_evtx: files as the command reads them."""

import io
import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import landwatch
from conftest import CERTUTIL, CORPUS, EXAMPLES, ROOT

INTRUSION = EXAMPLES / "msp-intrusion.jsonl"


def key(d: landwatch.Detection) -> Tuple[str, Any, Any]:
    return (d.rule, d.line, d.time)


def by_lines(rules: landwatch.Rules, path: Path) -> List[landwatch.Detection]:
    scanner = rules.scanner()
    found = []
    for n, line in enumerate(path.read_bytes().split(b"\n"), 1):
        if line.strip():
            found += scanner.scan(line, file=str(path), line=n)
    return found


def test_scan_jsonl_is_an_iterator_of_detections(builtin: landwatch.Rules) -> None:
    scanner = builtin.scanner()
    it = scanner.scan_jsonl(INTRUSION)
    assert iter(it) is it
    assert "msp-intrusion.jsonl" in repr(it)
    first = next(it)
    assert isinstance(first, landwatch.Detection)
    assert first.file == str(INTRUSION) and first.line is not None
    rest = list(it)
    assert "finished" in repr(it)
    assert [key(d) for d in [first] + rest] == [key(d) for d in by_lines(builtin, INTRUSION)]
    assert it.errors == [] and it.error_count == 0
    with pytest.raises(StopIteration):
        next(it)


def test_paths_and_file_objects(builtin: landwatch.Rules, tmp_path: Path) -> None:
    expected = [key(d) for d in by_lines(builtin, INTRUSION)]
    assert [key(d) for d in builtin.scanner().scan_jsonl(str(INTRUSION))] == expected
    with open(INTRUSION, "rb") as f:
        found = list(builtin.scanner().scan_jsonl(f))
    assert [key(d) for d in found] == expected
    with open(INTRUSION, encoding="utf-8") as t:
        found = list(builtin.scanner().scan_jsonl(t))
    assert [key(d) for d in found] == expected
    stream = io.BytesIO(INTRUSION.read_bytes())
    found = list(builtin.scanner().scan_jsonl(stream))
    assert [(d.rule, d.line) for d in found] == [(r, n) for r, n, _ in expected]
    assert all(d.file is None for d in found)


def test_arrays_and_concatenated_objects(builtin: landwatch.Rules, tmp_path: Path) -> None:
    events = [json.loads(line) for line in INTRUSION.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = Counter(d.rule for d in by_lines(builtin, INTRUSION))
    array = tmp_path / "events.json"
    array.write_text(json.dumps(events, indent=2), encoding="utf-8")
    assert Counter(d.rule for d in builtin.scanner().scan_jsonl(array)) == expected
    pretty = tmp_path / "pretty.json"
    pretty.write_text("\n".join(json.dumps(e, indent=2) for e in events), encoding="utf-8")
    assert Counter(d.rule for d in builtin.scanner().scan_jsonl(pretty)) == expected


def test_bad_lines_are_counted_not_raised(builtin: landwatch.Rules, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(CERTUTIL), "{broken", "", "[1,2]", json.dumps(CERTUTIL)]
    path.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe not utf-8\n")
    scanner = builtin.scanner()
    it = scanner.scan_jsonl(path)
    found = list(it)
    assert [(d.rule, d.line) for d in found] == [("lotl.certutil_download", 1), ("lotl.certutil_download", 5)]
    assert [e["line"] for e in it.errors] == [2, 4, 6]
    assert it.error_count == 3
    assert all(set(e) == {"file", "line", "reason", "message"} for e in it.errors)
    assert it.errors[0]["reason"] == "malformed JSON" and it.errors[0]["file"] == str(path)
    stats = scanner.stats()
    assert (stats["events"], stats["rejected"]) == (5, 3)
    # Every event accounted for, under the names `landwatch scan --stats
    # json` prints.
    assert (stats["read"], stats["scanned"]) == (5, 2)
    assert stats["read"] == stats["scanned"] + stats["rejected"]
    assert stats["rejected_by_reason"] == {"malformed JSON": 1, "not an object": 1, "invalid UTF-8": 1}
    assert stats["detections_by_rule"] == {"lotl.certutil_download": 2}
    assert stats["detections_by_level"] == {"high": 2}
    assert (stats["detections"], stats["correlated"]) == (2, 0)
    for key in ("late", "no_time", "evicted", "forced"):
        assert stats[key] == 0


def test_a_broken_array_is_one_rejection(builtin: landwatch.Rules, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n{"EventID": 1},\n{"EventID": \n', encoding="utf-8")
    scanner = builtin.scanner()
    it = scanner.scan_jsonl(path)
    assert list(it) == []
    assert it.error_count == 1
    assert scanner.stats()["rejected"] == 1
    assert scanner.stats()["rejected_by_reason"] == {"malformed JSON": 1}
    assert scanner.stats()["read"] == 1


def test_file_errors(builtin: landwatch.Rules, tmp_path: Path) -> None:
    scanner = builtin.scanner()
    with pytest.raises(FileNotFoundError):
        scanner.scan_jsonl(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match="directory"):
        scanner.scan_jsonl(tmp_path)
    with pytest.raises(TypeError, match="source"):
        scanner.scan_jsonl(42)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        scanner.scan_evtx(tmp_path / "missing.evtx")
    with pytest.raises(ValueError, match="not an EVTX file"):
        scanner.scan_evtx(INTRUSION)
    fake = tmp_path / "fake.evtx"
    fake.write_bytes(b"ElfFile\x00" + b"\x00" * 100)
    with pytest.raises(ValueError, match="use scan_evtx"):
        scanner.scan_jsonl(fake)
    it = scanner.scan_evtx(fake)
    assert list(it) == [] and it.error_count == 1
    assert it.errors[0]["reason"] == "unreadable EVTX file"

    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            raise OSError("the disk is on fire")

    with pytest.raises(OSError, match="on fire"):
        list(scanner.scan_jsonl(Failing()))

    class Wrong:
        def read(self, n: int = -1) -> int:
            return 3

    with pytest.raises(OSError, match="not bytes or str"):
        list(scanner.scan_jsonl(Wrong()))


def test_an_abandoned_iterator_stops_reading(builtin: landwatch.Rules, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    line = json.dumps(CERTUTIL) + "\n"
    path.write_text(line * 20_000, encoding="utf-8")
    scanner = builtin.scanner()
    it = scanner.scan_jsonl(path)
    assert next(it).rule == "lotl.certutil_download"
    del it
    # The scanner is free again, and the stream goes on.
    assert len(scanner.scan(CERTUTIL)) == 1


def evtx_files() -> List[Path]:
    root = CORPUS / "sigma" / "regression_data"
    if not root.is_dir():
        return []
    return sorted(root.rglob("*.evtx"))


def test_scan_evtx_on_the_regression_data() -> None:
    files = evtx_files()
    if not files:
        pytest.skip(f"no .evtx files under {CORPUS / 'sigma' / 'regression_data'}")
    rules = landwatch.builtin()
    events = 0
    detections = 0
    for path in files[:60]:
        scanner = rules.scanner()
        it = scanner.scan_evtx(path)
        for d in it:
            detections += 1
            assert d.file == str(path)
            assert d.line is not None and d.line >= 1
            assert d.record is not None and d.time is not None
        events += scanner.stats()["events"]
    assert events >= len(files[:60])
    with open(files[0], "rb") as f:
        a = [key(d) for d in rules.scanner().scan_evtx(f)]
    assert a == [key(d) for d in rules.scanner().scan_evtx(files[0])]


def cli() -> Path:
    for build in ("release", "debug"):
        exe = ROOT / "target" / build / "landwatch"
        if exe.exists():
            return exe
    return Path()


def cli_detections(args: List[str]) -> Counter:
    exe = cli()
    out = subprocess.run(
        [str(exe), "scan", "--format", "jsonl", "--threads", "1", *args],
        check=True, capture_output=True, text=True,
    ).stdout
    return Counter((d["rule"], d["line"], d.get("record")) for d in map(json.loads, out.splitlines()))


def test_the_same_detections_as_the_command(builtin: landwatch.Rules) -> None:
    if not cli().name:
        pytest.skip("the landwatch command is not built (cargo build -p landwatch-cli)")
    zones = EXAMPLES / "zones.toml"
    for example in ("msp-intrusion.jsonl", "msp-credentials.jsonl"):
        scanner = builtin.scanner(zones=zones)
        path = EXAMPLES / example
        found = list(scanner.scan_jsonl(path)) + scanner.flush()
        ours = Counter((d.rule, d.line, d.record) for d in found)
        assert ours == cli_detections(["--zones", str(zones), str(path)])
    files = evtx_files()[:20]
    for path in files:
        scanner = builtin.scanner()
        found = list(scanner.scan_evtx(path)) + scanner.flush()
        assert Counter((d.rule, d.line, d.record) for d in found) == cli_detections([str(path)]), path


def test_sigma_regression_evtx_with_sigma_rules() -> None:
    files = evtx_files()
    rules_dir = CORPUS / "sigma" / "rules" / "windows" / "process_creation"
    if not files or not rules_dir.is_dir():
        pytest.skip("no Sigma corpus and regression data under ../shared/corpus")
    rules = landwatch.load(sigma=[rules_dir], builtin=False)
    fired = 0
    for path in files:
        if "proc_creation" not in path.parent.name:
            continue
        scanner = rules.scanner()
        fired += sum(1 for _ in scanner.scan_evtx(path))
    assert fired > 0
    assert os.sep or shutil  # modules used above
