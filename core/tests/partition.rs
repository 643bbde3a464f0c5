//! A stream split by group key (`Scanner::groups_of`), each group's events
//! correlated apart in event-time order with the stream's start
//! (`Scanner::start_stream_at`), gives the correlated detections of one
//! pass over the whole stream: what `landwatch.spark.correlate` relies on.
//! Checked on both examples with the built-in pack (chains, first-seen,
//! zones and business hours included) and on a stream whose groups
//! interleave, and shown to need the stream's start.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use landwatch::{Detection, Event, EventTime, Rules, RulesBuilder, ScanOptions, Scanner, Zones};

const CREDENTIALS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/msp-credentials.jsonl");
const INTRUSION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/msp-intrusion.jsonl");
const ZONES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/zones.toml");

/// A correlated detection as an equality test sees it: rule, the line that
/// completed it, its group, and the lines of its events.
type Seen = (String, u64, Vec<(String, String)>, Vec<u64>);

fn seen(d: &Detection) -> Option<Seen> {
    let c = d.correlation.as_ref()?;
    Some((d.rule.clone(), d.line?, c.group.clone(), c.events.iter().filter_map(|e| e.line).collect()))
}

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect()
}

fn scanner(rules: &Arc<Rules>, zones: &Option<Arc<Zones>>, lateness_secs: u64) -> Scanner {
    let options = ScanOptions { lateness: std::time::Duration::from_secs(lateness_secs), ..ScanOptions::default() };
    let s = Scanner::with_options(Arc::clone(rules), options);
    match zones {
        Some(z) => s.with_zones(Arc::clone(z)),
        None => s,
    }
}

/// One pass: the correlated detections, and whether the stream stayed
/// where the split is exact (nothing late, forced or evicted).
fn one_pass(rules: &Arc<Rules>, zones: &Option<Arc<Zones>>, events: &[String]) -> BTreeSet<Seen> {
    let mut s = scanner(rules, zones, 60);
    let mut found = Vec::new();
    for (i, e) in events.iter().enumerate() {
        found.extend(s.scan(&Event::json(e.as_bytes()).at(None, i as u64 + 1)).unwrap());
    }
    found.extend(s.flush());
    let st = s.stats();
    assert_eq!((st.late, st.forced, st.evicted), (0, 0, 0), "the reference stream must drop nothing");
    found.iter().filter_map(seen).collect()
}

/// The split: each (correlation, key) group's events, in time order (ties
/// in stream order), correlated apart; only that group's detections kept.
fn split(rules: &Arc<Rules>, zones: &Option<Arc<Zones>>, events: &[String], with_start: bool) -> BTreeSet<Seen> {
    let ids = rules.correlation_ids();
    let mut keyer = Scanner::new(Arc::clone(rules));
    let mut groups: BTreeMap<(usize, String), Vec<(i64, usize)>> = BTreeMap::new();
    let mut start: Option<i64> = None;
    for (i, e) in events.iter().enumerate() {
        let g = keyer.groups_of(&Event::json(e.as_bytes())).unwrap();
        let Some(t) = g.time else { continue };
        for group in g.groups {
            start = Some(start.map_or(t.as_nanos(), |s| s.min(t.as_nanos())));
            groups.entry((group.correlation, group.key)).or_default().push((t.as_nanos(), i));
        }
    }
    let mut out = BTreeSet::new();
    for ((corr, key), mut members) in groups {
        members.sort();
        // Lateness 0: the events come sorted.
        let mut s = scanner(rules, zones, 0);
        if let (true, Some(t)) = (with_start, start) {
            s.start_stream_at(EventTime::from_nanos(t));
        }
        let mut found = Vec::new();
        for &(_, i) in &members {
            found.extend(s.scan(&Event::json(events[i].as_bytes()).at(None, i as u64 + 1)).unwrap());
        }
        found.extend(s.flush());
        for d in found {
            if d.rule == ids[corr] && d.group_key().as_deref() == Some(key.as_str()) {
                assert!(out.insert(seen(&d).unwrap()), "a detection from two groups: {d:?}");
            }
        }
    }
    out
}

fn builtin() -> Arc<Rules> {
    Arc::new(RulesBuilder::new().add_builtin().build().unwrap())
}

fn zones() -> Option<Arc<Zones>> {
    Some(Arc::new(Zones::from_toml(&std::fs::read_to_string(ZONES).unwrap()).unwrap()))
}

#[test]
fn the_credentials_example_split_by_group_equals_one_pass() {
    let rules = builtin();
    let events = lines(CREDENTIALS);
    let whole = one_pass(&rules, &zones(), &events);
    assert_eq!(whole.len(), 38, "the example's correlated detections");
    let parts = split(&rules, &zones(), &events, true);
    assert_eq!(parts, whole);
    // Without zones, the zone and business-hours correlations fall silent
    // in both alike.
    assert_eq!(split(&rules, &None, &events, true), one_pass(&rules, &None, &events));
}

#[test]
fn the_intrusion_example_split_by_group_equals_one_pass() {
    let rules = builtin();
    let events = lines(INTRUSION);
    let whole = one_pass(&rules, &None, &events);
    assert_eq!(whole.len(), 1);
    assert_eq!(split(&rules, &None, &events, true), whole);
}

#[test]
fn first_seen_needs_the_streams_start() {
    // A learning day: the first logon of each account is at 08:00 on day
    // one (learned), but host WS9's first correlated event comes on day two.
    const RULE: &str = r#"
correlation t.first_host {
    title: "an account on a host it never used" level: medium
    correlate: first Computer of logon(EventID == 4624) by TargetUser after 1d
}
correlation t.three {
    title: "three failures" level: low
    correlate: count >= 3 of logon(EventID == 4625) within 10m
}
"#;
    let rules = Arc::new(RulesBuilder::new().add_source("t.lw", RULE).build().unwrap());
    let logon = |id: u32, host: &str, user: &str, time: &str| {
        format!(r#"{{"EventID":{id},"Channel":"Security","Computer":"{host}","TimeCreated":"{time}","TargetUserName":"{user}","TargetDomainName":"C","LogonType":3}}"#)
    };
    let events = vec![
        logon(4625, "WS1", "x", "2026-11-02T07:00:00Z"),
        logon(4624, "WS1", "alice", "2026-11-02T08:00:00Z"),
        logon(4624, "WS1", "bob", "2026-11-02T09:00:00Z"),
        logon(4625, "WS1", "x", "2026-11-02T09:00:01Z"),
        logon(4624, "WS2", "alice", "2026-11-03T07:30:00Z"),
        logon(4625, "WS1", "x", "2026-11-03T07:30:00Z"),
        logon(4624, "WS2", "bob", "2026-11-03T10:00:00Z"),
    ];
    let whole = one_pass(&rules, &None, &events);
    // The stream started at 07:00 on day one, so alice on WS2 at 07:30 on
    // day two is past the learning day; bob on WS2 too.
    let rules_fired: Vec<(&str, u64)> = whole.iter().map(|s| (s.0.as_str(), s.1)).collect();
    assert_eq!(rules_fired, [("t.first_host", 5), ("t.first_host", 7)]);
    assert_eq!(split(&rules, &None, &events, true), whole);
    // Alice's group alone starts learning at 08:00: without the stream's
    // start, her day-two logon falls in her own learning day.
    assert_ne!(split(&rules, &None, &events, false), whole);
}
