//! Events/s for 1, 100 and 1,000 generated rules (mostly non-matching) and for
//! the built-in pack. With necessary atoms the per-event cost should stay
//! nearly flat as rules are added.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use landwatch::{RulesBuilder, Scanner};
use landwatch_benches::{generated_rules, sysmon_events};

fn scan_events(c: &mut Criterion) {
    let events = sysmon_events(10_000, 7);
    let bytes: usize = events.iter().map(String::len).sum();
    let mut group = c.benchmark_group("scan_sysmon");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(20);
    let mut sets: Vec<(String, landwatch::Rules)> = [1usize, 100, 1000]
        .iter()
        .map(|&n| (format!("generated/{n}"), generated_rules(n)))
        .collect();
    sets.push((
        "builtin".to_string(),
        RulesBuilder::new().add_builtin().build().expect("builtin compiles"),
    ));
    for (name, rules) in sets {
        let rules = Arc::new(rules);
        group.bench_with_input(BenchmarkId::from_parameter(&name), &rules, |b, rules| {
            let mut scanner = Scanner::new(rules.clone());
            b.iter(|| {
                let mut n = 0usize;
                for e in &events {
                    n += scanner.scan_json(e.as_bytes()).map_or(0, |d| d.len());
                }
                n
            })
        });
    }
    group.finish();
    eprintln!("({} events, {} bytes per pass)", events.len(), bytes);
}

/// The floor: what a JSON parser alone costs. `dom` builds a serde_json
/// `Value` per event and reads CommandLine; `scan/1 rule` above reads only the
/// fields rules need (see docs/performance.md).
fn json_floor(c: &mut Criterion) {
    let events = sysmon_events(10_000, 7);
    let mut group = c.benchmark_group("json_floor");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(20);
    group.bench_function("dom", |b| {
        b.iter(|| {
            let mut total = 0usize;
            for e in &events {
                let v: serde_json::Value = serde_json::from_str(e).expect("valid JSON");
                total += v["CommandLine"].as_str().map_or(0, str::len);
            }
            total
        })
    });
    group.bench_function("ignored_any", |b| {
        b.iter(|| {
            for e in &events {
                let _: serde::de::IgnoredAny = serde_json::from_str(e).expect("valid JSON");
            }
        })
    });
    group.finish();
}

criterion_group!(benches, scan_events, json_floor);
criterion_main!(benches);
