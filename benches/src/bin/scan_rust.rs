//! The Rust half of the C API's overhead benchmark: the same events, rules
//! and rounds as bindings-c/bench/scan_bench.c, through
//! `lw::Scanner::scan_json` directly, printing the same line (with `rust`
//! for `c`). bindings-c/bench/run.sh runs the two side by side.
//!
//!     cargo run --release -p landwatch-benches --bin scan_rust -- [-r ROUNDS] [-m rule|json] EVENTS.jsonl [RULE_PATH...]
//!
//! As there: every non-empty line is read into memory first (a trailing
//! `\r` cut); the built-in rules, or the paths given sorted as
//! `lw_rules_load` sorts them (`*.yml`/`*.yaml` Sigma, a directory both,
//! anything else the rule language), without the pack; one untimed round,
//! then ROUNDS (10) rounds of a fresh scanner, every event, a flush. Each
//! detection's `rule` is read (`-m json`: and its JSON made with
//! `to_json`), and `check` sums the rule id's first byte and the JSON's
//! length, so that the two sides can be seen to agree.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use landwatch::{Detection, Rules, RulesBuilder, Scanner};

#[derive(Default, PartialEq)]
struct Tally {
    detections: u64,
    check: u64,
    rejected: u64,
}

fn usage() -> ExitCode {
    eprintln!("usage: scan_rust [-r ROUNDS] [-m rule|json] EVENTS.jsonl [RULE_PATH...]");
    ExitCode::from(2)
}

/// What the C callback does with a detection.
fn take(found: &[Detection], json: bool, t: &mut Tally) {
    for d in found {
        let rule = std::hint::black_box(&d.rule);
        t.detections += 1;
        t.check += u64::from(rule.as_bytes().first().copied().unwrap_or(0));
        if json {
            t.check += std::hint::black_box(d.to_json()).len() as u64;
        }
    }
}

/// One round: a fresh scanner over every event, then flushed; its time in ns.
fn round(rules: &Arc<Rules>, events: &[&[u8]], json: bool, t: &mut Tally) -> f64 {
    let mut s = Scanner::new(Arc::clone(rules));
    let began = Instant::now();
    for e in events {
        match s.scan_json(e) {
            Ok(found) => take(&found, json, t),
            Err(_) => t.rejected += 1,
        }
    }
    take(&s.flush(), json, t);
    let took = began.elapsed().as_secs_f64() * 1e9;
    drop(s);
    took
}

fn load_rules(paths: &[String]) -> Result<Rules, String> {
    if paths.is_empty() {
        return RulesBuilder::new().add_builtin().build().map_err(|e| e.to_string());
    }
    let (mut rule_paths, mut sigma_paths) = (Vec::new(), Vec::new());
    for p in paths {
        let path = PathBuf::from(p);
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("yml") | Some("yaml") => sigma_paths.push(path),
            _ if path.is_dir() => {
                rule_paths.push(path.clone());
                sigma_paths.push(path);
            }
            _ => rule_paths.push(path),
        }
    }
    landwatch::read::load_rules(&rule_paths, &sigma_paths, &landwatch::sigma::Options::default(), false)
        .map(|loaded| loaded.rules)
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut rounds, mut json) = (10usize, false);
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        match (args[i].as_str(), args.get(i + 1).map(String::as_str)) {
            ("-r", Some(n)) => match n.parse() {
                Ok(n) if n >= 1 => rounds = n,
                _ => return usage(),
            },
            ("-m", Some("json")) => json = true,
            ("-m", Some("rule")) => json = false,
            _ => return usage(),
        }
        i += 2;
    }
    let Some(path) = args.get(i) else { return usage() };
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("scan_rust: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let events: Vec<&[u8]> =
        text.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).filter(|l| !l.is_empty()).collect();
    if events.is_empty() {
        eprintln!("scan_rust: {path} has no events");
        return ExitCode::FAILURE;
    }
    let rules = match load_rules(&args[i + 1..]) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("scan_rust: rules: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut first = Tally::default();
    round(&rules, &events, json, &mut first); // warms up
    let mut times = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let mut t = Tally::default();
        times.push(round(&rules, &events, json, &mut t));
        if t != first {
            eprintln!("scan_rust: round {r} found {} detections, not {}", t.detections, first.detections);
            return ExitCode::FAILURE;
        }
    }
    times.sort_by(f64::total_cmp);
    let median = if rounds % 2 == 1 { times[rounds / 2] } else { (times[rounds / 2 - 1] + times[rounds / 2]) / 2.0 };
    let n = events.len() as f64;
    println!(
        "rust {} events={} rounds={rounds} detections={} rejected={} check={} min_ns={:.1} median_ns={:.1} events_per_s={:.0}",
        if json { "json" } else { "rule" },
        events.len(),
        first.detections,
        first.rejected,
        first.check,
        times[0] / n,
        median / n,
        n * 1e9 / median,
    );
    ExitCode::SUCCESS
}
