//! The compiled matcher (automata, necessary atoms, anchored checks) must judge
//! every event as a naive evaluator does that walks the ast per rule per event.

use std::sync::Arc;

use landwatch::ast::{
    CmpOp, EventKind, Expr, Field, FieldForm, Level, Op, Predicate, Quantifier, Rule, Value,
};
use landwatch::{schema, Event, Origin, RulesBuilder, Scanner};
use proptest::prelude::*;

#[path = "support/reference_eval.rs"]
mod reference_eval;
use reference_eval::{kind_of, reference};

// Generators: a small vocabulary so that patterns and values meet often.
const WORDS: &[&str] = &[
    "cmd", "/c", "-c", "certutil", "URLCACHE", "http", "\\", "a", "A", "ab", "ba", "^", "\"",
    " ", "3", "0x3", "é", "→", "net", "user", "/user:", "x.exe", "\\x.exe", "10.1.2.3",
    "::ffff:10.9.8.7", "fe80::1",
];
const FIELDS: &[(&str, FieldForm)] = &[
    ("Image", FieldForm::Default),
    ("CommandLine", FieldForm::Default),
    ("CommandLine", FieldForm::Raw),
    ("User", FieldForm::Default),
    ("LogonType", FieldForm::Default),
    ("AnyField", FieldForm::Default),
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..5).prop_map(|w| w.concat())
}

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..3).prop_map(|w| w.concat())
}

fn predicate() -> impl Strategy<Value = Predicate> {
    let op = prop_oneof![
        pattern().prop_map(|s| Op::Eq(Value::Str(s))),
        pattern().prop_map(|s| Op::Ne(Value::Str(s))),
        (0u8..5).prop_map(|n| Op::Eq(Value::Num(n as f64))),
        prop::collection::vec(pattern(), 1..3).prop_map(|p| Op::Contains(Quantifier::Any, p)),
        prop::collection::vec(pattern(), 1..3).prop_map(|p| Op::Contains(Quantifier::All, p)),
        prop::collection::vec(pattern(), 1..3).prop_map(Op::StartsWith),
        prop::collection::vec(pattern(), 1..3).prop_map(Op::EndsWith),
        prop::collection::vec(
            prop_oneof![
                pattern().prop_map(Value::Str),
                (0u8..5).prop_map(|n| Value::Num(n as f64))
            ],
            1..3
        )
        .prop_map(Op::In),
        (pattern(), pattern()).prop_map(|(a, b)| Op::Like(format!("{a}*{b}"))),
        (pattern(), pattern()).prop_map(|(a, b)| Op::Like(format!("*{a}?{b}"))),
        prop::sample::select(vec![
            "c.d",
            "^cmd",
            "exe$",
            "[0-9]+",
            "user",
            // Shapes whose necessary literals become atoms: runs, classes,
            // alternations, repetitions, case pairs, and `k`/`s`-free runs.
            r"(?:cmd|net)\s*/c",
            r"cert(?:util)?.*http",
            r"[Uu][Ss]er:?",
            r"(?:ab)+a",
            r"\\x\.exe$",
            r"(?-i:URL)cache",
            r"é|→",
        ])
            .prop_map(|r| Op::Matches(r.to_string())),
        Just(Op::Exists),
        (prop::sample::select(vec![CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge]), 0u8..5)
            .prop_map(|(o, n)| Op::Cmp(o, n as f64)),
        prop::collection::vec(
            prop::sample::select(vec!["10.0.0.0/8", "10.1.2.3", "0.0.0.0/0", "fe80::/10", "::/0", "10.9.0.0/16"]),
            1..3
        )
        .prop_map(|ns| Op::Cidr(ns.into_iter().map(String::from).collect())),
        prop::sample::select(FIELDS).prop_map(|(name, form)| Op::SameAs(Field {
            name: name.to_string(),
            form
        })),
    ];
    (prop::sample::select(FIELDS), op, any::<bool>()).prop_map(|((name, form), op, cased)| {
        let normal = form == FieldForm::Default && schema::is_command_line(name);
        let cased = cased && !normal && !matches!(op, Op::Exists | Op::Cmp(..) | Op::Cidr(..));
        Predicate {
            field: Field {
                name: name.to_string(),
                form,
            },
            op,
            cased,
        }
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    predicate().prop_map(Expr::Pred).prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

fn rule_set() -> impl Strategy<Value = Vec<Rule>> {
    prop::collection::vec(
        (
            expr(),
            prop::sample::select(vec![EventKind::Any, EventKind::Process, EventKind::Logon]),
        ),
        1..6,
    )
    .prop_map(|rs| {
        rs.into_iter()
            .enumerate()
            .map(|(i, (when, on))| Rule {
                id: format!("r{i}"),
                title: format!("rule {i}"),
                level: Level::Medium,
                tags: vec![],
                references: vec![],
                description: None,
                on,
                when,
            })
            .collect()
    })
}

fn event() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(prop_oneof![text(), (0u8..5).prop_map(|n| n.to_string())]),
        prop::sample::select(vec![None, Some("1"), Some("4624")]),
    )
        .prop_map(|(image, cmd, user, logon, id)| {
            let mut ev = Vec::new();
            for (k, v) in [
                ("Image", image),
                ("CommandLine", cmd),
                ("User", user),
                ("LogonType", logon),
                ("EventID", id.map(String::from)),
            ] {
                if let Some(v) = v {
                    ev.push((k.to_string(), v));
                }
            }
            ev
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn compiled_matcher_agrees_with_the_reference(rules in rule_set(), events in prop::collection::vec(event(), 1..8)) {
        let mut b = RulesBuilder::new();
        for r in &rules {
            b = b.add_rule(r.clone(), Origin { file: "gen".into(), line: 1, column: 1 });
        }
        let compiled = Arc::new(b.build().expect("generated rules compile"));
        let mut scanner = Scanner::new(compiled);
        for ev in &events {
            let got: Vec<String> = scanner
                .scan(&Event::from_fields(ev))
                .unwrap()
                .into_iter()
                .map(|d| d.rule)
                .collect();
            let kind = kind_of(ev);
            let want: Vec<String> = rules
                .iter()
                .filter(|r| reference(r, ev, kind))
                .map(|r| r.id.clone())
                .collect();
            prop_assert_eq!(&got, &want, "event {:?}", ev);
        }
    }

    #[test]
    fn json_and_field_events_scan_alike(rules in rule_set(), ev in event()) {
        let mut b = RulesBuilder::new();
        for r in &rules {
            b = b.add_rule(r.clone(), Origin { file: "gen".into(), line: 1, column: 1 });
        }
        let compiled = Arc::new(b.build().expect("generated rules compile"));
        let mut scanner = Scanner::new(compiled);
        // Keys in the event's order: `AnyField` lists values in document order.
        let members: Vec<String> = ev
            .iter()
            .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), serde_json::to_string(v).unwrap()))
            .collect();
        let line = format!("{{{}}}", members.join(",")).into_bytes();
        let from_json: Vec<String> = scanner.scan_json(&line).unwrap().into_iter().map(|d| d.rule).collect();
        let from_fields: Vec<String> = scanner.scan(&Event::from_fields(&ev)).unwrap().into_iter().map(|d| d.rule).collect();
        prop_assert_eq!(from_json, from_fields);
    }
}

#[test]
fn evidence_names_field_pattern_and_span() {
    let rule = Rule {
        id: "t.certutil".into(),
        title: "certutil download".into(),
        level: Level::High,
        tags: vec!["attack.t1105".into()],
        references: vec![],
        description: None,
        on: EventKind::Process,
        when: Expr::And(vec![
            Expr::Pred(Predicate {
                field: Field::new("Image"),
                op: Op::EndsWith(vec![r"\certutil.exe".into()]),
                cased: false,
            }),
            Expr::Pred(Predicate {
                field: Field::new("CommandLine"),
                op: Op::Contains(Quantifier::Any, vec!["/urlcache".into()]),
                cased: false,
            }),
        ]),
    };
    let rules = Arc::new(
        RulesBuilder::new()
            .add_rule(rule, Origin { file: "t".into(), line: 1, column: 1 })
            .build()
            .unwrap(),
    );
    let mut s = Scanner::new(rules);
    let d = s
        .scan_json(br#"{"EventID":1,"Image":"C:\\Windows\\System32\\CERTUTIL.exe","CommandLine":"c^ertutil.exe  -urlcache -f http://x/y z"}"#)
        .unwrap();
    assert_eq!(d.len(), 1);
    let ev = &d[0].evidence;
    assert_eq!(ev[0].field, "Image");
    assert_eq!(ev[0].matched, r"\CERTUTIL.exe");
    assert_eq!(ev[1].field, "CommandLine");
    assert_eq!(ev[1].pattern, "/urlcache");
    assert_eq!(ev[1].matched, "-urlcache");
    assert_eq!(s.stats().events, 1);
    // Not a process event: the rule does not look at it.
    let d = s
        .scan_json(br#"{"EventID":4624,"Image":"C:\\certutil.exe","CommandLine":"-urlcache"}"#)
        .unwrap();
    assert!(d.is_empty());
    assert!(s.scan_json(b"not json").is_err());
    assert_eq!(s.stats().rejected, 1);
}

#[test]
fn rules_are_shareable_and_scanners_movable_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<landwatch::Rules>();
    send::<Scanner>();
    // One Rules, one Scanner per thread.
    let rules = Arc::new(RulesBuilder::new().add_builtin().build().unwrap());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let rules = rules.clone();
            std::thread::spawn(move || {
                let mut s = Scanner::new(rules);
                s.scan_json(br#"{"EventID":1,"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"}"#)
                    .unwrap()
                    .len()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
}
