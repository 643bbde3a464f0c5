//! What correlation costs on top of matching: the built-in rules over a
//! Sysmon process stream, alone, then with one value_count and one
//! event_count correlation that every event of the stream feeds.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use landwatch::{Rules, RulesBuilder, Scanner};
use landwatch_benches::sysmon_events;

const VALUE_COUNT: &str = "
correlation bench.distinct_images {
    title: 'Many distinct programs per user'
    level: low
    correlate: count distinct Image >= 1000 of process(Image exists) by User within 10m
}";

const EVENT_COUNT: &str = "
correlation bench.busy_host {
    title: 'A burst of processes on one host'
    level: low
    correlate: count >= 5000 of process(Image exists) by Computer within 1m
}";

fn rules(extra: Option<&str>) -> Arc<Rules> {
    let mut b = RulesBuilder::new().add_builtin();
    if let Some(text) = extra {
        b = b.add_source("bench.lw", text);
    }
    Arc::new(b.build().expect("rules compile"))
}

fn correlation_overhead(c: &mut Criterion) {
    let events = sysmon_events(20_000, 7);
    let mut group = c.benchmark_group("correlate");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(20);
    for (name, extra) in [("stateless", None), ("value_count", Some(VALUE_COUNT)), ("event_count", Some(EVENT_COUNT))] {
        let rules = rules(extra);
        group.bench_with_input(BenchmarkId::from_parameter(name), &rules, |b, rules| {
            b.iter(|| {
                // A fresh stream each pass: event time must not go back.
                let mut scanner = Scanner::new(Arc::clone(rules));
                let mut n = 0usize;
                for e in &events {
                    n += scanner.scan_json(e.as_bytes()).map_or(0, |d| d.len());
                }
                n + scanner.flush().len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, correlation_overhead);
criterion_main!(benches);
