//! The compiled matcher against the reference evaluator, on arbitrary rule
//! text and events. The input is rule source, a NUL byte, then events one
//! per line, each a JSON object whose string and number members are the
//! event's fields (other members are left out, so that the event is flat as
//! the evaluator models it).
//!
//! Oracle: for every event, the rules the scanner reports are exactly those
//! the naive evaluator (core/tests/support/reference_eval.rs, shared with
//! core's property tests) finds true, in rule order. The automaton, the
//! necessary atoms, the memo and the anchored checks must change nothing.
#![no_main]
use std::sync::Arc;

use landwatch::{dsl, Event, RulesBuilder, Scanner};
use libfuzzer_sys::fuzz_target;

#[path = "../../core/tests/support/reference_eval.rs"]
mod reference_eval;

/// The flat fields of one JSON line: string members as they are, numbers
/// as serde_json writes them; the first of names equal ignoring ASCII case
/// (field names match ignoring case, so a second could never be read).
fn fields(line: &[u8]) -> Option<Vec<(String, String)>> {
    let serde_json::Value::Object(map) = serde_json::from_slice(line).ok()? else { return None };
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in map {
        let v = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if !out.iter().any(|(o, _)| o.eq_ignore_ascii_case(&k)) {
            out.push((k, v));
        }
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let (source, events) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(source) = std::str::from_utf8(source) else { return };
    let Ok(parsed) = dsl::parse("fuzz.lw", source) else { return };
    let rules: Vec<_> = parsed.rules;
    let mut builder = RulesBuilder::new();
    for (rule, origin) in &rules {
        builder = builder.add_rule(rule.clone(), origin.clone());
    }
    let Ok(compiled) = builder.build() else { return };
    let mut scanner = Scanner::new(Arc::new(compiled));
    for line in events.split(|&b| b == b'\n').take(32) {
        let Some(ev) = fields(line) else { continue };
        let got: Vec<String> = match scanner.scan(&Event::from_fields(&ev)) {
            Ok(found) => found.into_iter().map(|d| d.rule).collect(),
            Err(e) => panic!("a flat event was rejected: {e}"),
        };
        let kind = reference_eval::kind_of(&ev);
        let want: Vec<String> = rules
            .iter()
            .filter(|(r, _)| reference_eval::reference(r, &ev, kind))
            .map(|(r, _)| r.id.clone())
            .collect();
        assert_eq!(got, want, "event {ev:?}");
    }
});
