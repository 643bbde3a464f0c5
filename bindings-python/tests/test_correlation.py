"""Correlations across scan calls, flush, save and restore, zones and lateness."""

import json
from pathlib import Path
from typing import List, Tuple

import pytest

import landwatch
from conftest import CORRELATION, EXAMPLES, logon

STREAM = [
    logon("WS1", "10:00:00"),
    logon("WS2", "10:03:00"),
    logon("WS1", "10:04:00", user="other"),
    logon("WS3", "10:07:30"),
    logon("WS4", "10:30:00"),
    logon("WS5", "10:31:00"),
    logon("WS6", "10:32:00"),
]


def summary(found: List[landwatch.Detection]) -> List[Tuple[str, str, int, str]]:
    out = []
    for d in found:
        assert d.group is not None and d.count is not None and d.time is not None
        out.append((d.rule, d.group["TargetUser"], d.count, d.time.isoformat()))
    return out


def one_pass(rules: landwatch.Rules) -> List[landwatch.Detection]:
    scanner = rules.scanner()
    found = []
    for e in STREAM:
        found += scanner.scan(e)
    return found + scanner.flush()


def test_a_correlation_across_scan_calls(corr_rules: landwatch.Rules) -> None:
    scanner = corr_rules.scanner()
    during = []
    for e in STREAM:
        during += scanner.scan(e)
    # The first group completed at 10:07:30; released once the lateness
    # (60 s) passed, at 10:30.
    assert summary(during) == [("t.account_three_hosts", "CORP\\adm", 3, "2026-11-03T10:07:30+00:00")]
    at_end = scanner.flush()
    assert summary(at_end) == [("t.account_three_hosts", "CORP\\adm", 3, "2026-11-03T10:32:00+00:00")]
    d = during[0]
    assert d.kind == "correlation"
    assert d.host == "WS3"
    assert d.values is not None and sorted(v.upper() for v in d.values) == ["WS1", "WS2", "WS3"]
    assert d.window is not None
    assert d.window["start"].isoformat() == "2026-11-03T10:00:00+00:00"
    assert d.window["end"].isoformat() == "2026-11-03T10:07:30+00:00"
    assert d.events is not None and [e["time"].minute for e in d.events] == [0, 3, 7]
    assert d.events_omitted == 0
    assert d.evidence == []
    keys = list(d.to_dict())
    assert keys[-7:] == ["group", "window", "count", "values", "value", "events", "events_omitted"]
    assert "group(TargetUser=" in repr(d) and "count=3" in repr(d)
    assert "window" in d._repr_html_()
    stats = scanner.stats()
    assert stats["events"] == len(STREAM) and stats["detections"] == 2
    assert scanner.flush() == []


def test_json_text_events_correlate_alike(corr_rules: landwatch.Rules) -> None:
    scanner = corr_rules.scanner()
    found = []
    for e in STREAM:
        found += scanner.scan(json.dumps(e))
    found += scanner.flush()
    assert summary(found) == summary(one_pass(corr_rules))


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_save_and_restore_continue_the_stream(corr_rules: landwatch.Rules, cut: int) -> None:
    first = corr_rules.scanner()
    found = []
    for e in STREAM[:cut]:
        found += first.scan(e)
    blob = first.save()
    assert isinstance(blob, bytes) and blob.startswith(b"LWSTATE")
    second = landwatch.Scanner.restore(corr_rules, blob)
    assert second.rules is corr_rules
    assert second.save() == blob
    for e in STREAM[cut:]:
        found += second.scan(e)
    found += second.flush()
    assert summary(found) == summary(one_pass(corr_rules))
    assert second.stats()["events"] == len(STREAM)
    # Positions go on from the saved stream.
    assert [d.event for d in found] == [d.event for d in one_pass(corr_rules)]


def test_a_corrupt_blob_is_a_clear_error(corr_rules: landwatch.Rules, builtin: landwatch.Rules) -> None:
    scanner = corr_rules.scanner()
    for e in STREAM[:3]:
        scanner.scan(e)
    blob = scanner.save()
    damaged = bytearray(blob)
    damaged[-1] ^= 0xFF
    with pytest.raises(landwatch.StateError, match="damaged"):
        landwatch.Scanner.restore(corr_rules, bytes(damaged))
    with pytest.raises(landwatch.StateError, match="not landwatch"):
        landwatch.Scanner.restore(corr_rules, b"hello")
    with pytest.raises(landwatch.StateError):
        landwatch.Scanner.restore(corr_rules, b"")
    with pytest.raises(landwatch.StateError):
        landwatch.Scanner.restore(corr_rules, blob[: len(blob) // 2])
    with pytest.raises(landwatch.StateError, match="other correlation rules"):
        landwatch.Scanner.restore(builtin, blob)
    with pytest.raises(TypeError, match="data"):
        landwatch.Scanner.restore(corr_rules, "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rules"):
        landwatch.Scanner.restore("rules", blob)  # type: ignore[arg-type]
    for n in range(0, len(blob), max(1, len(blob) // 64)):
        with pytest.raises(landwatch.StateError):
            landwatch.Scanner.restore(corr_rules, blob[:n])


def test_lateness(corr_rules: landwatch.Rules) -> None:
    for lateness in ("60s", 60, 60.0, "1m", "60000ms"):
        scanner = corr_rules.scanner(lateness=lateness)
        found = []
        for e in STREAM:
            found += scanner.scan(e)
        assert len(found) == 1, lateness
    scanner = corr_rules.scanner(lateness="1h")
    assert [d for e in STREAM for d in scanner.scan(e)] == []
    assert len(scanner.flush()) == 2
    # Out of order within the lateness: the same detections.
    shuffled = [STREAM[1], STREAM[0], STREAM[3], STREAM[2]] + STREAM[4:]
    scanner = corr_rules.scanner(lateness="5m")
    found = [d for e in shuffled for d in scanner.scan(e)] + scanner.flush()
    assert summary(found) == summary(one_pass(corr_rules))
    for bad in ("soon", "5 minutes", "-1s", -1, float("nan")):
        with pytest.raises(ValueError, match="lateness"):
            corr_rules.scanner(lateness=bad)
    for wrong in (True, [60], b"60s"):
        with pytest.raises(TypeError, match="lateness"):
            corr_rules.scanner(lateness=wrong)  # type: ignore[arg-type]


def test_time_options(corr_rules: landwatch.Rules) -> None:
    events = [dict(e, When=e.pop("TimeCreated")) for e in (dict(x) for x in STREAM)]
    assert corr_rules.scanner().scan(events[0]) == []
    scanner = corr_rules.scanner(time_field="When")
    found = [d for e in events for d in scanner.scan(e)] + scanner.flush()
    assert len(found) == 2
    without = corr_rules.scanner(time_missing="previous")
    for e in events:
        without.scan(e)
    assert without.stats()["no_time"] == len(events)
    with pytest.raises(ValueError, match="time_missing"):
        corr_rules.scanner(time_missing="never")  # type: ignore[arg-type]
    ordered = corr_rules.scanner(ordered=True, max_events=2)
    found = [d for e in STREAM for d in ordered.scan(e)] + ordered.flush()
    assert found[0].events is not None and len(found[0].events) == 2
    assert found[0].events_omitted == 1


def test_zones_from_a_path_text_or_none(builtin: landwatch.Rules, tmp_path: Path) -> None:
    zones = EXAMPLES / "zones.toml"

    def rules_fired(z: object) -> set:
        s = builtin.scanner(zones=z)  # type: ignore[arg-type]
        found = list(s.scan_jsonl(EXAMPLES / "msp-credentials.jsonl")) + s.flush()
        return {d.rule for d in found}

    with_zones = rules_fired(zones)
    assert rules_fired(str(zones)) == with_zones
    assert rules_fired(zones.read_text(encoding="utf-8")) == with_zones
    without = rules_fired(None)
    assert "corr.credentials_cross_zones" in with_zones - without
    with pytest.raises(FileNotFoundError):
        builtin.scanner(zones=tmp_path / "missing.toml")
    with pytest.raises(FileNotFoundError):
        builtin.scanner(zones="missing.toml")
    with pytest.raises(ValueError, match="zones"):
        builtin.scanner(zones="[zones]\nprovider = 'not a list'\n")
    with pytest.raises(TypeError, match="zones"):
        builtin.scanner(zones=42)  # type: ignore[arg-type]


def test_the_credentials_example_matches_the_command(builtin: landwatch.Rules) -> None:
    scanner = builtin.scanner(zones=EXAMPLES / "zones.toml")
    found = list(scanner.scan_jsonl(EXAMPLES / "msp-credentials.jsonl")) + scanner.flush()
    correlated = [d for d in found if d.kind == "correlation"]
    assert len(correlated) > 20
    assert all(d.group is not None and d.window is not None for d in correlated)
    assert len(CORRELATION) > 0
