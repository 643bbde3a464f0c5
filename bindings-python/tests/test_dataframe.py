"""scan_dataframe and the accessors: pandas and polars frames scanned row by
row give what the JSON path gives for the same events."""

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import landwatch
from conftest import CERTUTIL, CORRELATION, EXAMPLES, logon, read_jsonl

pd = pytest.importorskip("pandas", reason="pandas is a test dependency of the DataFrame path")
pl = pytest.importorskip("polars", reason="polars is a test dependency of the DataFrame path")

ZONES = EXAMPLES / "zones.toml"

NAN_RULE = r"""
rule t.nan {
    title: "a value that reads nan"
    level: low
    on: process
    when: CommandLine contains 'nan' or User contains 'nan'
}
rule t.logon_type {
    title: "a network logon"
    level: low
    on: logon
    when: EventID == 4624 and LogonType == 3
}
"""


def json_path(path: Path, zones: Any = None) -> List[Tuple[str, int]]:
    """(rule, row) of every detection the JSON path gives for a file."""
    scanner = landwatch.builtin().scanner(zones=zones)
    found = list(scanner.scan_jsonl(path)) + scanner.flush()
    return sorted((d.rule, d.line - 1) for d in found)


def frame_result(out: Any) -> List[Tuple[str, int]]:
    return sorted(zip(out["rule"], out["row"]))


@pytest.fixture(scope="module")
def intrusion() -> List[Dict[str, Any]]:
    return read_jsonl(EXAMPLES / "msp-intrusion.jsonl")


@pytest.fixture(scope="module")
def credentials() -> List[Dict[str, Any]]:
    return read_jsonl(EXAMPLES / "msp-credentials.jsonl")


def correlated(out: Any) -> Any:
    return out[out["kind"] == "correlation"]


# ---- the examples: frame path == JSON path, correlations included ----------


def test_pandas_frame_gives_the_json_paths_detections(intrusion: List[Dict[str, Any]]) -> None:
    df = pd.DataFrame(intrusion)
    out = landwatch.scan_dataframe(df)
    assert frame_result(out) == json_path(EXAMPLES / "msp-intrusion.jsonl")
    assert list(out.columns) == list(landwatch._frame.COLUMNS)
    assert len(correlated(out)) >= 1
    assert out.attrs["landwatch"]["rows"] == len(df)
    assert out.attrs["landwatch"]["rejected"] == []
    assert out.attrs["landwatch"]["stats"]["events"] == len(df)


def test_pandas_mixed_schemas_with_zones(credentials: List[Dict[str, Any]]) -> None:
    # Security logons, Kerberos and Sysmon rows side by side: most cells of
    # each row are missing, and must be absent fields, not 'nan'.
    df = pd.DataFrame(credentials)
    assert df.isna().any().any()
    out = landwatch.scan_dataframe(df, zones=str(ZONES))
    assert frame_result(out) == json_path(EXAMPLES / "msp-credentials.jsonl", zones=str(ZONES))
    assert "corr.credentials_cross_zones" in set(out["rule"])


def test_polars_frame_gives_the_json_paths_detections(credentials: List[Dict[str, Any]]) -> None:
    df = pl.DataFrame(credentials, infer_schema_length=None)
    out = landwatch.scan_dataframe(df, zones=str(ZONES))
    assert isinstance(out, pl.DataFrame)
    assert out.columns == list(landwatch._frame.COLUMNS)
    assert frame_result(out) == json_path(EXAMPLES / "msp-credentials.jsonl", zones=str(ZONES))
    assert out.schema["time"] == pl.Datetime("us", "UTC")
    corr = out.filter(pl.col("kind") == "correlation")
    assert corr.height >= 1
    assert all(rows is not None and len(rows) >= 1 for rows in corr["events"].to_list())


def test_without_pyarrow_the_column_path_gives_the_same(
    intrusion: List[Dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    df = pd.DataFrame(intrusion)
    with_arrow = frame_result(landwatch.scan_dataframe(df))
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow fails
    assert frame_result(landwatch.scan_dataframe(df)) == with_arrow


def test_arrow_table_in_gives_pandas_out(intrusion: List[Dict[str, Any]]) -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(pd.DataFrame(intrusion), preserve_index=False)
    out = landwatch.scan_dataframe(table)
    assert isinstance(out, pd.DataFrame)
    assert frame_result(out) == json_path(EXAMPLES / "msp-intrusion.jsonl")


# ---- the row: index labels, correlated events -----------------------------


def test_row_is_the_index_label_and_events_are_labels(intrusion: List[Dict[str, Any]]) -> None:
    df = pd.DataFrame(intrusion)
    df.index = [f"ev{i:04d}" for i in range(len(df))]
    out = landwatch.scan_dataframe(df)
    assert all(isinstance(r, str) and r.startswith("ev") for r in out["row"])
    for _, det in correlated(out).iterrows():
        assert det["row"] in det["events"]
        # the events are rows of the input frame
        assert set(det["events"]) <= set(df.index)
    certutil = out[out["rule"] == "lotl.certutil_download"].iloc[0]
    assert "certutil" in df.loc[certutil["row"], "CommandLine"].replace("^", "").lower()


def test_correlation_across_frames_with_one_scanner() -> None:
    rules = landwatch.compile(CORRELATION, name="t.lw")
    scanner = rules.scanner()
    first = pd.DataFrame([logon("H1", "10:00:00"), logon("H2", "10:01:00")])
    second = pd.DataFrame([logon("H3", "10:02:00")])
    assert len(landwatch.scan_dataframe(first, scanner, flush=False)) == 0
    out = landwatch.scan_dataframe(second, scanner)
    assert list(out["rule"]) == ["t.account_three_hosts"]
    assert out["row"].iloc[0] == 0  # row 0 of the second frame
    assert out["group"].iloc[0] == {"TargetUser": "CORP\\adm"}
    # the two earlier events were rows of the first frame, not of this one
    assert out["events"].iloc[0] == [None, None, 0]


def test_a_scanner_comes_with_its_options() -> None:
    scanner = landwatch.builtin().scanner()
    with pytest.raises(ValueError, match="its own"):
        landwatch.scan_dataframe(pd.DataFrame([CERTUTIL]), scanner, lateness="5m")


# ---- values: missing, numbers, booleans, timestamps -------------------------


def test_missing_values_are_absent_never_nan() -> None:
    rules = landwatch.compile(NAN_RULE, name="nan.lw")
    rows = [
        {"EventID": 1, "Image": "C:\\a.exe", "CommandLine": None, "User": float("nan")},
        {"EventID": 1, "Image": "C:\\a.exe", "CommandLine": pd.NA, "User": None},
        {"EventID": 1, "Image": "C:\\a.exe", "CommandLine": "x", "User": pd.NA},
    ]
    df = pd.DataFrame(rows)
    assert len(landwatch.scan_dataframe(df, rules)) == 0
    monkey = pd.DataFrame(rows).astype(object)
    assert len(landwatch.scan_dataframe(monkey, rules)) == 0
    polars_rows = [{k: (None if v is pd.NA else v) for k, v in r.items()} for r in rows]
    assert len(landwatch.scan_dataframe(pl.DataFrame(polars_rows), rules)) == 0
    # a real 'nan' in a value still matches
    assert len(landwatch.scan_dataframe(pd.DataFrame([{"EventID": 1, "CommandLine": "banana"}]), rules)) == 1


def test_an_int_column_with_gaps_holds_floats_read_as_ints() -> None:
    rules = landwatch.compile(NAN_RULE, name="nan.lw")
    rows = [logon("H1", "10:00:00"), {"EventID": 1, "Image": "C:\\a.exe", "CommandLine": "x"}]
    df = pd.DataFrame(rows)
    assert df["LogonType"].dtype == "float64"  # 3.0 and NaN
    out = landwatch.scan_dataframe(df, rules)
    assert list(out["rule"]) == ["t.logon_type"]
    # the same with the JSON path and with a string column
    assert [d.rule for d in rules.scanner().scan(rows[0])] == ["t.logon_type"]
    as_text = pd.DataFrame([{**logon("H1", "10:00:00"), "LogonType": "3"}])
    assert list(landwatch.scan_dataframe(as_text, rules)["rule"]) == ["t.logon_type"]


def test_timestamps_are_event_time_in_utc() -> None:
    rows = [dict(CERTUTIL), dict(CERTUTIL)]
    df = pd.DataFrame(rows)
    df["UtcTime"] = pd.to_datetime(df["UtcTime"])  # naive: UTC
    out = landwatch.scan_dataframe(df)
    want = [d.time for d in landwatch.builtin().scanner().scan(CERTUTIL)]
    assert want and want[0] == datetime(2018, 10, 3, 14, 0, 0, 84000, tzinfo=timezone.utc)
    assert set(out["time"]) == {pd.Timestamp(want[0])}
    # a zoned column: the instant counts, not the wall clock
    df["UtcTime"] = df["UtcTime"].dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    assert set(landwatch.scan_dataframe(df)["time"]) == {pd.Timestamp(want[0])}
    polars_out = landwatch.scan_dataframe(pl.from_pandas(df))
    assert set(polars_out["time"].to_list()) == {want[0]}


def test_numbers_bools_and_nested_values_read_as_json() -> None:
    event = {
        "EventID": 1,
        "Image": "C:\\Windows\\System32\\certutil.exe",
        "CommandLine": CERTUTIL["CommandLine"],
        "Elevated": True,
        "ProcessId": 4242,
        "Score": 0.5,
        "Extra": {"a": [1, 2, None], "b": "x"},
    }
    want = sorted(d.rule for d in landwatch.builtin().scanner().scan(event))
    assert want
    for df in (pd.DataFrame([event]), pl.DataFrame([event])):
        assert sorted(landwatch.scan_dataframe(df)["rule"]) == want


def test_mixed_object_column_falls_back_and_still_reads() -> None:
    # pyarrow cannot type a column holding str and int: the column path.
    rows = [{**CERTUTIL, "Extra": "text"}, {**CERTUTIL, "Extra": 7}]
    out = landwatch.scan_dataframe(pd.DataFrame(rows))
    assert sorted(set(out["row"])) == [0, 1]


# ---- column names: column_map, dotted paths, duplicates --------------------


def test_column_map_renames() -> None:
    df = pd.DataFrame([{"proc": CERTUTIL["Image"], "cmd": CERTUTIL["CommandLine"], "EventID": 1}])
    assert "lotl.certutil_download" not in set(landwatch.scan_dataframe(df)["rule"])
    out = landwatch.scan_dataframe(df, column_map={"proc": "Image", "cmd": "CommandLine"})
    assert "lotl.certutil_download" in set(out["rule"])


def evtx_shaped(event: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "Event": {
            "System": {
                "EventID": 1,
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": event["Computer"],
                "TimeCreated": {"#attributes": {"SystemTime": "2018-10-03T14:00:00.084Z"}},
            },
            "EventData": {k: event[k] for k in ("Image", "CommandLine", "User")},
        }
    }


def test_dotted_names_nest_as_json_normalize_writes_them() -> None:
    event = evtx_shaped(CERTUTIL)
    want = sorted(d.rule for d in landwatch.builtin().scanner().scan(event))
    assert "lotl.certutil_download" in want
    flat = pd.json_normalize([event])
    assert "Event.EventData.CommandLine" in flat.columns
    out = landwatch.scan_dataframe(flat)
    assert sorted(out["rule"]) == want
    assert out["host"].iloc[0] == CERTUTIL["Computer"]
    # a struct column (polars) is the same nested object
    assert sorted(landwatch.scan_dataframe(pl.DataFrame([event]))["rule"]) == want


def test_a_dotted_name_whose_prefix_is_a_column_stays_literal() -> None:
    df = pd.DataFrame([{**CERTUTIL, "Image.Size": 10}])
    out = landwatch.scan_dataframe(df)
    assert "lotl.certutil_download" in set(out["rule"])


def test_duplicate_names_are_an_error() -> None:
    df = pd.DataFrame([["a", "b"]], columns=["CommandLine", "cmd"])
    with pytest.raises(ValueError, match="two columns are named 'CommandLine'"):
        landwatch.scan_dataframe(df, column_map={"cmd": "CommandLine"})


# ---- bad input --------------------------------------------------------------


def test_a_column_no_event_holds_is_a_type_error_naming_it() -> None:
    df = pl.DataFrame({"CommandLine": ["x"], "Took": [timedelta(seconds=1)]})
    with pytest.raises(TypeError, match="column 'Took'"):
        landwatch.scan_dataframe(df)


def test_wrong_arguments_raise_type_error() -> None:
    with pytest.raises(TypeError, match="df: expected a pandas or polars DataFrame"):
        landwatch.scan_dataframe([CERTUTIL])
    with pytest.raises(TypeError, match="LazyFrame"):
        landwatch.scan_dataframe(pl.DataFrame([CERTUTIL]).lazy())
    with pytest.raises(TypeError, match="rules"):
        landwatch.scan_dataframe(pd.DataFrame([CERTUTIL]), rules="builtin")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="column_map"):
        landwatch.scan_dataframe(pd.DataFrame([CERTUTIL]), column_map=[("a", "b")])  # type: ignore[arg-type]


def test_rejected_rows_are_counted_not_raised() -> None:
    # A cell no event can hold rejects its row, as a malformed line of a
    # file is rejected: counted, listed, and the scan goes on.
    deep: Any = "x"
    for _ in range(1200):
        deep = [deep]
    rows = [dict(CERTUTIL), {**CERTUTIL, "Odd": object()}, dict(CERTUTIL), {**CERTUTIL, "Odd": deep}]
    df = pd.DataFrame(rows)
    df.index = ["a", "b", "c", "d"]
    out = landwatch.scan_dataframe(df)
    info = out.attrs["landwatch"]
    assert info["stats"]["rejected"] == 2 and info["stats"]["events"] == 4
    assert [label for label, _ in info["rejected"]] == ["b", "d"]
    assert "column 'Odd', row 1" in info["rejected"][0][1] and "object" in info["rejected"][0][1]
    assert "nested too deep" in info["rejected"][1][1] or "deeper" in info["rejected"][1][1]
    assert set(out["row"]) == {"a", "c"}


def test_huge_values_and_odd_text_survive() -> None:
    big = "A" * 2_000_000
    rows = [
        {**CERTUTIL, "ParentCommandLine": big},
        {**CERTUTIL, "CommandLine": CERTUTIL["CommandLine"] + ' "\\ \n\t\u0000 \U0001F600'},
    ]
    out = landwatch.scan_dataframe(pd.DataFrame(rows))
    assert set(out["row"]) == {0, 1}
    assert set(landwatch.scan_dataframe(pl.DataFrame(rows))["row"].to_list()) == {0, 1}


def test_an_empty_frame_gives_an_empty_frame_with_the_columns() -> None:
    out = landwatch.scan_dataframe(pd.DataFrame())
    assert len(out) == 0 and list(out.columns) == list(landwatch._frame.COLUMNS)
    assert landwatch.scan_dataframe(pl.DataFrame()).height == 0


# ---- accessors and display ---------------------------------------------------


def test_pandas_accessors(intrusion: List[Dict[str, Any]]) -> None:
    df = pd.DataFrame(intrusion)
    assert frame_result(df.landwatch.scan()) == frame_result(landwatch.scan_dataframe(df))
    normal = df["CommandLine"].landwatch.normalize()
    assert normal.index.equals(df.index)
    for raw, norm in zip(df["CommandLine"], normal):
        if isinstance(raw, str):
            assert norm == landwatch.normalize_command_line(raw)
        else:
            assert pd.isna(norm)
    assert any("certutil -urlcache" in n for n in normal.dropna())
    decoded = df["CommandLine"].landwatch.decode().dropna()
    assert any("downloadstring" in d.lower() or "webclient" in d.lower() for d in decoded)


def test_polars_namespaces(intrusion: List[Dict[str, Any]]) -> None:
    df = pl.DataFrame(intrusion, infer_schema_length=None)
    assert frame_result(df.landwatch.scan()) == frame_result(landwatch.scan_dataframe(df))
    normal = df["CommandLine"].landwatch.normalize()
    assert normal.len() == df.height and normal.dtype == pl.String
    assert normal.null_count() == df["CommandLine"].null_count()


def test_the_detections_frame_shows_levels_in_colour(intrusion: List[Dict[str, Any]]) -> None:
    out = landwatch.scan_dataframe(pd.DataFrame(intrusion))
    page = out._repr_html_()
    assert 'class="landwatch-detections"' in page and "#e8590c" in page  # high
    assert "lotl.certutil_download" in page
    # filtering keeps it a detections frame; other frames render as pandas
    high = out[out["level"] == "high"]
    assert "landwatch-detections" in high._repr_html_()
    assert "landwatch-detections" not in out[["row", "rule"]]._repr_html_()
    assert "<script" not in landwatch.detections_html(
        pd.DataFrame([{"rule": "<script>", "level": "high", "row": 0}])
    )


def test_threads_share_rules_over_frames(intrusion: List[Dict[str, Any]]) -> None:
    # Each call makes its own scanner over the shared Rules; the scans run
    # with the GIL released, side by side.
    from concurrent.futures import ThreadPoolExecutor

    rules = landwatch.builtin()
    frames = [pd.DataFrame(intrusion), pl.DataFrame(intrusion, infer_schema_length=None)] * 3
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda df: frame_result(landwatch.scan_dataframe(df, rules)), frames))
    assert all(r == results[0] for r in results)


def test_a_detections_frame_pickles(intrusion: List[Dict[str, Any]]) -> None:
    import pickle
    import subprocess

    out = landwatch.scan_dataframe(pd.DataFrame(intrusion))
    blob = pickle.dumps(out)
    back = pickle.loads(blob)
    assert type(back) is type(out) and back["rule"].tolist() == out["rule"].tolist()
    # and in a process that has not scanned anything yet
    code = "import pickle, sys; f = pickle.loads(sys.stdin.buffer.read()); print(len(f), type(f).__name__)"
    done = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True)
    assert done.stdout.split() == [str(len(out)).encode(), b"DetectionFrame"]
