//! Events/s and peak memory of correlation over many group keys: a stream of
//! failed logons, each for an account never seen before, through a count
//! and a distinct-value correlation grouped by account.
//!
//! `cargo run --release -p landwatch-benches --bin correlate_scale -- [EVENTS]`
//! (1,000,000 by default). Peak memory is the process's high-water mark
//! (`VmHWM`), read from /proc on Linux.

use std::sync::Arc;
use std::time::Instant;

use landwatch::{RulesBuilder, ScanOptions, Scanner};

const RULES: &str = "
correlation scale.failed_logons {
    title: 'Failed logons for one account'
    level: medium
    correlate: count >= 20 of logon(EventID == 4625) by TargetUser within 10m
}
correlation scale.account_many_hosts {
    title: 'One account fails on many hosts'
    level: medium
    correlate: count distinct Computer >= 5 of logon(EventID == 4625) by TargetUser within 10m
}";

fn high_water_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let rules = Arc::new(RulesBuilder::new().add_source("scale.lw", RULES).build().unwrap_or_else(|e| panic!("{e}")));
    // 1,000 a second: ten minutes of window hold 600,000 accounts.
    let events: Vec<String> = (0..n)
        .map(|i| {
            let (s, ms) = (i / 1000, i % 1000);
            format!(
                r#"{{"EventID":4625,"Channel":"Security","Computer":"WS{:04}.corp.example","TimeCreated":"2026-11-03T{:02}:{:02}:{:02}.{ms:03}Z","TargetUserName":"user{i:07}","TargetDomainName":"CORP","LogonType":3,"IpAddress":"10.1.{}.{}","Status":"0xc000006d"}}"#,
                i % 5000,
                s / 3600 % 24,
                s / 60 % 60,
                s % 60,
                i / 256 % 256,
                i % 256,
            )
        })
        .collect();
    let before = high_water_kib();
    let mut scanner = Scanner::with_options(Arc::clone(&rules), ScanOptions::default());
    let started = Instant::now();
    let mut detections = 0usize;
    let mut peak_groups = 0u64;
    let mut peak_bytes = 0u64;
    for (i, e) in events.iter().enumerate() {
        detections += scanner.scan_json(e.as_bytes()).map_or(0, |d| d.len());
        if i % 10_000 == 0 {
            let s = scanner.stats();
            peak_groups = peak_groups.max(s.groups);
            peak_bytes = peak_bytes.max(s.state_bytes);
        }
    }
    detections += scanner.flush().len();
    let secs = started.elapsed().as_secs_f64();
    let s = scanner.stats();
    println!("{n} events with {n} distinct accounts, 2 correlations grouped by account, 10 min window");
    println!("  {:.0} events/s ({secs:.2} s), {detections} detections", n as f64 / secs);
    println!("  groups: peak {peak_groups}, expired {}, evicted {}", s.expired, s.evicted);
    println!("  state estimate: peak {:.1} MiB (cap {} MiB)", peak_bytes as f64 / 1048576.0, ScanOptions::default().max_state_bytes >> 20);
    if let (Some(b), Some(a)) = (before, high_water_kib()) {
        println!("  process peak memory: {:.1} MiB ({:.1} MiB before the scan, the events held in memory)", a as f64 / 1024.0, b as f64 / 1024.0);
    }
}
