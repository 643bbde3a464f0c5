//! The `landwatch` binary end to end.

use std::path::PathBuf;
use std::process::{Command, Output};

fn landwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_landwatch"))
        .args(args)
        .output()
        .expect("landwatch runs")
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landwatch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `scan --no-builtin --rules RULES --format jsonl EVENTS`.
fn scan_jsonl(rules: &std::path::Path, events: &std::path::Path) -> Output {
    landwatch(&[
        "scan",
        "--no-builtin",
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "jsonl",
        events.to_str().unwrap(),
    ])
}

fn example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/msp-intrusion.jsonl").to_string()
}

const RULE: &str = r#"
rule t.certutil {
    title: "certutil download"
    level: high
    tags: attack.t1105
    on: process
    when: Image endswith '\certutil.exe' and CommandLine contains 'urlcache'
}
"#;

#[test]
fn a_rule_syntax_error_names_file_line_column_and_exits_2() {
    let bad = temp_file("bad.lw", b"rule x.y {\n    title: \"t\"\n    level: high\n    when: Image frobs 'a'\n}\n");
    let out = landwatch(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}:4:17:", bad.display());
    assert!(err.contains(&want), "stderr: {err}");
    assert!(err.contains('^'), "caret line missing: {err}");

    let out = landwatch(&["scan", "--rules", bad.to_str().unwrap(), &example()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_accepts_good_rules_and_unreadable_paths_exit_2() {
    let good = temp_file("good.lw", RULE.as_bytes());
    let out = landwatch(&["check", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 rules compile"));
    let out = landwatch(&["scan", "/nonexistent/events.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/events.jsonl"));
}

#[test]
fn bad_lines_are_counted_and_the_scan_goes_on() {
    let rules = temp_file("one.lw", RULE.as_bytes());
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"EventID\":1,\"Image\":\"C:\\\\certutil.exe\",\"CommandLine\":\"certutil -urlcache -f http://a/b\"}\n");
    input.extend_from_slice(b"{not json\n");
    input.extend_from_slice(b"{\"EventID\":1,\"Image\":\"\xff\xfe\"}\n");
    input.extend_from_slice(b"[1,2,3]\n");
    input.extend_from_slice(b"\n");
    let huge = format!(
        "{{\"EventID\":1,\"Image\":\"C:\\\\certutil.exe\",\"CommandLine\":\"certutil {} -urlcache\"}}\n",
        "A".repeat(1 << 20)
    );
    input.extend_from_slice(huge.as_bytes());
    input.extend_from_slice(b"{\"EventID\":1,\"Image\":\"C:\\\\certutil.exe\",\"CommandLine\":\"certutil -urlcache last\"}\n");
    let events = temp_file("mixed.jsonl", &input);
    let out = scan_jsonl(&rules, &events);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect();
    let at: Vec<u64> = lines.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert_eq!(at, vec![1, 6, 7]);
    for d in &lines {
        for key in ["rule", "title", "level", "tags", "line", "file", "evidence"] {
            assert!(d.get(key).is_some(), "key {key} missing in {d}");
        }
        let ev = &d["evidence"][0];
        for key in ["field", "pattern", "start", "end"] {
            assert!(ev.get(key).is_some(), "evidence key {key} missing in {d}");
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = events.display().to_string();
    assert!(stderr.contains(&format!("{name}:2:")), "{stderr}");
    assert!(stderr.contains(&format!("{name}:3:")), "{stderr}");
    assert!(stderr.contains(&format!("{name}:4:")), "{stderr}");
    assert!(stderr.contains("6 events read, 3 rejected"), "{stderr}");
    assert!(stderr.contains("invalid UTF-8"), "{stderr}");
}

#[test]
fn json_array_files_are_read_too() {
    let rules = temp_file("arr.lw", RULE.as_bytes());
    let events = temp_file(
        "array.json",
        b"[\n {\"EventID\":1,\"Image\":\"C:\\\\certutil.exe\",\"CommandLine\":\"x\"},\n {\"EventID\":1,\"Image\":\"C:\\\\certutil.exe\",\"CommandLine\":\"certutil /urlcache\"}\n]\n",
    );
    let out = scan_jsonl(&rules, &events);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let d: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(d["line"], 3);
}

/// Pretty-printed objects one after another (as `evtx_dump -o json` writes
/// them): each is an event at the line where it starts; a broken one is one
/// counted rejection and the next object is still read.
#[test]
fn concatenated_pretty_printed_objects_are_read_and_a_broken_one_is_skipped() {
    let rules = temp_file("pretty.lw", RULE.as_bytes());
    let hit = "{\n  \"EventID\": 1,\n  \"Image\": \"C:\\\\certutil.exe\",\n  \"CommandLine\": \"certutil -urlcache x\"\n}\n";
    let broken = "{\n  \"EventID\": 1,\n  \"Image\": oops\n}\n";
    let text = format!("\n{hit}{broken}{hit}");
    let events = temp_file("pretty.json", text.as_bytes());
    let out = scan_jsonl(&rules, &events);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 11]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:7: skipped", events.display())), "{stderr}");
    assert!(stderr.contains("3 events read, 1 rejected (1 malformed JSON)"), "{stderr}");
}

/// A directory is read recursively (event files only, in name order); a file
/// that claims to be EVTX but is not is one counted rejection, not a crash.
#[test]
fn directories_are_read_recursively_and_a_damaged_evtx_is_counted() {
    let rules = temp_file("dir.lw", RULE.as_bytes());
    let dir = std::env::temp_dir().join(format!("landwatch-cli-dir-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("b/c")).unwrap();
    let event = b"{\"EventID\":1,\"Image\":\"C:\\\\certutil.exe\",\"CommandLine\":\"certutil -urlcache\"}\n";
    std::fs::write(dir.join("a.jsonl"), event).unwrap();
    std::fs::write(dir.join("b/c/d.json"), event).unwrap();
    std::fs::write(dir.join("b/notes.txt"), b"not events").unwrap();
    let mut fake = b"ElfFile\0".to_vec();
    fake.extend_from_slice(&[0xAB; 300]);
    std::fs::write(dir.join("b/damaged.evtx"), &fake).unwrap();
    let out = scan_jsonl(&rules, &dir);
    assert_eq!(out.status.code(), Some(0));
    let files: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].ends_with("a.jsonl") && files[1].ends_with("d.json"), "{files:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("damaged.evtx:0: skipped"), "{stderr}");
    assert!(stderr.contains("3 events read, 1 rejected (1 unreadable EVTX file)"), "{stderr}");
}

#[test]
fn the_builtin_pack_lists_and_finds_the_example_intrusion() {
    let out = landwatch(&["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.lines().count() > 40, "{listed}");

    let out = landwatch(&["scan", "--format", "jsonl", &example()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().count() >= 10, "{stdout}");
    let out = landwatch(&["scan", &example()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("TIME"));
}

const SIGMA: &str = r#"title: Whoami lists privileges
id: 11111111-2222-3333-4444-555555555555
status: test
level: low
tags:
    - attack.discovery
    - attack.t1033
logsource:
    category: process_creation
    product: windows
detection:
    selection_img:
        - Image|endswith: '\whoami.exe'
        - OriginalFileName: 'whoami.exe'
    selection_cli:
        CommandLine|windash|contains: ' -priv'
    condition: all of selection_*
---
title: Unsupported logsource
id: 66666666-2222-3333-4444-555555555555
logsource:
    category: process_creation
    product: linux
detection:
    sel:
        Image: '/usr/bin/x'
    condition: sel
"#;

#[test]
fn sigma_rules_load_check_convert_and_scan() {
    let rule = temp_file("whoami.yml", SIGMA.as_bytes());
    let out = landwatch(&["check", "--sigma", rule.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().last(), Some("1 rules loaded, 1 rejected"), "{stdout}");
    assert!(stdout.contains("whoami.yml:21: in rule Unsupported logsource: logsource product 'linux' is not supported"), "{stdout}");
    let out = landwatch(&["check", "--strict", "--sigma", rule.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));

    let out = landwatch(&["convert", rule.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let dsl = String::from_utf8_lossy(&out.stdout);
    assert!(dsl.starts_with("rule sigma.11111111-2222-3333-4444-555555555555 {"), "{dsl}");
    assert!(dsl.contains("CommandLine.raw contains ' /priv'"), "{dsl}");

    let events = temp_file(
        "whoami.jsonl",
        b"{\"EventID\":1,\"Image\":\"C:\\\\Windows\\\\System32\\\\whoami.exe\",\"CommandLine\":\"whoami /priv\"}\n{\"EventID\":1,\"Image\":\"C:\\\\Windows\\\\System32\\\\whoami.exe\",\"CommandLine\":\"whoami\"}\n",
    );
    let out = landwatch(&["scan", "--no-builtin", "--sigma", rule.to_str().unwrap(), "--format", "jsonl", events.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("\"line\":1"), "{stdout}");
}

/// `--normalize` finds an obfuscated command line that Sigma's raw reading
/// misses; `--sigma-placeholders` fills `expand`, and without it the rule is
/// rejected naming the placeholder.
#[test]
fn sigma_normalize_and_placeholders() {
    let rule = temp_file("whoami-norm.yml", SIGMA.as_bytes());
    let events = temp_file(
        "whoami-obf.jsonl",
        "{\"EventID\":1,\"Image\":\"C:\\\\Windows\\\\System32\\\\whoami.exe\",\"CommandLine\":\"whoami \\u2013pr^iv\"}\n".as_bytes(),
    );
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--no-builtin", "--sigma", rule.to_str().unwrap(), "--format", "jsonl"];
        args.extend_from_slice(extra);
        args.push(events.to_str().unwrap());
        let out = landwatch(&args);
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert_eq!(scan(&[]), 0);
    assert_eq!(scan(&["--normalize"]), 1);

    let expand = temp_file(
        "expand.yml",
        b"title: Logon from an unknown DC\nid: 22222222-3333-4444-5555-666666666666\nlogsource: {product: windows, service: security}\ndetection:\n  selection:\n    EventID: 4624\n  filter:\n    WorkstationName|expand: '%known_dcs%'\n  condition: selection and not filter\n",
    );
    let out = landwatch(&["check", "--sigma", expand.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("placeholder %known_dcs% has no values"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("0 rules loaded, 1 rejected"));
    let values = temp_file("placeholders.yml", b"known_dcs: [DC01, DC02]\n");
    let out = landwatch(&["check", "--sigma", expand.to_str().unwrap(), "--sigma-placeholders", values.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().last(), Some("1 rules loaded, 0 rejected"), "{stdout}");
    let bad = temp_file("bad-placeholders.yml", b"- just\n- a list\n");
    let out = landwatch(&["check", "--sigma", expand.to_str().unwrap(), "--sigma-placeholders", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a placeholder file is a map"));
}

/// A logsource file extends the table: a category the built-in table lacks
/// loads once the file says which channel and ids it means.
#[test]
fn sigma_logsource_table_from_a_file() {
    let rule = temp_file(
        "file-access.yml",
        b"title: Browser credential store read\nid: 33333333-4444-5555-6666-777777777777\nlogsource: {product: windows, category: file_access}\ndetection:\n  selection:\n    FileName|endswith: '\\Login Data'\n  condition: selection\n",
    );
    let out = landwatch(&["check", "--sigma", rule.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("logsource windows/file_access is not in the logsource table"), "{stdout}");
    let table = temp_file(
        "logsources.yml",
        b"categories:\n  file_access:\n    channel: Microsoft-Windows-Kernel-File/Analytic\n    event_ids: [12]\n",
    );
    let out = landwatch(&["check", "--sigma", rule.to_str().unwrap(), "--sigma-logsources", table.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().last(), Some("1 rules loaded, 0 rejected"), "{stdout}");
    let events = temp_file(
        "file-access.jsonl",
        b"{\"EventID\":12,\"Channel\":\"Microsoft-Windows-Kernel-File/Analytic\",\"FileName\":\"C:\\\\Users\\\\a\\\\Login Data\"}\n{\"EventID\":11,\"Channel\":\"Microsoft-Windows-Kernel-File/Analytic\",\"FileName\":\"C:\\\\Users\\\\a\\\\Login Data\"}\n",
    );
    let out = landwatch(&[
        "scan", "--no-builtin", "--sigma", rule.to_str().unwrap(), "--sigma-logsources", table.to_str().unwrap(),
        "--format", "jsonl", events.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("\"line\":1"), "{stdout}");
}

/// Several threads print the same detections as one, in the same order;
/// `--unordered` prints the same set.
#[test]
fn threads_give_the_same_detections_in_input_order() {
    // Enough copies of the example for many batches per thread.
    let text = std::fs::read_to_string(example()).unwrap().repeat(50);
    let events = temp_file("threads.jsonl", text.as_bytes());
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", "--format", "jsonl"];
        args.extend_from_slice(extra);
        args.push(events.to_str().unwrap());
        let out = landwatch(&args);
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let one = run(&["--threads", "1"]);
    assert!(one.lines().count() > 1000);
    assert_eq!(run(&["--threads", "3"]), one);
    let mut a: Vec<&str> = one.lines().collect();
    let unordered = run(&["--threads", "2", "--unordered"]);
    let mut b: Vec<&str> = unordered.lines().collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
}

fn example_file(name: &str) -> String {
    format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The credential-misuse example through the command: correlated detections
/// in JSON Lines with their group, window and events, every detection with
/// its time and host; and the same as a CSV timeline.
#[test]
fn the_credential_misuse_example_correlates_in_jsonl_and_csv() {
    let zones = example_file("zones.toml");
    let events = example_file("msp-credentials.jsonl");
    let out = landwatch(&["scan", "--zones", &zones, "--format", "jsonl", &events]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let correlated: Vec<&serde_json::Value> = lines.iter().filter(|d| d.get("group").is_some()).collect();
    let rules: std::collections::BTreeSet<&str> = correlated.iter().map(|d| d["rule"].as_str().unwrap()).collect();
    assert!(rules.len() >= 17, "{rules:?}");
    for d in &correlated {
        assert!(d["group"].is_object() && d["window"]["start"].is_string() && d["window"]["end"].is_string(), "{d}");
        assert!(d["count"].as_u64().is_some_and(|n| n >= 1), "{d}");
        let events = d["events"].as_array().unwrap();
        assert!(!events.is_empty() && events.iter().all(|e| e["line"].is_u64() && e["time"].is_string()), "{d}");
        // Completed by its last event.
        assert_eq!(events.last().unwrap()["line"], d["line"], "{d}");
    }
    for d in &lines {
        assert!(d["time"].is_string() && d["host"].is_string(), "{d}");
    }
    // The timeline: the same detections, in event-time order.
    let out = landwatch(&["scan", "--zones", &zones, "--format", "csv", &events]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = csv_rows(&text);
    let header = rows.remove(0);
    assert_eq!(header, ["time", "host", "level", "rule", "title", "channel", "event_id", "record", "user", "file", "line", "details"]);
    assert_eq!(rows.len(), lines.len());
    let times: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let json_times: Vec<&str> = lines.iter().map(|d| d["time"].as_str().unwrap()).collect();
    assert_eq!(times, json_times);
    let instants: Vec<landwatch::EventTime> = times.iter().map(|t| landwatch::EventTime::parse(t).unwrap()).collect();
    assert!(instants.windows(2).all(|w| w[0] <= w[1]), "the timeline is in event-time order");
    assert!(rows.iter().any(|r| r[3] == "corr.credentials_cross_zones" && r[11].contains("TargetUser=NORTHWIND\\nw-admin")), "{text}");
}

/// A minimal CSV reader for the test (quoted fields, doubled quotes).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

/// A Sigma correlation with its base rules in one file: checked, printed in
/// the DSL (which parses back), and scanned.
#[test]
fn sigma_correlations_check_convert_and_scan() {
    let text = "title: Three failed logons for one account
id: 0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5
level: high
correlation:
  type: event_count
  rules: [refused]
  group-by: [TargetUserName]
  timespan: 5m
  condition:
    gte: 3
---
title: Refused logon
id: 8f7e6d5c-4b3a-4291-8e0d-f1e2d3c4b5a6
name: refused
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
";
    let rule = temp_file("failed.yml", text.as_bytes());
    let out = landwatch(&["check", "--strict", "--sigma", rule.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 2 rules compile, 1 of them correlations"));
    let out = landwatch(&["convert", rule.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let dsl = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(dsl.contains("correlation sigma.0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5 {"), "{dsl}");
    assert!(dsl.contains("generate: false"), "{dsl}");
    assert!(dsl.contains("correlate: count >= 3 of sigma.8f7e6d5c-4b3a-4291-8e0d-f1e2d3c4b5a6 by TargetUserName within 5m"), "{dsl}");
    let converted = temp_file("failed.lw", dsl.as_bytes());
    let out = landwatch(&["check", converted.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let events: String = (0..3)
        .map(|i| format!("{{\"EventID\":4625,\"Channel\":\"Security\",\"Computer\":\"DC1\",\"TimeCreated\":\"2026-11-03T10:00:0{i}Z\",\"TargetUserName\":\"bob\"}}\n"))
        .collect();
    let events = temp_file("failed.jsonl", events.as_bytes());
    let out = landwatch(&["scan", "--no-builtin", "--sigma", rule.to_str().unwrap(), "--format", "jsonl", events.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Only the correlation: its base rule does not generate.
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let d: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(d["group"]["TargetUserName"], "bob");
    assert_eq!(d["count"], 3);
    assert_eq!(d["line"], 3);
}
