//! Helpers and proptest strategies that the tests of the rule language
//! (dsl.rs) and of its correlations (dsl_correlation.rs) share.
#![allow(dead_code, unused_imports)]

use std::time::Duration;

use landwatch::ast::{
    CmpOp, Correlation, EventKind, Expr, Field, FieldForm, GroupKey, Hours, Level, Measure, Op,
    Operand, Predicate, Quantifier, Rule, Source, Step, Threshold, ThresholdOp, Value,
};
use landwatch::dsl::{print_correlation, print_rule, print_rules, Parsed};
use landwatch::{Origin, RuleError, RuleErrors};
use proptest::prelude::*;

/// The rules of a source (for the tests of rules, which hold no
/// correlations).
pub fn parse(file: &str, text: &str) -> Result<Vec<(Rule, Origin)>, RuleErrors> {
    landwatch::dsl::parse(file, text).map(|p| p.rules)
}

pub const EXAMPLE: &str = r#"
# a comment
rule lotl.certutil_download {
    title: "Certutil downloads a file"
    level: high                       # informational | low | medium | high | critical
    tags: attack.t1105, attack.command_and_control
    references: "https://lolbas-project.github.io/lolbas/Binaries/Certutil/"
    description: "..."
    on: process                       # process | logon | explicit_credential | any
    when: Image endswith '\certutil.exe'
          and CommandLine contains any ('urlcache', 'verifyctl')
          and CommandLine contains 'http'
}
"#;

pub fn pred(name: &str, op: Op) -> Expr {
    Expr::Pred(Predicate {
        field: Field::new(name),
        op,
        cased: false,
    })
}

pub fn cased(name: &str, form: FieldForm, op: Op) -> Expr {
    Expr::Pred(Predicate {
        field: Field {
            name: name.into(),
            form,
        },
        op,
        cased: true,
    })
}

pub fn exists(name: &str) -> Expr {
    pred(name, Op::Exists)
}

pub fn strs(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

pub fn one(text: &str) -> Rule {
    let mut rules = parse("t.lw", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rules.len(), 1);
    rules.remove(0).0
}

pub fn when(cond: &str) -> Expr {
    one(&format!("rule t {{ title: 't' level: low when: {cond} }}")).when
}

/// The errors of `text`, which must not parse.
pub fn errors(text: &str) -> Vec<RuleError> {
    match parse("t.lw", text) {
        Ok(r) => panic!("parsed, expected an error: {r:?}"),
        Err(e) => e.0,
    }
}

/// The one error of `text`: `LINE:COL: message`.
pub fn error(text: &str) -> String {
    let es = errors(text);
    assert_eq!(es.len(), 1, "{es:#?}");
    format!("{}:{}: {}", es[0].line, es[0].column, es[0].message)
}

/// The one error of a rule whose condition is `cond` (it starts at column 38).
pub fn when_error(cond: &str) -> String {
    error(&format!("rule t {{ title: 't' level: low when: {cond} }}"))
}

// ---- properties ----

/// Text of any characters, favouring those the syntax cares about.
pub fn text(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => prop::char::range('a', 'z'),
        1 => prop::sample::select(vec!['\'', '"', '\\', '\n', '\r', '\t', '\0', '#', ' ', '(', ')', ',', '{', '}', '*', '?', '\u{7f}', '\u{85}', '\u{2028}', 'é', '✓', '\u{1F600}']),
        2 => any::<char>(),
    ];
    prop::collection::vec(ch, len).prop_map(|cs| cs.into_iter().collect())
}

pub fn pattern() -> impl Strategy<Value = String> {
    text(1..10)
}

pub fn field() -> impl Strategy<Value = Field> {
    prop::sample::select(vec![
        ("Image", FieldForm::Default),
        ("Image", FieldForm::Raw),
        ("CommandLine", FieldForm::Default),
        ("CommandLine", FieldForm::Raw),
        ("CommandLine", FieldForm::Decoded),
        ("ParentCommandLine", FieldForm::Default),
        ("ParentCommandLine", FieldForm::Decoded),
        ("User", FieldForm::Default),
        ("LogonType", FieldForm::Default),
        ("Custom_Field", FieldForm::Raw),
    ])
    .prop_map(|(n, form)| Field {
        name: n.into(),
        form,
    })
}

pub fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-100_000i64..100_000).prop_map(|n| n as f64),
        (-1000i64..1000, 1u32..6).prop_map(|(n, d)| n as f64 / 10f64.powi(d as i32)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
}

pub fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text(0..10).prop_map(Value::Str),
        number().prop_map(Value::Num)
    ]
}

pub fn predicate() -> impl Strategy<Value = Predicate> {
    let patterns = || prop::collection::vec(pattern(), 1..4);
    let op = prop_oneof![
        value().prop_map(Op::Eq),
        value().prop_map(Op::Ne),
        patterns().prop_map(|p| Op::Contains(Quantifier::Any, p)),
        patterns().prop_map(|p| Op::Contains(Quantifier::All, p)),
        patterns().prop_map(Op::StartsWith),
        patterns().prop_map(Op::EndsWith),
        pattern().prop_map(Op::Like),
        prop::sample::select(vec!["^a+$", "(?i)cmd", r"\d{2,}", "x|y", r"'\s'", "[\"]"])
            .prop_map(|r| Op::Matches(r.into())),
        prop::collection::vec(value(), 1..4).prop_map(Op::In),
        Just(Op::Exists),
        (
            prop::sample::select(vec![CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge]),
            number()
        )
            .prop_map(|(o, n)| Op::Cmp(o, n)),
        prop::collection::vec(prop::sample::select(vec!["10.0.0.0/8", "::1", "fe80::/10"]), 1..3)
            .prop_map(|ns| Op::Cidr(ns.into_iter().map(String::from).collect())),
        field().prop_map(Op::SameAs),
    ];
    (field(), op, any::<bool>()).prop_map(|(field, op, cased)| {
        let normal =
            field.form == FieldForm::Default && landwatch::schema::is_command_line(&field.name);
        let cased = cased && !normal && !matches!(op, Op::Exists | Op::Cmp(..) | Op::Cidr(..));
        Predicate { field, op, cased }
    })
}

pub fn expr() -> impl Strategy<Value = Expr> {
    predicate()
        .prop_map(Expr::Pred)
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
}

pub fn rule() -> impl Strategy<Value = Rule> {
    (
        "[A-Za-z_][A-Za-z0-9_.-]{0,15}",
        text(0..20),
        prop::sample::select(Level::ALL.to_vec()),
        prop::collection::vec(prop_oneof!["[A-Za-z0-9_.-]{1,12}", text(0..8)], 0..3),
        prop::collection::vec(text(0..12), 0..3),
        prop::option::of(text(0..20)),
        prop::sample::select(EventKind::ALL.to_vec()),
        expr(),
    )
        .prop_map(
            |(id, title, level, tags, references, description, on, when)| Rule {
                id,
                title,
                level,
                tags,
                references,
                description,
                on,
                when,
            },
        )
}

