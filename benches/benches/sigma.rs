//! Events/s of landwatch on generated Sysmon process events with one Sigma
//! rule and with every process_creation rule it loads from SigmaHQ
//! (../shared/corpus/sigma/rules/windows/process_creation). Skips with a
//! message when the corpus is absent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use landwatch::{RulesBuilder, Scanner};
use landwatch_benches::write_process_events;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/sigma/rules/windows/process_creation")
}

/// Every Sigma rule landwatch loads under `dir`, in file order.
fn load(dir: &Path) -> Vec<(landwatch::ast::Rule, landwatch::Origin)> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return Vec::new(),
    };
    files.sort();
    let mut rules = Vec::new();
    for f in files.iter().filter(|f| f.extension().is_some_and(|x| x == "yml")) {
        if let Ok(text) = std::fs::read_to_string(f) {
            rules.extend(landwatch::sigma::load(&f.display().to_string(), &text).rules);
        }
    }
    rules
}

fn build(rules: &[(landwatch::ast::Rule, landwatch::Origin)]) -> Option<landwatch::Rules> {
    let mut b = RulesBuilder::new();
    for (r, o) in rules {
        b = b.add_rule(r.clone(), o.clone());
    }
    match b.build() {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("sigma bench: rules do not compile, skipped:\n{e}");
            None
        }
    }
}

fn sigma(c: &mut Criterion) {
    let dir = rules_dir();
    let rules = load(&dir);
    if rules.is_empty() {
        eprintln!("sigma bench: no Sigma rules at {} (the shared corpus is absent); skipped", dir.display());
        return;
    }
    let mut buf = Vec::new();
    if let Err(e) = write_process_events(&mut buf, 10_000, 2026) {
        eprintln!("sigma bench: cannot generate events ({e}); skipped");
        return;
    }
    let lines: Vec<&[u8]> = buf.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let mut group = c.benchmark_group("sigma_process_creation");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.sample_size(10);
    // All rules take about 150 ms per pass of 10,000 events.
    group.measurement_time(Duration::from_secs(10));
    let sets = [("1 rule".to_string(), &rules[..1]), (format!("{} rules", rules.len()), &rules[..])];
    for (name, set) in sets {
        let Some(compiled) = build(set) else { continue };
        let compiled = Arc::new(compiled);
        group.bench_with_input(BenchmarkId::from_parameter(&name), &compiled, |b, compiled| {
            let mut scanner = Scanner::new(compiled.clone());
            b.iter(|| {
                let mut n = 0usize;
                for line in &lines {
                    n += scanner.scan_json(line).map_or(0, |d| d.len());
                }
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sigma);
criterion_main!(benches);
