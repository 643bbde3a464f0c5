//! SigmaHQ's process_creation rules load into the engine, and the recorded
//! regression events fire the rules they were recorded for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use landwatch::{sigma, RulesBuilder, Scanner};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

#[test]
fn process_creation_rules_load_and_regression_events_fire() {
    let dir = Path::new(CORPUS).join("sigma/rules/windows/process_creation");
    if !dir.is_dir() {
        eprintln!("skipping: Sigma corpus not found at {} (../shared/corpus/sigma)", dir.display());
        return;
    }
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    let mut builder = RulesBuilder::new();
    let (mut loaded, mut rejected) = (0usize, Vec::new());
    let mut by_id = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let l = sigma::load(&f.display().to_string(), &text);
        rejected.extend(l.rejected);
        for (rule, origin) in l.rules {
            loaded += 1;
            // `landwatch convert`: the DSL text of a Sigma rule parses back to the same ast.
            let printed = landwatch::dsl::print_rule(&rule);
            let back = landwatch::dsl::parse("converted.lw", &printed)
                .unwrap_or_else(|e| panic!("{}: converted rule does not parse: {e}\n{printed}", f.display()));
            assert_eq!(back[0].0, rule, "{}: round trip differs\n{printed}", f.display());
            by_id.insert(rule.id.clone(), rule.title.clone());
            builder = builder.add_rule(rule, origin);
        }
    }
    let rules = Arc::new(builder.build().unwrap_or_else(|e| panic!("{e}")));
    let total = loaded + rejected.len();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rejected {
        let key: String = r.reason.chars().take(60).collect();
        *reasons.entry(key).or_default() += 1;
    }
    eprintln!("process_creation: {loaded} of {total} rules loaded ({:.1}%)", 100.0 * loaded as f64 / total as f64);
    for (reason, n) in &reasons {
        eprintln!("  {n:4} rejected: {reason}");
    }
    // The target: at least 99% load.
    assert!(loaded * 100 >= total * 99, "only {loaded} of {total} loaded");

    // Regression cases whose rule loaded: the rule must fire on its events.
    let manifest = std::fs::read_to_string(Path::new(CORPUS).join("sigma-regression/manifest.jsonl")).unwrap();
    let (mut cases, mut passed, mut failed) = (0, 0, Vec::new());
    for line in manifest.lines() {
        let m: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = format!("sigma.{}", m["rule_id"].as_str().unwrap());
        if !by_id.contains_key(&id) {
            continue;
        }
        cases += 1;
        let events = std::fs::read_to_string(Path::new(CORPUS).join("sigma-regression").join(m["events"].as_str().unwrap())).unwrap();
        let mut scanner = Scanner::new(rules.clone());
        let mut hits = 0;
        for ev in events.lines().filter(|l| !l.trim().is_empty()) {
            if scanner.scan_json(ev.as_bytes()).unwrap().iter().any(|d| d.rule == id) {
                hits += 1;
            }
        }
        let want = m["match_count"].as_u64().unwrap_or(1);
        if hits >= want {
            passed += 1;
        } else {
            failed.push(format!("{id} ({}): {hits} of {want}", by_id[&id]));
        }
    }
    eprintln!("regression: {passed} of {cases} process_creation cases fire");
    for f in &failed {
        eprintln!("  missed: {f}");
    }
    assert!(cases >= 100, "only {cases} regression cases had a loaded rule");
    assert!(failed.is_empty(), "{passed} of {cases} regression cases fired");
}

/// Every Windows rule folder of the corpus, and every regression case whose
/// rule loads: the rule fires on its recorded events.
#[test]
fn windows_rules_load_and_every_regression_case_fires() {
    let root = Path::new(CORPUS).join("sigma");
    if !root.is_dir() {
        eprintln!("skipping: Sigma corpus not found at {} (../shared/corpus/sigma)", root.display());
        return;
    }
    let mut builder = RulesBuilder::new();
    let mut by_id = BTreeMap::new();
    for sub in ["rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"] {
        let mut files = Vec::new();
        yaml_files(&root.join(sub), &mut files);
        let (mut loaded, mut rejected) = (0usize, 0usize);
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let l = sigma::load(&f.display().to_string(), &text);
            rejected += l.rejected.len();
            for (rule, origin) in l.rules {
                loaded += 1;
                by_id.insert(rule.id.clone(), rule.title.clone());
                builder = builder.add_rule(rule, origin);
            }
        }
        eprintln!("{sub}: {loaded} of {} rules loaded", loaded + rejected);
        if sub == "rules/windows" {
            assert!(loaded * 100 >= (loaded + rejected) * 97, "{sub}: {loaded} loaded, {rejected} rejected");
        }
    }
    let rules = Arc::new(builder.build().unwrap_or_else(|e| panic!("{e}")));
    let manifest = std::fs::read_to_string(Path::new(CORPUS).join("sigma-regression/manifest.jsonl")).unwrap();
    let (mut cases, mut skipped, mut failed) = (0, 0, Vec::new());
    for line in manifest.lines() {
        let m: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = format!("sigma.{}", m["rule_id"].as_str().unwrap());
        if !by_id.contains_key(&id) {
            skipped += 1;
            continue;
        }
        cases += 1;
        let events = std::fs::read_to_string(Path::new(CORPUS).join("sigma-regression").join(m["events"].as_str().unwrap())).unwrap();
        let mut scanner = Scanner::new(rules.clone());
        let hits = events
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter(|ev| scanner.scan_json(ev.as_bytes()).unwrap().iter().any(|d| d.rule == id))
            .count() as u64;
        let want = m["match_count"].as_u64().unwrap_or(1);
        if hits < want {
            failed.push(format!("{id} ({}): {hits} of {want}", by_id[&id]));
        }
    }
    eprintln!("regression: {} of {cases} cases fire ({skipped} cases' rules not loaded)", cases - failed.len());
    for f in &failed {
        eprintln!("  missed: {f}");
    }
    assert!(failed.is_empty(), "{} of {cases} cases missed", failed.len());
}
