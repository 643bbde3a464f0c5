//! What one correlation adds to matching, in ns per event, quickly (the
//! criterion bench `correlate` measures the same with statistics): the
//! built-in rules over 20,000 generated Sysmon events, alone (`none`), with
//! an event_count correlation every event feeds (`ec`), and with a
//! value_count one (`vc`). Best of ROUNDS passes (15), a fresh scanner
//! each; LAT sets the lateness in seconds (60).
//!
//! `cargo run --release -p landwatch-benches --bin correlate_overhead -- [none|ec|vc]...`

use std::sync::Arc;
use std::time::{Duration, Instant};

use landwatch::{RulesBuilder, ScanOptions, Scanner};

const EVENT_COUNT: &str = "correlation b.busy { title: 'x' level: low correlate: count >= 5000 of process(Image exists) by Computer within 1m }";
const VALUE_COUNT: &str = "correlation b.images { title: 'x' level: low correlate: count distinct Image >= 1000 of process(Image exists) by User within 10m }";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let events = landwatch_benches::sysmon_events(20_000, 7);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let modes: Vec<&str> = if args.is_empty() { vec!["none", "ec", "vc", "none", "ec", "vc"] } else { args.iter().map(String::as_str).collect() };
    let rounds = env("ROUNDS", 15);
    let options = ScanOptions {
        lateness: Duration::from_secs(env("LAT", 60)),
        ..ScanOptions::default()
    };
    for mode in modes {
        let mut b = RulesBuilder::new().add_builtin();
        match mode {
            "ec" => b = b.add_source("bench.lw", EVENT_COUNT),
            "vc" => b = b.add_source("bench.lw", VALUE_COUNT),
            _ => {}
        }
        let rules = Arc::new(b.build().unwrap_or_else(|e| panic!("{e}")));
        let mut detections = 0;
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let started = Instant::now();
            let mut s = Scanner::with_options(Arc::clone(&rules), options.clone());
            for e in &events {
                detections += s.scan_json(e.as_bytes()).map_or(0, |d| d.len());
            }
            detections += s.flush().len();
            best = best.min(started.elapsed().as_secs_f64());
        }
        println!("{mode:5} {:6.0} ns/event ({detections} detections)", best * 1e9 / events.len() as f64);
    }
}
