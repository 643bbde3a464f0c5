//! Every event accounted for: `landwatch scan --stats json` over hostile
//! files, on one thread and on two. Each non-blank line is read once and
//! is either scanned or rejected under a reason; the normal events among
//! the hostile ones give the detections they give alone.
//!
//! Blank lines (empty, spaces, a lone `\r`) are not events: they are not
//! counted as read.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landwatch-accounting-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/msp-intrusion.jsonl")
}

struct Run {
    stats: Value,
    /// Detections as JSON, without where they were read (`file`, `line`).
    detections: Vec<Value>,
}

fn scan(file: &Path, threads: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_landwatch"))
        .args([
            "scan",
            "--format",
            "jsonl",
            "--stats",
            "json",
            "--threads",
            threads,
        ])
        .arg(file)
        .output()
        .expect("landwatch runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().expect("a line of figures");
    let stats: Value =
        serde_json::from_str(last).expect("the last line of stderr is one JSON object");
    let detections = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            strip_place(&mut v);
            v
        })
        .collect();
    Run { stats, detections }
}

fn strip_place(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("file");
            map.remove("line");
            map.values_mut().for_each(strip_place);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_place),
        _ => {}
    }
}

fn n(stats: &Value, key: &str) -> u64 {
    stats[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is a number in {stats}"))
}

fn reason(stats: &Value, r: &str) -> u64 {
    stats["rejected_by_reason"][r].as_u64().unwrap_or(0)
}

/// The identities every run keeps.
fn check_identity(stats: &Value) {
    for key in [
        "read",
        "scanned",
        "rejected",
        "late",
        "no_time",
        "evicted",
        "forced",
        "detections",
        "correlated",
    ] {
        n(stats, key);
    }
    assert_eq!(
        n(stats, "read"),
        n(stats, "scanned") + n(stats, "rejected"),
        "{stats}"
    );
    let by_reason: u64 = stats["rejected_by_reason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_reason, n(stats, "rejected"), "{stats}");
    let by_rule: u64 = stats["detections_by_rule"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_rule, n(stats, "detections"), "{stats}");
}

/// Hostile lines, each with the reason it must be rejected under, or
/// `None` when the test asserts only that it is accounted for (scanned or
/// rejected: limits are decided elsewhere).
fn hostile() -> Vec<(Vec<u8>, Option<&'static str>)> {
    let deep = format!("{}1{}", "{\"a\":".repeat(300), "}".repeat(300)).into_bytes();
    let mut long =
        br#"{"EventID":1,"Image":"C:\\Program Files\\App\\app.exe","CommandLine":"app.exe "#
            .to_vec();
    long.resize(long.len() + (16 << 20), b'a');
    long.extend_from_slice(b"\"}");
    vec![
        (b"{\"EventID\":1,\"CommandLine\":\"\xff\xfe\"}".to_vec(), Some("invalid UTF-8")),
        (b"\xc3\x28".to_vec(), Some("invalid UTF-8")),
        // A multi-byte character cut off by truncation.
        (b"{\"EventID\":1,\"CommandLine\":\"\xe2\x82\"}".to_vec(), Some("invalid UTF-8")),
        (br#"{"EventID":1,"Image":"C:\\Windows\\System32\\certutil.exe","CommandLine":"certutil -urlca"#.to_vec(), Some("malformed JSON")),
        (br#"{"EventID":4624,"#.to_vec(), Some("malformed JSON")),
        (br#"{"a":1}trailing"#.to_vec(), Some("malformed JSON")),
        (b"[1,2,{\"EventID\":1}]".to_vec(), Some("not an object")),
        (b"42".to_vec(), Some("not an object")),
        (b"\"a string\"".to_vec(), Some("not an object")),
        (b"null".to_vec(), Some("not an object")),
        (b"true".to_vec(), Some("not an object")),
        (b"{\"CommandLine\":\"x\x00y\"}".to_vec(), Some("malformed JSON")),
        (b"\x00\x00\x00".to_vec(), Some("malformed JSON")),
        // An escaped NUL is valid JSON.
        (br#"{"EventID":1,"Image":"C:\\App\\a.exe","CommandLine":"a\u0000b"}"#.to_vec(), None),
        (deep, None),
        (long, None),
    ]
}

/// The example's events with hostile lines and blank lines between them,
/// the last event without a newline; and the count of each reason.
fn hostile_file(normal: &[&[u8]], crlf: bool) -> (Vec<u8>, u64, Vec<(&'static str, u64)>) {
    let bad = hostile();
    let mut out = Vec::new();
    let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut read = 0;
    let mut bad_iter = bad.iter().cycle();
    let mut reasons: Vec<(&'static str, u64)> = Vec::new();
    for (i, line) in normal.iter().enumerate() {
        out.extend_from_slice(line);
        read += 1;
        if i + 1 == normal.len() {
            break; // no trailing newline
        }
        out.extend_from_slice(end);
        // The first line stays an event: the reader tells JSON Lines from
        // the first line.
        if i % 9 == 0 && i < 9 * bad.len() {
            let (b, r) = bad_iter.next().unwrap();
            out.extend_from_slice(b);
            out.extend_from_slice(end);
            read += 1;
            if let Some(r) = r {
                match reasons.iter_mut().find(|(k, _)| k == r) {
                    Some((_, n)) => *n += 1,
                    None => reasons.push((r, 1)),
                }
            }
        }
        if i % 13 == 0 {
            out.extend_from_slice(b"\n   \n\r\n\t\n");
        }
    }
    (out, read, reasons)
}

#[test]
fn every_event_of_hostile_files_is_read_once_and_scanned_or_rejected() {
    let text = std::fs::read(example()).unwrap();
    let normal: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .collect();
    assert!(
        normal.len() > 9 * hostile().len(),
        "the example has room for every hostile line"
    );
    let dir = temp_dir();
    let alone = scan(&example(), "1");
    check_identity(&alone.stats);
    assert_eq!(n(&alone.stats, "read"), normal.len() as u64);
    assert_eq!(n(&alone.stats, "rejected"), 0);
    assert!(n(&alone.stats, "correlated") > 0, "the example correlates");

    for crlf in [false, true] {
        let (bytes, read, reasons) = hostile_file(&normal, crlf);
        let path = dir.join(if crlf {
            "hostile-crlf.jsonl"
        } else {
            "hostile.jsonl"
        });
        std::fs::write(&path, &bytes).unwrap();
        drop(bytes);
        for threads in ["1", "2"] {
            let what = format!("crlf {crlf}, {threads} threads");
            let run = scan(&path, threads);
            let s = &run.stats;
            check_identity(s);
            assert_eq!(
                n(s, "read"),
                read,
                "{what}: blank lines are not read, every other line is: {s}"
            );
            for (r, count) in &reasons {
                assert!(reason(s, r) >= *count, "{what}: {count} {r} expected: {s}");
            }
            let known: u64 = reasons.iter().map(|(_, c)| c).sum();
            let accounted_only = hostile().iter().filter(|(_, r)| r.is_none()).count() as u64;
            assert!(
                n(s, "rejected") >= known && n(s, "rejected") <= known + accounted_only,
                "{what}: {s}"
            );
            assert!(
                n(s, "scanned") >= normal.len() as u64,
                "{what}: every normal event is scanned: {s}"
            );
            assert_eq!(
                run.detections, alone.detections,
                "{what}: the normal events' detections"
            );
            assert_eq!(
                s["detections_by_rule"], alone.stats["detections_by_rule"],
                "{what}"
            );
        }
        std::fs::remove_file(&path).unwrap();
    }
    let _ = std::fs::remove_dir(&dir);
}

#[test]
fn the_figures_agree_with_the_summary_line_and_threads() {
    let one = scan(&example(), "1");
    let two = scan(&example(), "2");
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("seconds");
        v
    };
    assert_eq!(strip(&one.stats), strip(&two.stats));
    assert_eq!(n(&one.stats, "detections"), one.detections.len() as u64);
    // The default stays the line for people.
    let out = Command::new(env!("CARGO_BIN_EXE_landwatch"))
        .args(["scan", "--format", "jsonl"])
        .arg(example())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{} events read, 0 rejected",
            n(&one.stats, "read")
        )),
        "{stderr}"
    );
}
