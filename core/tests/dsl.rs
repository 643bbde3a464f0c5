//! The rule language: parsing, errors with positions, and parse(print(ast)) == ast.

use landwatch::ast::{
    CmpOp, EventKind, Expr, Field, FieldForm, Level, Op, Predicate, Quantifier, Rule, Value,
};
use landwatch::dsl::{parse, print_rule, print_rules};
use proptest::prelude::*;

const EXAMPLE: &str = r#"
# a comment
rule lotl.certutil_download {
    title: "Certutil downloads a file"
    level: high                       # informational | low | medium | high | critical
    tags: attack.t1105, attack.command_and_control
    references: "https://lolbas-project.github.io/lolbas/Binaries/Certutil/"
    description: "..."
    on: process                       # event kind: process | logon | explicit_credential | any
    when: Image endswith '\certutil.exe'
          and CommandLine contains any ('urlcache', 'verifyctl')
          and CommandLine contains 'http'
}
"#;

fn pred(name: &str, op: Op) -> Expr {
    Expr::Pred(Predicate {
        field: Field::new(name),
        op,
        cased: false,
    })
}

fn one(text: &str) -> Rule {
    let mut rules = parse("t.lw", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rules.len(), 1);
    rules.remove(0).0
}

fn when(cond: &str) -> Expr {
    one(&format!("rule t {{ title: 't' level: low when: {cond} }}")).when
}

fn error(text: &str) -> String {
    parse("t.lw", text).expect_err("an error").to_string()
}

#[test]
fn the_issue_example_parses() {
    let rules = parse("x.lw", EXAMPLE).unwrap();
    let (r, origin) = &rules[0];
    assert_eq!((origin.line, origin.column), (3, 1));
    assert_eq!(r.id, "lotl.certutil_download");
    assert_eq!(r.level, Level::High);
    assert_eq!(r.on, EventKind::Process);
    assert_eq!(r.tags, vec!["attack.t1105", "attack.command_and_control"]);
    assert_eq!(
        r.when,
        Expr::And(vec![
            pred("Image", Op::EndsWith(vec![r"\certutil.exe".into()])),
            pred(
                "CommandLine",
                Op::Contains(Quantifier::Any, vec!["urlcache".into(), "verifyctl".into()])
            ),
            pred("CommandLine", Op::Contains(Quantifier::Any, vec!["http".into()])),
        ])
    );
}

#[test]
fn operators_precedence_and_forms() {
    assert_eq!(
        when("a == 1 or b exists and not c < 2"),
        Expr::Or(vec![
            pred("a", Op::Eq(Value::Num(1.0))),
            Expr::And(vec![
                pred("b", Op::Exists),
                Expr::Not(Box::new(pred("c", Op::Cmp(CmpOp::Lt, 2.0)))),
            ]),
        ])
    );
    assert_eq!(
        when("(a exists and b exists) and c exists"),
        Expr::And(vec![
            Expr::And(vec![pred("a", Op::Exists), pred("b", Op::Exists)]),
            pred("c", Op::Exists),
        ])
    );
    assert_eq!(when("(((a exists)))"), pred("a", Op::Exists));
    assert_eq!(
        when("commandline.RAW contains all cased ('A', \"b\\n\")"),
        Expr::Pred(Predicate {
            field: Field {
                name: "CommandLine".into(),
                form: FieldForm::Raw
            },
            op: Op::Contains(Quantifier::All, vec!["A".into(), "b\n".into()]),
            cased: true,
        })
    );
    assert_eq!(
        when("LogonType in (3, '10') and x like 'a*b?' and y matches '^c+$' and z != 'q' and w >= -1.5"),
        Expr::And(vec![
            pred("LogonType", Op::In(vec![Value::Num(3.0), Value::Str("10".into())])),
            pred("x", Op::Like("a*b?".into())),
            pred("y", Op::Matches("^c+$".into())),
            pred("z", Op::Ne(Value::Str("q".into()))),
            pred("w", Op::Cmp(CmpOp::Ge, -1.5)),
        ])
    );
    assert_eq!(when("Image startswith any ('a', 'b',)"), pred("Image", Op::StartsWith(vec!["a".into(), "b".into()])));
    assert_eq!(when("x == 'it''s'"), pred("x", Op::Eq(Value::Str("it's".into()))));
}

#[test]
fn errors_point_at_the_spot() {
    let e = error("rule a.b {\n    title: 't'\n    level: hgih\n    when: x exists\n}\n");
    assert!(e.starts_with("t.lw:3:12: in rule a.b: unknown level 'hgih'"), "{e}");
    assert!(e.contains("\n  |           ^") || e.contains('^'), "{e}");
    let e = error("rule a.b {\n  title: 't'\n  level: low\n  colour: red\n  when: x exists\n}");
    assert!(e.starts_with("t.lw:4:3: in rule a.b: unknown key 'colour'"), "{e}");
    let e = error("rule a.b { title: 'open\n level: low when: x exists }");
    assert!(e.starts_with("t.lw:1:19: in rule a.b: unterminated string"), "{e}");
    let e = error("rule a.b { title: 't' level: low when: Image frobs 'x' }");
    assert!(e.starts_with("t.lw:1:46: in rule a.b: expected an operator"), "{e}");
    let e = error("rule a.b { title: 't' level: low when: (x exists }");
    assert!(e.contains("expected ')'"), "{e}");
    let e = error("rule a.b { title: 't' level: low when: x matches '(' }");
    assert!(e.starts_with("t.lw:1:50: in rule a.b: invalid regex"), "{e}");
    let e = error("rule a.b { title: 't' level: low when: Image.decoded contains 'x' }");
    assert!(e.contains("only CommandLine and ParentCommandLine"), "{e}");
    let e = error("rule a.b { title: 't' level: low when: CommandLine contains cased 'X' }");
    assert!(e.contains("CommandLine.raw"), "{e}");
    let e = error("rule a { title: 't' level: low when: x exists }\nrule a { title: 't' level: low when: x exists }");
    assert!(e.starts_with("t.lw:2:1: in rule a: duplicate rule id 'a' (first defined at t.lw:1:1)"), "{e}");
    let e = error("rule a { title: 't' level: low when: x contains '' }");
    assert!(e.contains("empty pattern"), "{e}");
    let e = error("rule a { level: low when: x exists }");
    assert!(e.contains("has no 'title'"), "{e}");
    let deep = format!("rule a {{ title: 't' level: low when: {}x exists{} }}", "(".repeat(500), ")".repeat(500));
    assert!(error(&deep).contains("nested deeper"));
}

#[test]
fn every_error_of_a_file_is_reported() {
    let text = "rule a { title: 't' level: bad when: x exists }\nrule b { title: 't' level: low when: x exists }\nrule c { title: 't' level: low when: x ?? }\n";
    let errs = parse("f.lw", text).unwrap_err();
    assert_eq!(errs.0.len(), 2, "{errs}");
    assert_eq!(errs.0[0].line, 1);
    assert_eq!(errs.0[1].line, 3);
}

#[test]
fn printing_the_example_parses_back() {
    let rules: Vec<Rule> = parse("x.lw", EXAMPLE).unwrap().into_iter().map(|(r, _)| r).collect();
    let printed = print_rules(&rules);
    let again: Vec<Rule> = parse("y.lw", &printed).unwrap().into_iter().map(|(r, _)| r).collect();
    assert_eq!(rules, again);
}

// ---- round trip over generated asts ----

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 '\"\\\\/.:*?-]{1,12}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    prop::sample::select(vec![
        ("Image", FieldForm::Default),
        ("CommandLine", FieldForm::Default),
        ("CommandLine", FieldForm::Raw),
        ("CommandLine", FieldForm::Decoded),
        ("User", FieldForm::Raw),
        ("Custom_Field", FieldForm::Default),
    ])
    .prop_map(|(n, f)| Field { name: n.into(), form: f })
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![(-1000i64..1000).prop_map(|n| n as f64), (-1e6f64..1e6f64)]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![any_text().prop_map(Value::Str), number().prop_map(Value::Num)]
}

fn predicate() -> impl Strategy<Value = Predicate> {
    let texts = || prop::collection::vec(any_text(), 1..4);
    let op = prop_oneof![
        value().prop_map(Op::Eq),
        value().prop_map(Op::Ne),
        texts().prop_map(|t| Op::Contains(Quantifier::Any, t)),
        texts().prop_map(|t| Op::Contains(Quantifier::All, t)),
        texts().prop_map(Op::StartsWith),
        texts().prop_map(Op::EndsWith),
        any_text().prop_map(Op::Like),
        prop::sample::select(vec!["^a+$", "(?i)cmd", r"\d{2,}", "x|y"]).prop_map(|r| Op::Matches(r.into())),
        prop::collection::vec(value(), 1..4).prop_map(Op::In),
        Just(Op::Exists),
        (prop::sample::select(vec![CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge]), number()).prop_map(|(o, n)| Op::Cmp(o, n)),
    ];
    (field(), op, any::<bool>()).prop_map(|(field, op, cased)| {
        let normal = field.form == FieldForm::Default && field.name == "CommandLine";
        let cased = cased && !normal && !matches!(op, Op::Exists | Op::Cmp(..));
        Predicate { field, op, cased }
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    predicate().prop_map(Expr::Pred).prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        "[a-z_][a-z0-9_.-]{0,12}",
        any_text(),
        prop::sample::select(Level::ALL.to_vec()),
        prop::collection::vec(prop_oneof!["[a-z0-9_.-]{1,10}", any_text()], 0..3),
        prop::collection::vec(any_text(), 0..2),
        prop::option::of(any_text()),
        prop::sample::select(EventKind::ALL.to_vec()),
        expr(),
    )
        .prop_map(|(id, title, level, tags, references, description, on, when)| Rule {
            id,
            title,
            level,
            tags,
            references,
            description,
            on,
            when,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_print_is_identity(r in rule()) {
        let printed = print_rule(&r);
        let parsed = parse("p.lw", &printed).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(&parsed[0].0, &r, "printed:\n{}", printed);
    }

    #[test]
    fn any_input_gives_an_answer(s in any::<String>()) {
        let _ = parse("fuzz.lw", &s);
    }

    #[test]
    fn rule_shaped_noise_gives_an_answer(s in "(rule|[a-z]{1,3}|[{}():,'\"#=!<>]|\\s|when|title|and|or|not|contains|any|cased|\\.raw){0,40}") {
        let _ = parse("fuzz.lw", &s);
    }
}
