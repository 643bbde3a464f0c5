//! Differential test of the Sigma support: for each `process_creation` rule
//! of the corpus, events built from the rule's own selections (each positive
//! selection turned into a matching event, each filter into a non-matching
//! one, and their combinations) are judged the same by the compiled engine
//! and by a naive evaluator that walks the Sigma detection directly
//! (`support/naive_sigma.rs`, written without `landwatch::sigma`).
//!
//! The point is to exercise both verdicts; the only assertion is agreement.

#[path = "support/naive_sigma.rs"]
mod naive_sigma;
#[path = "support/sigma_events.rs"]
mod sigma_events;
#[path = "support/yaml_files.rs"]
mod yaml_files;
use yaml_files::yaml_files;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use landwatch::{sigma, Event, RulesBuilder, Scanner};
use naive_sigma::{Cond, Fields, NaiveRule};
use sigma_events::Wanted;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");
const FOLDER: &str = "sigma/rules/windows/process_creation";

/// At most this many variants per selection (list elements, dashes, offsets).
const VARIANTS: usize = 6;

/// Every Sysmon process creation event carries these.
fn base() -> Fields {
    vec![
        ("EventID".to_string(), "1".to_string()),
        (
            "Channel".to_string(),
            "Microsoft-Windows-Sysmon/Operational".to_string(),
        ),
    ]
}

/// `ev` with `w` applied: fields set (names ignoring case) or removed.
fn merge(mut ev: Fields, w: &Wanted) -> Fields {
    for (name, value) in w {
        ev.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            ev.push((name.clone(), v.clone()));
        }
    }
    ev
}

/// Names of selections under an even (positive) and an odd (filter) number of `not`s.
fn polarity(
    rule: &NaiveRule,
    c: &Cond,
    negated: bool,
    pos: &mut BTreeSet<String>,
    neg: &mut BTreeSet<String>,
) {
    let set = if negated { &mut *neg } else { &mut *pos };
    match c {
        Cond::Sel(n) => {
            set.insert(n.clone());
        }
        Cond::Of { target, .. } => set.extend(rule.expand(target).into_iter().map(String::from)),
        Cond::Not(x) => polarity(rule, x, !negated, pos, neg),
        Cond::And(xs) | Cond::Or(xs) => {
            xs.iter().for_each(|x| polarity(rule, x, negated, pos, neg))
        }
    }
}

/// The events of one rule, without duplicates, in a fixed order.
fn events_for(rule: &NaiveRule) -> (BTreeSet<Fields>, usize) {
    let (mut pos, mut neg) = (BTreeSet::new(), BTreeSet::new());
    polarity(rule, &rule.condition, false, &mut pos, &mut neg);
    let sel = |n: &str| {
        &rule
            .selections
            .iter()
            .find(|(s, _)| s == n)
            .expect("expanded from the rule")
            .1
    };
    let mut out = BTreeSet::new();
    let mut unbuilt = 0;
    let mut union = base();
    for name in &pos {
        let y = sel(name);
        for v in 0..sigma_events::variants(y, VARIANTS) {
            let Some(w) = sigma_events::satisfy(y, v) else {
                unbuilt += 1;
                continue;
            };
            if v == 0 {
                union = merge(union, &w);
                // The same values in upper case: ASCII letters only, and (when
                // there are other letters) all of Unicode; see naive_sigma's `Fold`.
                let case = |f: fn(&str) -> String| -> Wanted {
                    w.iter()
                        .map(|(k, v)| (k.clone(), v.as_deref().map(f)))
                        .collect()
                };
                out.insert(merge(base(), &case(str::to_ascii_uppercase)));
                if w.iter()
                    .any(|(_, v)| v.as_deref().is_some_and(|s| !s.is_ascii()))
                {
                    out.insert(merge(base(), &case(str::to_uppercase)));
                }
            }
            out.insert(merge(base(), &w));
        }
    }
    out.insert(union.clone());
    for name in &neg {
        let y = sel(name);
        let n = sigma_events::variants(y, VARIANTS);
        for v in 0..n {
            if let Some(w) = sigma_events::satisfy(y, v) {
                out.insert(merge(union.clone(), &w));
                if v == 0 {
                    out.insert(merge(base(), &w));
                }
            }
        }
        for v in 0..2 * n {
            if let Some(w) = sigma_events::violate(y, v) {
                out.insert(merge(union.clone(), &w));
            }
        }
    }
    out.remove(&base());
    (out, unbuilt)
}

/// A flat Sysmon JSON object; `EventID` as a number, as Sysmon writes it.
fn to_json(ev: &Fields) -> String {
    let map: serde_json::Map<String, serde_json::Value> = ev
        .iter()
        .map(|(k, v)| {
            let value = match (k.as_str(), v.parse::<u64>()) {
                ("EventID", Ok(n)) => n.into(),
                _ => v.as_str().into(),
            };
            (k.clone(), value)
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

struct Disagreement {
    file: String,
    rule: String,
    event: Fields,
    engine: bool,
    naive: Result<bool, String>,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): engine {}, naive {:?}\n    event: {:?}",
            self.file, self.rule, self.engine, self.naive, self.event
        )
    }
}

#[derive(Default)]
struct Figures {
    rules: usize,
    loaded: usize,
    events: usize,
    both: usize,
    neither: usize,
    rejected: BTreeMap<String, usize>,
    naive_unreadable: BTreeMap<String, usize>,
    duplicates: usize,
    no_event: Vec<String>,
    selections_unbuilt: usize,
    cross_checked: usize,
    disagreements: Vec<Disagreement>,
    /// Events the engine judged differently from fields and from JSON.
    json_differs: Vec<String>,
}

impl Figures {
    fn print(&self, what: &str) {
        println!("sigma differential, {what}:");
        println!(
            "  rules checked: {} (of {} loaded by the engine)",
            self.rules, self.loaded
        );
        println!("  events built: {}", self.events);
        println!(
            "  both fire: {}, neither fires: {}",
            self.both, self.neither
        );
        println!(
            "  other rules the engine fired on them, confirmed by the naive side: {}",
            self.cross_checked
        );
        println!(
            "  skipped, rejected by the engine: {}",
            self.rejected.values().sum::<usize>()
        );
        for (reason, n) in &self.rejected {
            println!("    {n:4} {reason}");
        }
        println!("  skipped, duplicate id: {}", self.duplicates);
        println!(
            "  skipped, unreadable by the naive side: {}",
            self.naive_unreadable.values().sum::<usize>()
        );
        for (reason, n) in &self.naive_unreadable {
            println!("    {n:4} {reason}");
        }
        println!(
            "  skipped, no constructible event: {} rules",
            self.no_event.len()
        );
        for f in &self.no_event {
            println!("    {f}");
        }
        println!(
            "  selections (or variants) with no constructible event: {}",
            self.selections_unbuilt
        );
        println!("  disagreements: {}", self.disagreements.len());
        println!(
            "  fields and JSON scanned differently: {}",
            self.json_differs.len()
        );
    }

    /// Fails with the first 20 disagreements.
    fn assert_agreement(&self) {
        assert!(
            self.json_differs.is_empty(),
            "{} events scan differently as JSON; the first:\n{}",
            self.json_differs.len(),
            self.json_differs
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        if !self.disagreements.is_empty() {
            let first: Vec<String> = self
                .disagreements
                .iter()
                .take(20)
                .map(|d| d.to_string())
                .collect();
            panic!(
                "{} disagreements; the first {}:\n{}",
                self.disagreements.len(),
                first.len(),
                first.join("\n")
            );
        }
    }
}

/// Loads every file (name, YAML) into the engine and the naive evaluator,
/// builds each rule's events, scans them and compares the verdicts.
fn differential(files: &[(String, String)]) -> Figures {
    let mut fig = Figures::default();
    let mut builder = RulesBuilder::new();
    // Engine id -> (file, naive rule), and the ids in load order.
    let mut checked: BTreeMap<String, (String, NaiveRule)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (file, text) in files {
        let loaded = sigma::load(file, text);
        for r in &loaded.rejected {
            *fig.rejected
                .entry(r.reason.chars().take(100).collect())
                .or_default() += 1;
        }
        let mut engine_rules: HashMap<String, _> = loaded
            .rules
            .into_iter()
            .map(|(r, o)| (r.id.clone(), (r, o)))
            .collect();
        for naive in naive_sigma::rules_of(text) {
            let naive = match naive {
                Ok(n) => n,
                Err(reason) => {
                    *fig.naive_unreadable.entry(reason).or_default() += 1;
                    continue;
                }
            };
            let id = format!("sigma.{}", naive.id);
            // A rule the engine rejected is counted above and skipped.
            let Some((rule, origin)) = engine_rules.remove(&id) else {
                continue;
            };
            if checked.contains_key(&id) {
                fig.duplicates += 1;
                continue;
            }
            builder = builder.add_rule(rule, origin);
            order.push(id.clone());
            checked.insert(id, (file.clone(), naive));
        }
    }
    fig.loaded = checked.len();
    let rules = Arc::new(
        builder
            .build()
            .unwrap_or_else(|e| panic!("the loaded rules compile: {e}")),
    );
    let mut scanner = Scanner::new(rules);

    for id in &order {
        let (file, rule) = &checked[id];
        let (events, unbuilt) = events_for(rule);
        fig.selections_unbuilt += unbuilt;
        if events.is_empty() {
            fig.no_event.push(format!("{file} ({id})"));
            continue;
        }
        fig.rules += 1;
        for ev in events {
            fig.events += 1;
            let fired: BTreeSet<String> = scanner
                .scan(&Event::from_fields(&ev))
                .unwrap_or_else(|e| panic!("{file}: event {ev:?} not read: {e}"))
                .into_iter()
                .map(|d| d.rule)
                .collect();
            // The same event as a Sysmon JSON line, read with the default
            // (auto-detected) schema: the engine must not care.
            let json = to_json(&ev);
            let fired_json: BTreeSet<String> = scanner
                .scan_json(json.as_bytes())
                .unwrap_or_else(|e| panic!("{file}: {json} not read: {e}"))
                .into_iter()
                .map(|d| d.rule)
                .collect();
            if fired != fired_json {
                fig.json_differs.push(format!(
                    "{json}\n    from fields: {fired:?}\n    from JSON: {fired_json:?}"
                ));
            }
            let engine = fired.contains(id);
            let naive = rule.eval(&ev);
            if naive == Ok(engine) {
                if engine {
                    fig.both += 1;
                } else {
                    fig.neither += 1;
                }
            } else {
                fig.differ(file, id, &ev, engine, naive);
            }
            // Every other rule the engine fired must match for the naive side too.
            for other in fired.iter().filter(|o| *o != id) {
                let (ofile, orule) = &checked[other];
                fig.cross_checked += 1;
                let naive = orule.eval(&ev);
                if naive != Ok(true) {
                    fig.differ(ofile, other, &ev, true, naive);
                }
            }
        }
    }
    fig
}

impl Figures {
    fn differ(
        &mut self,
        file: &str,
        id: &str,
        ev: &Fields,
        engine: bool,
        naive: Result<bool, String>,
    ) {
        self.disagreements.push(Disagreement {
            file: file.to_string(),
            rule: id.to_string(),
            event: ev.clone(),
            engine,
            naive,
        });
    }
}

#[test]
fn engine_and_naive_evaluator_agree_on_events_built_from_each_corpus_rule() {
    let dir = Path::new(CORPUS).join(FOLDER);
    if !dir.is_dir() {
        println!(
            "skipping: corpus not found at {} (../shared/corpus/{FOLDER})",
            dir.display()
        );
        return;
    }
    let started = std::time::Instant::now();
    let files: Vec<(String, String)> = yaml_files(&dir)
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&dir).unwrap_or(&p).display().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    let fig = differential(&files);
    fig.print(FOLDER);
    println!("  time: {:.1?}", started.elapsed());
    assert!(fig.rules >= 1000, "only {} rules checked", fig.rules);
    assert!(
        fig.both > 1000 && fig.neither > 1000,
        "both verdicts must be exercised"
    );
    fig.assert_agreement();
}

/// The modifiers and condition forms the corpus folder hardly uses, from
/// hand-written rules (no corpus needed).
#[test]
fn engine_and_naive_evaluator_agree_on_the_other_modifiers() {
    let text = include_str!("support/sigma_modifiers.yml");
    let fig = differential(&[("support/sigma_modifiers.yml".to_string(), text.to_string())]);
    fig.print("support/sigma_modifiers.yml");
    assert!(fig.rules >= 14, "only {} rules checked", fig.rules);
    assert!(fig.no_event.is_empty());
    fig.assert_agreement();
}
