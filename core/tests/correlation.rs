//! Streaming correlation: each measure on small streams, windows on event
//! time whatever the arrival order, lateness, sources, caps, save/restore.

use std::sync::Arc;
use std::time::Duration;

use landwatch::ast::{
    Correlation, EventKind, Expr, Field, GroupKey, Level, Measure, Op, Operand, Predicate, Source, Step, Threshold,
    ThresholdOp, Value,
};
use landwatch::{Detection, Event, Origin, Rules, RulesBuilder, ScanOptions, Scanner};

fn pred(name: &str, op: Op) -> Expr {
    Expr::Pred(Predicate {
        field: Field::new(name),
        op,
        cased: false,
    })
}

fn eq_num(name: &str, n: f64) -> Expr {
    pred(name, Op::Eq(Value::Num(n)))
}

fn inline(on: EventKind, when: Expr) -> Step {
    Step {
        label: None,
        source: Source::Inline { on, when },
    }
}

fn correlation(id: &str, measure: Measure, steps: Vec<Step>, group_by: &[&str], window: u64) -> Correlation {
    Correlation {
        id: id.into(),
        title: format!("{id} title"),
        level: Level::High,
        tags: vec!["attack.t1110".into()],
        references: Vec::new(),
        description: None,
        generate: true,
        measure,
        steps,
        group_by: group_by.iter().map(|g| GroupKey::field(*g)).collect(),
        window: Duration::from_secs(window),
        hours: None,
    }
}

fn origin() -> Origin {
    Origin {
        file: "test".into(),
        line: 1,
        column: 1,
    }
}

fn rules_of(cs: Vec<Correlation>) -> Arc<Rules> {
    let mut b = RulesBuilder::new();
    for c in cs {
        b = b.add_correlation(c, origin());
    }
    Arc::new(b.build().unwrap_or_else(|e| panic!("{e}")))
}

/// A failed logon at `t` seconds after 2026-11-03T00:00:00Z.
fn failed(t: u64, user: &str, host: &str) -> String {
    logon(t, 4625, user, host, 3, "10.0.0.9")
}

fn logon(t: u64, id: u32, user: &str, host: &str, logon_type: u32, ip: &str) -> String {
    let time = landwatch::EventTime::from_nanos(1_793_664_000_000_000_000 + t as i64 * 1_000_000_000);
    serde_json::json!({
        "EventID": id, "Channel": "Security", "Computer": host, "TimeCreated": time.to_string(),
        "TargetUserName": user, "TargetDomainName": "CORP", "LogonType": logon_type, "IpAddress": ip,
    })
    .to_string()
}

fn run(rules: &Arc<Rules>, options: ScanOptions, events: &[String]) -> Vec<Detection> {
    let mut s = Scanner::with_options(Arc::clone(rules), options);
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let file: Arc<str> = "t.jsonl".into();
        out.extend(s.scan(&Event::json(e.as_bytes()).at(Some(&file), i as u64 + 1)).unwrap());
    }
    out.extend(s.flush());
    out
}

fn brute_force() -> Correlation {
    correlation(
        "cred.brute",
        Measure::Count(Threshold::new(ThresholdOp::Ge, 3.0)),
        vec![inline(EventKind::Logon, eq_num("EventID", 4625.0))],
        &["TargetUserName"],
        60,
    )
}

#[test]
fn windows_slide_on_event_time_not_arrival() {
    let rules = rules_of(vec![brute_force()]);
    // 100 s, 10 s, 120 s: no three within 60 s, in either order.
    let shuffled = [failed(100, "a", "h"), failed(10, "a", "h"), failed(120, "a", "h")];
    let opts = ScanOptions {
        lateness: Duration::from_secs(120),
        ..ScanOptions::default()
    };
    assert!(run(&rules, opts.clone(), &shuffled).is_empty());
    let sorted = [failed(10, "a", "h"), failed(100, "a", "h"), failed(120, "a", "h")];
    assert!(run(&rules, opts.clone(), &sorted).is_empty());
    // Three within 60 s fire once, at the third, whichever order they came in.
    let close = [failed(100, "a", "h"), failed(70, "a", "h"), failed(120, "a", "h"), failed(125, "a", "h")];
    let d = run(&rules, opts, &close);
    assert_eq!(d.len(), 1, "{d:#?}");
    let c = d[0].correlation.as_ref().unwrap();
    assert_eq!(c.count, 3);
    assert_eq!(c.group, vec![("TargetUserName".to_string(), "a".to_string())]);
    assert_eq!(c.events.len(), 3);
    assert_eq!(c.window.start.to_string(), "2026-11-03T00:01:10Z");
    assert_eq!(c.window.end.to_string(), "2026-11-03T00:02:00Z");
    // Completed by the event at 120 s, the third line of the input.
    assert_eq!(d[0].line, Some(3));
    assert_eq!(d[0].host.as_deref(), Some("h"));
    assert_eq!(d[0].user.as_deref(), Some("CORP\\a"));
    assert_eq!(d[0].time.unwrap().to_string(), "2026-11-03T00:02:00Z");
}

#[test]
fn groups_are_separate_and_reset_after_firing() {
    let rules = rules_of(vec![brute_force()]);
    let mut evs = Vec::new();
    for t in 0..7 {
        evs.push(failed(t, "a", "h"));
        evs.push(failed(t, "B", "h"));
    }
    // "b" and "B" are one account; each group fires at its 3rd and 6th.
    evs.push(failed(8, "b", "h"));
    let d = run(&rules, ScanOptions::default(), &evs);
    let per = |u: &str| d.iter().filter(|x| x.correlation.as_ref().unwrap().group[0].1.eq_ignore_ascii_case(u)).count();
    assert_eq!(per("a"), 2);
    assert_eq!(per("b"), 2);
}

#[test]
fn late_events_are_counted_and_skipped() {
    let rules = rules_of(vec![brute_force()]);
    let evs = [failed(1000, "a", "h"), failed(10, "a", "h"), failed(11, "a", "h"), failed(12, "a", "h")];
    let mut s = Scanner::with_options(rules, ScanOptions::default());
    for e in &evs {
        s.scan_json(e.as_bytes()).unwrap();
    }
    assert!(s.flush().is_empty());
    assert_eq!(s.stats().late, 3);
}

/// Network logons by one account on three hosts within ten minutes.
fn many_hosts() -> Correlation {
    correlation(
        "cred.many_hosts",
        Measure::Distinct(Operand::Field(Field::new("Computer")), Threshold::new(ThresholdOp::Ge, 3.0)),
        vec![inline(EventKind::Logon, eq_num("LogonType", 3.0))],
        &["TargetUser"],
        600,
    )
}

#[test]
fn distinct_hosts_per_account() {
    let rules = rules_of(vec![many_hosts()]);
    let evs = [
        logon(0, 4624, "adm", "H1", 3, "10.0.0.1"),
        logon(10, 4624, "adm", "h1", 3, "10.0.0.1"),
        logon(20, 4624, "adm", "H2", 3, "10.0.0.1"),
        logon(30, 4624, "bob", "H3", 3, "10.0.0.1"),
        logon(40, 4624, "adm", "H3", 2, "10.0.0.1"),
        logon(50, 4624, "adm", "H4", 3, "10.0.0.1"),
    ];
    let d = run(&rules, ScanOptions::default(), &evs);
    assert_eq!(d.len(), 1, "{d:#?}");
    let c = d[0].correlation.as_ref().unwrap();
    assert_eq!(c.group, vec![("TargetUser".to_string(), "CORP\\adm".to_string())]);
    assert_eq!(c.count, 3);
    // Each host as its latest logon spells it.
    assert_eq!(c.values, vec!["H2", "H4", "h1"]);
    assert_eq!(c.events.len(), 4);
}

#[test]
fn a_sequence_by_host_and_aliased_user() {
    let c = Correlation {
        group_by: vec![
            GroupKey::field("Computer"),
            GroupKey {
                name: "user".into(),
                fields: vec![("logon".into(), Field::new("TargetUser")), ("tool".into(), Field::new("User"))],
            },
        ],
        ..correlation(
            "cred.logon_then_tool",
            Measure::Sequence,
            vec![
                Step {
                    label: Some("logon".into()),
                    source: Source::Inline {
                        on: EventKind::Logon,
                        when: eq_num("LogonType", 3.0),
                    },
                },
                Step {
                    label: Some("tool".into()),
                    source: Source::Inline {
                        on: EventKind::Process,
                        when: pred("Image", Op::EndsWith(vec!["\\wmic.exe".into()])),
                    },
                },
            ],
            &[],
            300,
        )
    };
    let rules = rules_of(vec![c]);
    let process = |t: u64, host: &str, user: &str| {
        let time = landwatch::EventTime::from_nanos(1_793_664_000_000_000_000 + t as i64 * 1_000_000_000);
        let utc = time.to_string().replace('T', " ").replace('Z', "");
        serde_json::json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": host,
            "UtcTime": utc, "Image": "C:\\Windows\\System32\\wbem\\WMIC.exe", "CommandLine": "wmic process list", "User": user})
        .to_string()
    };
    let evs = [
        process(5, "H1", "CORP\\adm"),            // tool before any logon: nothing
        logon(10, 4624, "adm", "H1", 3, "10.0.0.1"),
        process(20, "H2", "CORP\\adm"),           // other host
        process(30, "H1", "CORP\\bob"),           // other user
        process(400, "H1", "CORP\\adm"),          // too late
        logon(500, 4624, "adm", "H1", 3, "10.0.0.1"),
        process(600, "h1", "corp\\ADM"),          // fires
    ];
    let d = run(&rules, ScanOptions::default(), &evs);
    assert_eq!(d.len(), 1, "{d:#?}");
    let c = d[0].correlation.as_ref().unwrap();
    assert_eq!(c.group[0], ("Computer".to_string(), "h1".to_string()));
    assert_eq!(c.group[1], ("user".to_string(), "corp\\ADM".to_string()));
    assert_eq!(c.events.iter().map(|e| e.line).collect::<Vec<_>>(), vec![Some(6), Some(7)]);
}

#[test]
fn save_and_restore_in_the_middle_gives_one_pass() {
    let rules = rules_of(vec![brute_force()]);
    let evs: Vec<String> = (0..40).map(|i| failed(i * 7 % 50 + i, if i % 3 == 0 { "a" } else { "b" }, "h")).collect();
    let whole = run(&rules, ScanOptions::default(), &evs);
    assert!(!whole.is_empty());
    for cut in [0, 1, 13, 39, 40] {
        let mut s = Scanner::new(Arc::clone(&rules));
        let mut got = Vec::new();
        let file: Arc<str> = "t.jsonl".into();
        for (i, e) in evs[..cut].iter().enumerate() {
            got.extend(s.scan(&Event::json(e.as_bytes()).at(Some(&file), i as u64 + 1)).unwrap());
        }
        let blob = s.save_state();
        let mut r = Scanner::new(Arc::clone(&rules));
        r.restore_state(&blob).unwrap();
        assert_eq!(r.save_state(), blob, "save -> restore -> save gives the same bytes");
        for (i, e) in evs.iter().enumerate().skip(cut) {
            got.extend(r.scan(&Event::json(e.as_bytes()).at(Some(&file), i as u64 + 1)).unwrap());
        }
        got.extend(r.flush());
        let strip = |d: &[Detection]| d.iter().map(|x| (x.rule.clone(), x.line, x.correlation.clone())).collect::<Vec<_>>();
        assert_eq!(strip(&got), strip(&whole), "cut at {cut}");
    }
}

#[test]
fn foreign_and_damaged_state_is_an_error() {
    let rules = rules_of(vec![brute_force()]);
    let mut s = Scanner::new(Arc::clone(&rules));
    s.scan_json(failed(1, "a", "h").as_bytes()).unwrap();
    let blob = s.save_state();
    let other = rules_of(vec![correlation(
        "other",
        Measure::Count(Threshold::new(ThresholdOp::Ge, 2.0)),
        vec![inline(EventKind::Logon, eq_num("EventID", 4625.0))],
        &["TargetUserName"],
        60,
    )]);
    let mut o = Scanner::new(other);
    assert!(matches!(o.restore_state(&blob), Err(landwatch::StateError::OtherRules { .. })));
    assert!(matches!(o.restore_state(b"hello"), Err(landwatch::StateError::NotState)));
    let mut r = Scanner::new(Arc::clone(&rules));
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x41;
        assert!(r.restore_state(&bad).is_err(), "flipped byte {i}");
    }
    for n in 0..blob.len() {
        assert!(r.restore_state(&blob[..n]).is_err());
    }
    r.restore_state(&blob).unwrap();
}

#[test]
fn caps_bound_memory_on_a_million_accounts() {
    let hour = Correlation {
        window: Duration::from_secs(3600),
        ..brute_force()
    };
    let rules = rules_of(vec![hour]);
    let opts = ScanOptions {
        max_groups: 10_000,
        max_state_bytes: 4 << 20,
        ..ScanOptions::default()
    };
    let mut s = Scanner::with_options(rules, opts);
    for i in 0..1_000_000u64 {
        // 100 a second for under three hours: within the hour's window,
        // 360,000 accounts are alive.
        let e = failed(i / 100, &format!("user{i}"), "h");
        s.scan_json(e.as_bytes()).unwrap();
        if i % 100_000 == 0 {
            let st = s.stats();
            assert!(st.groups <= 10_000 && st.state_bytes <= 4 << 20 && st.pending <= 6_001, "{st:?}");
        }
    }
    let st = s.stats();
    assert!(st.groups <= 10_000, "{st:?}");
    // Every account but those still held (or waiting) was evicted.
    assert_eq!(st.evicted + st.groups + st.pending, 1_000_000, "{st:?}");
}

/// Sigma's own example shape: refused logons counted, then an accepted one,
/// a correlation of a correlation, all in one multi-document file.
const SIGMA_CHAIN: &str = "title: Refused logons, then an accepted one
id: 0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5
level: high
correlation:
  type: temporal_ordered
  rules:
    - many_refused
    - accepted
  group-by:
    - TargetUserName
  timespan: 10m
---
title: Many refused logons
id: 1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d
name: many_refused
correlation:
  type: event_count
  rules:
    - refused
  group-by:
    - TargetUserName
  timespan: 10m
  condition:
    gte: 10
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
---
title: Accepted logon
id: 6b5a4c3d-2e1f-4a9b-8c7d-6e5f4a3b2c1d
name: accepted
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
  condition: selection
";

#[test]
fn a_sigma_chain_fires_only_its_outer_correlation() {
    let loaded = landwatch::sigma::load("chain.yml", SIGMA_CHAIN);
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    let rules = Arc::new(RulesBuilder::new().add_sigma(loaded).build().unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(rules.correlation_count(), 2);
    // generate defaults to false: the base rules and the inner correlation
    // are silent.
    assert!(rules.iter().filter(|r| r.kind == landwatch::RuleKind::Stateless).all(|r| !r.reports));
    let mut evs = Vec::new();
    for t in 0..12 {
        evs.push(failed(t * 10, "victim", "dc1"));
        evs.push(failed(t * 10, "other", "dc1"));
    }
    evs.push(logon(200, 4624, "victim", "dc1", 3, "10.0.0.9"));
    evs.push(logon(201, 4624, "bystander", "dc1", 3, "10.0.0.9"));
    let d = run(&rules, ScanOptions::default(), &evs);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].rule, "sigma.0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5");
    let c = d[0].correlation.as_ref().unwrap();
    assert_eq!(c.group, vec![("TargetUserName".to_string(), "victim".to_string())]);
    assert_eq!(c.count, 2);
    // The inner detection stands for its completing event (the tenth refusal).
    assert_eq!(c.events.len(), 2);
    assert_eq!(c.events[0].line, Some(19));
    assert_eq!(c.events[1].line, Some(25));
}

fn sysmon_process(t: u64, host: &str, user: &str, image: &str) -> String {
    let time = landwatch::EventTime::from_nanos(1_793_664_000_000_000_000 + t as i64 * 1_000_000_000);
    let utc = time.to_string().replace('T', " ").replace('Z', "");
    serde_json::json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": host,
        "UtcTime": utc, "Image": image, "CommandLine": image, "User": user})
    .to_string()
}

fn logon_then_wmic() -> Correlation {
    correlation(
        "cred.logon_then_wmic",
        Measure::Sequence,
        vec![
            inline(EventKind::Logon, eq_num("LogonType", 3.0)),
            inline(EventKind::Process, pred("Image", Op::EndsWith(vec!["\\wmic.exe".into()]))),
        ],
        &["Computer"],
        300,
    )
}

#[test]
fn inputs_read_one_after_another_are_ordered_as_sources() {
    let rules = rules_of(vec![logon_then_wmic()]);
    let security = [logon(100, 4624, "adm", "H1", 3, "10.0.0.1"), logon(1000, 4624, "bob", "H9", 3, "10.0.0.2")];
    let sysmon = [sysmon_process(150, "H1", "CORP\\adm", "C:\\Windows\\System32\\wbem\\wmic.exe")];
    // One stream: the Sysmon event comes long after the Security log's end,
    // too late.
    let one: Vec<String> = security.iter().chain(&sysmon).cloned().collect();
    let mut s = Scanner::new(Arc::clone(&rules));
    let mut d = Vec::new();
    for e in &one {
        d.extend(s.scan_json(e.as_bytes()).unwrap());
    }
    d.extend(s.flush());
    assert!(d.is_empty());
    assert_eq!(s.stats().late, 1);
    // Two sources: ordered against each other.
    let mut s = Scanner::new(Arc::clone(&rules));
    let (a, b) = (s.open_source(), s.open_source());
    let mut d = Vec::new();
    for e in &security {
        d.extend(s.scan(&Event::json(e.as_bytes()).from_source(a)).unwrap());
    }
    d.extend(s.close_source(a));
    assert!(d.is_empty(), "nothing is released while b has given nothing");
    for e in &sysmon {
        d.extend(s.scan(&Event::json(e.as_bytes()).from_source(b)).unwrap());
    }
    d.extend(s.close_source(b));
    d.extend(s.flush());
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(s.stats().late, 0);
}

#[test]
fn ordered_output_is_a_timeline() {
    let mut b = RulesBuilder::new().add_source(
        "t.lw",
        "rule t.wmic { title: 'wmic' level: low on: process when: Image endswith '\\wmic.exe' }",
    );
    b = b.add_correlation(logon_then_wmic(), origin());
    let rules = Arc::new(b.build().unwrap());
    let wmic = "C:\\Windows\\System32\\wbem\\wmic.exe";
    let evs = [
        sysmon_process(50, "H1", "CORP\\a", wmic),
        logon(40, 4624, "a", "H1", 3, "10.0.0.1"),
        sysmon_process(30, "H2", "CORP\\a", wmic),
        sysmon_process(45, "H1", "CORP\\a", wmic),
    ];
    let opts = ScanOptions {
        ordered: true,
        ..ScanOptions::default()
    };
    let d = run(&rules, opts, &evs);
    let times: Vec<String> = d.iter().map(|x| x.time.unwrap().to_string()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "{d:#?}");
    // Three wmic detections, and the sequence completed at 45 s.
    assert_eq!(d.len(), 4, "{d:#?}");
    assert_eq!(d[2].rule, "cred.logon_then_wmic");
}

#[test]
fn time_missing_and_previous() {
    let rules = rules_of(vec![brute_force()]);
    let untimed = r#"{"EventID":4625,"Channel":"Security","TargetUserName":"a","LogonType":3}"#.to_string();
    let evs = vec![failed(10, "a", "h"), untimed.clone(), untimed];
    let mut s = Scanner::new(Arc::clone(&rules));
    let mut d = Vec::new();
    for e in &evs {
        d.extend(s.scan_json(e.as_bytes()).unwrap());
    }
    d.extend(s.flush());
    assert!(d.is_empty());
    assert_eq!(s.stats().no_time, 2);
    let opts = ScanOptions {
        time_missing: landwatch::TimeMissing::Previous,
        ..ScanOptions::default()
    };
    let d = run(&rules, opts, &evs);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].time.unwrap().to_string(), "2026-11-03T00:00:10Z");
}

#[test]
fn business_hours_filter_events() {
    let c = Correlation {
        hours: Some(landwatch::ast::Hours::Outside),
        ..correlation(
            "cred.offhours",
            Measure::Count(Threshold::new(ThresholdOp::Ge, 1.0)),
            vec![inline(EventKind::Logon, eq_num("LogonType", 10.0))],
            &["TargetUser"],
            3600,
        )
    };
    let rules = rules_of(vec![c]);
    // 2026-11-03 is a Tuesday; hours 07:00-19:00 UTC.
    let evs = [
        logon(8 * 3600, 4624, "adm", "H1", 10, "10.0.0.1"),
        logon(22 * 3600, 4624, "adm", "H1", 10, "10.0.0.1"),
    ];
    let d = run(&rules, ScanOptions::default(), &evs);
    assert!(d.is_empty(), "without a calendar it never fires");
    let zones = landwatch::Zones::from_toml("[business_hours]\nstart = '07:00'\nend = '19:00'\n").unwrap();
    let mut s = Scanner::new(Arc::clone(&rules)).with_zones(Arc::new(zones));
    let mut d = Vec::new();
    for e in &evs {
        d.extend(s.scan_json(e.as_bytes()).unwrap());
    }
    d.extend(s.flush());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].time.unwrap().to_string(), "2026-11-03T22:00:00Z");
}

#[test]
fn too_many_waiting_are_released_early_and_counted() {
    let rules = rules_of(vec![brute_force()]);
    let opts = ScanOptions {
        max_pending: 10,
        lateness: Duration::from_secs(3600),
        ..ScanOptions::default()
    };
    let mut s = Scanner::with_options(rules, opts);
    for t in 0..100 {
        s.scan_json(failed(t, "a", "h").as_bytes()).unwrap();
        assert!(s.stats().pending <= 10);
    }
    assert_eq!(s.stats().forced, 90);
    // Behind what was released early: too late.
    s.scan_json(failed(0, "a", "h").as_bytes()).unwrap();
    s.flush();
    assert_eq!(s.stats().late, 1);
}

/// One logon in each shape a Windows pipeline writes it: a flat Security
/// export, an EVTX record as the evtx crate renders it, and Winlogbeat's ECS.
fn logon_shapes(user: &str, host: &str, t: &str, record: u64) -> [String; 3] {
    let flat = serde_json::json!({"EventID": 4624, "Channel": "Security", "Computer": host, "TimeCreated": t,
        "EventRecordID": record, "TargetUserName": user, "TargetDomainName": "CORP", "LogonType": 3,
        "IpAddress": "10.0.0.5", "AuthenticationPackageName": "NTLM", "KeyLength": 0});
    let evtx = serde_json::json!({"Event": {"#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {"EventID": 4624, "Channel": "Security", "Computer": host, "EventRecordID": record,
                   "TimeCreated": {"#attributes": {"SystemTime": t}}},
        "EventData": {"TargetUserName": user, "TargetDomainName": "CORP", "LogonType": 3, "IpAddress": "10.0.0.5",
                      "AuthenticationPackageName": "NTLM", "KeyLength": 0}}});
    let ecs = serde_json::json!({"@timestamp": t, "event": {"code": "4624", "category": ["authentication"], "type": ["start"]},
        "host": {"name": host.to_lowercase()},
        "winlog": {"channel": "Security", "event_id": 4624, "computer_name": host, "record_id": record,
                   "event_data": {"TargetUserName": user, "TargetDomainName": "CORP", "LogonType": "3", "IpAddress": "10.0.0.5",
                                  "AuthenticationPackageName": "NTLM", "KeyLength": "0"}},
        "user": {"name": user, "domain": "CORP"}, "source": {"ip": "10.0.0.5"}});
    [flat.to_string(), evtx.to_string(), ecs.to_string()]
}

#[test]
fn logons_correlate_across_flat_evtx_and_ecs_shapes() {
    let rules = rules_of(vec![many_hosts()]);
    let evs = [
        logon_shapes("adm", "H1", "2026-11-03T10:00:00.1234567Z", 11)[0].clone(),
        logon_shapes("adm", "H2", "2026-11-03T10:00:01.5Z", 12)[1].clone(),
        logon_shapes("ADM", "H3", "2026-11-03T10:00:02Z", 13)[2].clone(),
    ];
    let d = run(&rules, ScanOptions::default(), &evs);
    assert_eq!(d.len(), 1, "{d:#?}");
    let x = &d[0];
    assert_eq!(x.correlation.as_ref().unwrap().count, 3);
    assert_eq!((x.host.as_deref(), x.user.as_deref(), x.channel.as_deref()), (Some("H3"), Some("CORP\\ADM"), Some("Security")));
    assert_eq!((x.event_id, x.record), (Some(4624), Some(13)));
    let times: Vec<String> = x.correlation.as_ref().unwrap().events.iter().map(|e| e.time.to_string()).collect();
    assert_eq!(times, ["2026-11-03T10:00:00.1234567Z", "2026-11-03T10:00:01.5Z", "2026-11-03T10:00:02Z"]);
    let records: Vec<Option<u64>> = x.correlation.as_ref().unwrap().events.iter().map(|e| e.record).collect();
    assert_eq!(records, [Some(11), Some(12), Some(13)]);
    // Each shape alone gives the same stateless context.
    let rule = RulesBuilder::new()
        .add_source("t.lw", "rule t.pth { title: 'pth' level: medium on: logon when: AuthenticationPackageName == 'NTLM' and KeyLength == 0 and LogonType == 3 }")
        .build()
        .unwrap();
    let mut s = Scanner::new(Arc::new(rule));
    for shape in logon_shapes("adm", "H1", "2026-11-03T10:00:00Z", 7) {
        let d = s.scan_json(shape.as_bytes()).unwrap();
        assert_eq!(d.len(), 1, "{shape}");
        assert_eq!(d[0].user.as_deref(), Some("CORP\\adm"), "{shape}");
        assert_eq!(d[0].record, Some(7), "{shape}");
        assert_eq!(d[0].time.unwrap().to_string(), "2026-11-03T10:00:00Z", "{shape}");
        assert!(d[0].host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case("H1")), "{shape}");
    }
}

/// docs/correlation.md: every DSL correlation parses, every Sigma one loads,
/// and each Sigma form computes the measure of the DSL form before it, over
/// the same window.
#[test]
fn the_documented_correlations_parse_and_agree() {
    let doc = include_str!("../../docs/correlation.md");
    let mut last: Option<Correlation> = None;
    let (mut dsl, mut sigma) = (0, 0);
    for (i, block) in doc.split("```").enumerate().skip(1).step_by(2) {
        let (lang, body) = block.split_once('\n').unwrap_or(("", block));
        match lang.trim() {
            "" if body.contains("correlation ") => {
                let parsed = landwatch::dsl::parse("doc.lw", body).unwrap_or_else(|e| panic!("{e}\n{body}"));
                assert_eq!(parsed.correlations.len(), 1, "{body}");
                last = Some(parsed.correlations[0].0.clone());
                dsl += 1;
            }
            "yaml" => {
                let text = if body.starts_with("title:") { body.to_string() } else { format!("title: doc\nid: doc-{i}\n{body}") };
                let loaded = landwatch::sigma::load("doc.yml", &text);
                assert!(loaded.rejected.is_empty(), "{:?}\n{text}", loaded.rejected);
                let c = &loaded.correlations[0].0;
                let d = last.take().unwrap_or_else(|| panic!("no DSL form before\n{text}"));
                assert_eq!(std::mem::discriminant(&c.measure), std::mem::discriminant(&d.measure), "{text}");
                assert_eq!(c.window, d.window, "{text}");
                assert_eq!(c.steps.len(), d.steps.len(), "{text}");
                sigma += 1;
            }
            _ => {}
        }
    }
    assert!(dsl >= 8 && sigma >= 5, "{dsl} DSL and {sigma} Sigma examples");
}

#[test]
fn a_time_field_named_by_the_caller() {
    let rules = rules_of(vec![brute_force()]);
    let ev = |t: &str| format!(r#"{{"EventID":4625,"Channel":"Security","TargetUserName":"a","meta":{{"seen":"{t}"}},"TimeCreated":"2000-01-01T00:00:00Z"}}"#);
    let evs = [ev("2026-11-03T10:00:00Z"), ev("2026-11-03T10:00:30Z"), ev("1793700059")];
    // By default the schema's TimeCreated: all at one instant, long ago.
    let d = run(&rules, ScanOptions::default(), &evs);
    assert_eq!(d[0].time.unwrap().to_string(), "2000-01-01T00:00:00Z");
    let opts = ScanOptions {
        time_field: Some("meta.seen".into()),
        ..ScanOptions::default()
    };
    let d = run(&rules, opts, &evs);
    assert_eq!(d.len(), 1);
    let c = d[0].correlation.as_ref().unwrap();
    assert_eq!(c.window.start.to_string(), "2026-11-03T10:00:00Z");
    // Epoch seconds read as such.
    assert_eq!(c.window.end.to_string(), "2026-11-03T10:00:59Z");
    // Events built from fields name it too.
    let mut s = Scanner::with_options(Arc::clone(&rules), ScanOptions { time_field: Some("When".into()), ..ScanOptions::default() });
    for t in ["2026-11-03T10:00:00Z", "2026-11-03T10:00:01Z", "2026-11-03T10:00:02Z"] {
        s.scan(&Event::from_fields(&[("EventID", "4625"), ("Channel", "Security"), ("TargetUserName", "a"), ("When", t)])).unwrap();
    }
    let d = s.flush();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].time.unwrap().to_string(), "2026-11-03T10:00:02Z");
}
