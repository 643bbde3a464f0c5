//! Properties of the rule language's correlation blocks: parse(print(ast))
//! == ast for arbitrary correlations and files mixing them with rules, and
//! arbitrary or mutated text never panics. Exact asts and errors are in
//! dsl_correlation.rs.

#[path = "support/dsl.rs"]
mod support;

use std::time::Duration;

use landwatch::ast::{
    Correlation, EventKind, Field, GroupKey, Hours, Level, Measure, Operand, Rule, Source, Step, Threshold, ThresholdOp,
};
use landwatch::dsl::{print_correlation, Parsed};
use landwatch::Origin;
use proptest::prelude::*;
use support::*;

// ---- correlation properties ----

fn threshold() -> impl Strategy<Value = Threshold> {
    prop::collection::vec((prop::sample::select(ThresholdOp::ALL.to_vec()), number()), 1..4)
        .prop_map(Threshold)
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![field().prop_map(Operand::Field), field().prop_map(Operand::Zone)]
}

/// Rule ids and labels, words of the language among them.
fn step_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z_][A-Za-z0-9_.-]{0,10}",
        1 => prop::sample::select(vec![
            "any", "ANY", "then", "by", "within", "after", "of", "process", "logon",
            "explicit_credential", "zone", "count", "distinct", "all", "steps", "first", "and",
            "outside", "during", "rule", "correlation", "title",
        ])
        .prop_map(String::from),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let source = prop_oneof![
        step_name().prop_map(Source::Rule),
        (prop::sample::select(EventKind::ALL.to_vec()), expr())
            .prop_map(|(on, when)| Source::Inline { on, when }),
    ];
    (prop::option::of(step_name()), source).prop_map(|(label, source)| Step { label, source })
}

/// Steps whose labels tell them apart, as the parser requires: a label
/// that repeats another's, or the rule id of another step, is dropped.
fn steps(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), n).prop_map(|mut steps| {
        for i in 0..steps.len() {
            let Some(label) = steps[i].label.clone() else {
                continue;
            };
            let clash = steps.iter().enumerate().any(|(j, s)| {
                (j < i && s.label.as_ref() == Some(&label))
                    || (j != i && s.source == Source::Rule(label.clone()))
            });
            if clash {
                steps[i].label = None;
            }
        }
        steps
    })
}

/// A group key before its steps are known: a name, and for an alias, the
/// steps (by index) and their fields.
type KeyDraft = (String, Option<Vec<(prop::sample::Index, Field)>>);

fn key_draft() -> impl Strategy<Value = KeyDraft> {
    let name = prop_oneof![
        "[A-Za-z_][A-Za-z0-9_]{0,8}",
        prop::sample::select(vec!["Computer", "user", "TargetUserName", "within", "by", "zone", "outside"])
            .prop_map(String::from),
    ];
    let fields = prop::collection::vec((any::<prop::sample::Index>(), field()), 1..3);
    (name, prop::option::of(fields))
}

/// The keys of drafts over `steps`: aliases name steps by label or rule
/// id; names unique ignoring case; a key without aliases is a field name
/// in its canonical spelling.
fn group_keys(drafts: Vec<KeyDraft>, steps: &[Step]) -> Vec<GroupKey> {
    let refs: Vec<String> = steps
        .iter()
        .filter_map(|s| match (&s.label, &s.source) {
            (Some(l), _) => Some(l.clone()),
            (None, Source::Rule(id)) => Some(id.clone()),
            (None, Source::Inline { .. }) => None,
        })
        .collect();
    let mut keys: Vec<GroupKey> = Vec::new();
    for (name, aliases) in drafts {
        let mut fields: Vec<(String, Field)> = Vec::new();
        for (i, f) in aliases.unwrap_or_default() {
            if refs.is_empty() {
                break;
            }
            let r = refs[i.index(refs.len())].clone();
            if !fields.iter().any(|(x, _)| *x == r) {
                fields.push((r, f));
            }
        }
        let name = if fields.is_empty() {
            landwatch::schema::canonical_name(&name)
        } else {
            name
        };
        if !keys.iter().any(|k| k.name.eq_ignore_ascii_case(&name)) {
            keys.push(GroupKey { name, fields });
        }
    }
    keys
}

/// Windows in whole milliseconds, the only ones the language writes.
fn window() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..1000, prop::sample::select(vec![1u64, 1_000, 60_000, 3_600_000, 86_400_000]))
            .prop_map(|(n, unit)| Duration::from_millis(n * unit)),
        any::<u64>().prop_map(Duration::from_millis),
        any::<u64>().prop_map(Duration::from_secs),
        (any::<u64>(), 0u32..1000).prop_map(|(s, ms)| Duration::new(s, ms * 1_000_000)),
    ]
}

fn measure_and_steps() -> impl Strategy<Value = (Measure, Vec<Step>)> {
    let rank = prop_oneof![
        (0u32..=100).prop_map(f64::from),
        (0u32..=10_000).prop_map(|n| f64::from(n) / 100.0),
    ];
    prop_oneof![
        (threshold(), steps(1..4)).prop_map(|(t, s)| (Measure::Count(t), s)),
        (operand(), threshold(), steps(1..4)).prop_map(|(o, t, s)| (Measure::Distinct(o, t), s)),
        (0..3u8, field(), threshold(), steps(1..4)).prop_map(|(m, f, t, s)| {
            let m = match m {
                0 => Measure::Sum(f, t),
                1 => Measure::Avg(f, t),
                _ => Measure::Median(f, t),
            };
            (m, s)
        }),
        (rank, field(), threshold(), steps(1..4))
            .prop_map(|(r, f, t, s)| (Measure::Percentile(r, f, t), s)),
        steps(2..5).prop_map(|s| (Measure::Sequence, s)),
        (prop::option::of(threshold()), steps(1..4)).prop_map(|(t, s)| {
            let t = t.unwrap_or_else(|| Threshold::new(ThresholdOp::Ge, s.len() as f64));
            (Measure::Temporal(t), s)
        }),
        (operand(), steps(1..4)).prop_map(|(o, s)| (Measure::FirstSeen(o), s)),
    ]
}

fn correlation() -> impl Strategy<Value = Correlation> {
    (
        (
            "[A-Za-z_][A-Za-z0-9_.-]{0,15}",
            text(0..20),
            prop::sample::select(Level::ALL.to_vec()),
            prop::collection::vec(prop_oneof!["[A-Za-z0-9_.-]{1,12}", text(0..8)], 0..3),
            prop::collection::vec(text(0..12), 0..3),
            prop::option::of(text(0..20)),
            any::<bool>(),
        ),
        measure_and_steps(),
        prop::collection::vec(key_draft(), 0..4),
        window(),
        prop::option::of(prop::sample::select(vec![Hours::Outside, Hours::During])),
    )
        .prop_map(
            |((id, title, level, tags, references, description, generate), (measure, steps), drafts, window, hours)| {
                let group_by = group_keys(drafts, &steps);
                Correlation {
                    id,
                    title,
                    level,
                    tags,
                    references,
                    description,
                    generate,
                    measure,
                    steps,
                    group_by,
                    window,
                    hours,
                }
            },
        )
}

fn origin() -> Origin {
    Origin {
        file: "p.lw".into(),
        line: 1,
        column: 1,
    }
}

/// Whether every error of `text` points into it, and displays.
fn errors_point_inside(text: &str, file: &str) -> Result<(), TestCaseError> {
    if let Err(es) = landwatch::dsl::parse(file, text) {
        let lines: Vec<&str> = text.split('\n').collect();
        for e in &es.0 {
            prop_assert!(e.line >= 1 && e.line <= lines.len(), "{e}");
            let width = lines[e.line - 1].chars().count();
            prop_assert!(e.column >= 1 && e.column <= width + 1, "{e}");
            let prefix = format!("{file}:");
            prop_assert!(e.to_string().starts_with(&prefix), "{e}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_print_is_identity_for_correlations(c in correlation()) {
        let printed = print_correlation(&c);
        let parsed = landwatch::dsl::parse("p.lw", &printed)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        prop_assert!(parsed.rules.is_empty());
        prop_assert_eq!(parsed.correlations.len(), 1);
        prop_assert_eq!(&parsed.correlations[0].0, &c, "printed:\n{}", printed);
    }

    #[test]
    fn printed_files_of_rules_and_correlations_parse_back(
        rs in prop::collection::vec(rule(), 0..3),
        cs in prop::collection::vec(correlation(), 1..4),
    ) {
        let parsed = Parsed {
            rules: rs
                .into_iter()
                .enumerate()
                .map(|(i, r)| (Rule { id: format!("{}_r{i}", r.id), ..r }, origin()))
                .collect(),
            correlations: cs
                .into_iter()
                .enumerate()
                .map(|(i, c)| (Correlation { id: format!("{}_c{i}", c.id), ..c }, origin()))
                .collect(),
        };
        let printed = landwatch::dsl::print(&parsed);
        let back = landwatch::dsl::parse("p.lw", &printed)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        let asts = |p: &Parsed| {
            (
                p.rules.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>(),
                p.correlations.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(),
            )
        };
        prop_assert_eq!(asts(&back), asts(&parsed));
        // Rules come first, and a blank line stands between blocks.
        let mut starts: Vec<usize> = back.rules.iter().map(|(_, o)| o.line).collect();
        starts.extend(back.correlations.iter().map(|(_, o)| o.line));
        prop_assert!(starts.windows(2).all(|w| w[0] < w[1]));
        let lines: Vec<&str> = printed.split('\n').collect();
        for &line in starts.iter().skip(1) {
            prop_assert_eq!(lines.get(line - 2).copied(), Some(""));
        }
    }

    #[test]
    fn correlation_shaped_noise_gives_an_answer(
        s in "(correlation |rule |[a-zA-Z]{1,3}|[{}():,.'\"#=!<>\\\\-]|[0-9]{1,3}|ms|\\s|\n|correlate: |title: |level: |generate: |count |distinct |sum |percentile |sequence |then |all of |steps |first |of |any |by |within |after |zone|process|logon|outside business hours|and |or |exists |é){0,60}"
    ) {
        errors_point_inside(&s, "fuzz.lw")?;
    }

    #[test]
    fn mutated_correlations_give_an_answer(
        c in correlation(),
        cut_at in any::<prop::sample::Index>(),
        cut_len in 0usize..12,
        junk in text(0..4),
    ) {
        let printed = print_correlation(&c);
        let mut at = cut_at.index(printed.len() + 1);
        while !printed.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + cut_len).min(printed.len());
        while !printed.is_char_boundary(end) {
            end -= 1;
        }
        let mutated = format!("{}{junk}{}", &printed[..at], &printed[end..]);
        errors_point_inside(&mutated, "m.lw")?;
        // And a following rule still parses.
        let then_rule = format!("{mutated}\nrule after.it {{ title: 't' level: low when: x exists }}\n");
        errors_point_inside(&then_rule, "m.lw")?;
    }
}
