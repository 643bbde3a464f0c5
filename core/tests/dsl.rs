//! The rule language: the ast of every construct, errors at exact positions,
//! recovery, and the properties parse(print(ast)) == ast and "never panics".

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
fn parse(file: &str, text: &str) -> Result<Vec<(Rule, Origin)>, RuleErrors> {
    landwatch::dsl::parse(file, text).map(|p| p.rules)
}

const EXAMPLE: &str = r#"
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

fn pred(name: &str, op: Op) -> Expr {
    Expr::Pred(Predicate {
        field: Field::new(name),
        op,
        cased: false,
    })
}

fn cased(name: &str, form: FieldForm, op: Op) -> Expr {
    Expr::Pred(Predicate {
        field: Field {
            name: name.into(),
            form,
        },
        op,
        cased: true,
    })
}

fn exists(name: &str) -> Expr {
    pred(name, Op::Exists)
}

fn strs(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

fn one(text: &str) -> Rule {
    let mut rules = parse("t.lw", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rules.len(), 1);
    rules.remove(0).0
}

fn when(cond: &str) -> Expr {
    one(&format!("rule t {{ title: 't' level: low when: {cond} }}")).when
}

/// The errors of `text`, which must not parse.
fn errors(text: &str) -> Vec<RuleError> {
    match parse("t.lw", text) {
        Ok(r) => panic!("parsed, expected an error: {r:?}"),
        Err(e) => e.0,
    }
}

/// The one error of `text`: `LINE:COL: message`.
fn error(text: &str) -> String {
    let es = errors(text);
    assert_eq!(es.len(), 1, "{es:#?}");
    format!("{}:{}: {}", es[0].line, es[0].column, es[0].message)
}

/// The one error of a rule whose condition is `cond` (it starts at column 38).
fn when_error(cond: &str) -> String {
    error(&format!("rule t {{ title: 't' level: low when: {cond} }}"))
}

#[test]
fn the_example_parses_to_its_ast() {
    let rules = parse("x.lw", EXAMPLE).unwrap();
    assert_eq!(rules.len(), 1);
    let (r, origin) = &rules[0];
    assert_eq!(
        (origin.file.as_str(), origin.line, origin.column),
        ("x.lw", 3, 1)
    );
    let expected = Rule {
        id: "lotl.certutil_download".into(),
        title: "Certutil downloads a file".into(),
        level: Level::High,
        tags: strs(&["attack.t1105", "attack.command_and_control"]),
        references: strs(&["https://lolbas-project.github.io/lolbas/Binaries/Certutil/"]),
        description: Some("...".into()),
        on: EventKind::Process,
        when: Expr::And(vec![
            pred("Image", Op::EndsWith(strs(&[r"\certutil.exe"]))),
            pred(
                "CommandLine",
                Op::Contains(Quantifier::Any, strs(&["urlcache", "verifyctl"])),
            ),
            pred(
                "CommandLine",
                Op::Contains(Quantifier::Any, strs(&["http"])),
            ),
        ]),
    };
    assert_eq!(r, &expected);
}

#[test]
fn keys_defaults_and_layout() {
    // Keys in any order, `when` followed by keys, `on` defaulting to any,
    // tags as strings, several references, comments everywhere.
    let r = one(
        "rule _x-1.y # c\n{ when: a exists # c\n or b exists\n title: 'T' # c\n tags: 'a b', c.d-e_1\n references: 'r1', \"r2\"\n level: CRITICAL }",
    );
    assert_eq!(r.id, "_x-1.y");
    assert_eq!(r.title, "T");
    assert_eq!(r.level, Level::Critical);
    assert_eq!(r.on, EventKind::Any);
    assert_eq!(r.tags, strs(&["a b", "c.d-e_1"]));
    assert_eq!(r.references, strs(&["r1", "r2"]));
    assert_eq!(r.description, None);
    assert_eq!(r.when, Expr::Or(vec![exists("a"), exists("b")]));
    for (word, kind) in [
        ("process", EventKind::Process),
        ("logon", EventKind::Logon),
        ("explicit_credential", EventKind::ExplicitCredential),
        ("any", EventKind::Any),
    ] {
        let r = one(&format!(
            "rule t {{ title: '' level: informational on: {word} when: a exists }}"
        ));
        assert_eq!(r.on, kind);
    }
    // Several rules, with their origins.
    let rules = parse("m.lw", "rule a { title: 'a' level: low when: x exists }\n\n  rule b {\ntitle: 'b' level: medium when: x exists }").unwrap();
    let at: Vec<_> = rules
        .iter()
        .map(|(r, o)| (r.id.as_str(), o.line, o.column))
        .collect();
    assert_eq!(at, vec![("a", 1, 1), ("b", 3, 3)]);
    assert_eq!(parse("e.lw", "  # nothing\n").unwrap(), vec![]);
}

#[test]
fn every_operator() {
    let cases: Vec<(&str, Op)> = vec![
        ("x == 'a'", Op::Eq(Value::Str("a".into()))),
        ("x == -2.5", Op::Eq(Value::Num(-2.5))),
        ("x != 3", Op::Ne(Value::Num(3.0))),
        ("x != \"b\"", Op::Ne(Value::Str("b".into()))),
        (
            "x contains 'a'",
            Op::Contains(Quantifier::Any, strs(&["a"])),
        ),
        (
            "x contains any ('a', 'b')",
            Op::Contains(Quantifier::Any, strs(&["a", "b"])),
        ),
        (
            "x contains all ('a', 'b')",
            Op::Contains(Quantifier::All, strs(&["a", "b"])),
        ),
        ("x startswith 'a'", Op::StartsWith(strs(&["a"]))),
        (
            "x startswith any ('a','b',)",
            Op::StartsWith(strs(&["a", "b"])),
        ),
        ("x endswith 'a'", Op::EndsWith(strs(&["a"]))),
        ("x endswith any ('a')", Op::EndsWith(strs(&["a"]))),
        ("x like 'a*b?'", Op::Like("a*b?".into())),
        ("x matches '^c+$'", Op::Matches("^c+$".into())),
        (
            "x in (3, '10', 0.25)",
            Op::In(vec![
                Value::Num(3.0),
                Value::Str("10".into()),
                Value::Num(0.25),
            ]),
        ),
        ("x exists", Op::Exists),
        ("x cidr '10.0.0.0/8'", Op::Cidr(strs(&["10.0.0.0/8"]))),
        ("x CIDR any ('10.0.0.0/8', 'fe80::/10',)", Op::Cidr(strs(&["10.0.0.0/8", "fe80::/10"]))),
        ("x sameas y", Op::SameAs(Field::new("y"))),
        ("x < 1", Op::Cmp(CmpOp::Lt, 1.0)),
        ("x <= -1", Op::Cmp(CmpOp::Le, -1.0)),
        ("x > 0.5", Op::Cmp(CmpOp::Gt, 0.5)),
        ("x >= 10", Op::Cmp(CmpOp::Ge, 10.0)),
        // Operator words in any case.
        (
            "x CONTAINS Any ('a')",
            Op::Contains(Quantifier::Any, strs(&["a"])),
        ),
        ("x StartsWith 'a'", Op::StartsWith(strs(&["a"]))),
        ("x EXISTS", Op::Exists),
        ("x In (1)", Op::In(vec![Value::Num(1.0)])),
    ];
    for (cond, op) in cases {
        assert_eq!(when(cond), pred("x", op), "{cond}");
    }
}

#[test]
fn fields_names_and_forms() {
    let f = |cond: &str| match when(cond) {
        Expr::Pred(p) => p.field,
        other => panic!("{other:?}"),
    };
    let field = |name: &str, form| Field {
        name: name.into(),
        form,
    };
    assert_eq!(
        f("commandline exists"),
        field("CommandLine", FieldForm::Default)
    );
    assert_eq!(f("IMAGE exists"), field("Image", FieldForm::Default));
    assert_eq!(
        f("CommandLine.raw exists"),
        field("CommandLine", FieldForm::Raw)
    );
    assert_eq!(
        f("parentcommandline.DECODED exists"),
        field("ParentCommandLine", FieldForm::Decoded)
    );
    assert_eq!(f("Image.raw exists"), field("Image", FieldForm::Raw));
    assert_eq!(
        f("My_Field2 exists"),
        field("My_Field2", FieldForm::Default)
    );
    assert_eq!(f("notepad exists"), field("notepad", FieldForm::Default));
}

#[test]
fn precedence_and_grouping() {
    assert_eq!(
        when("a exists or b exists and not c exists"),
        Expr::Or(vec![
            exists("a"),
            Expr::And(vec![exists("b"), Expr::Not(Box::new(exists("c")))]),
        ])
    );
    assert_eq!(
        when("a exists and b exists and c exists"),
        Expr::And(vec![exists("a"), exists("b"), exists("c")])
    );
    assert_eq!(
        when("a exists or b exists or c exists"),
        Expr::Or(vec![exists("a"), exists("b"), exists("c")])
    );
    // Groups are not flattened into their parent.
    assert_eq!(
        when("(a exists and b exists) and c exists"),
        Expr::And(vec![Expr::And(vec![exists("a"), exists("b")]), exists("c")])
    );
    assert_eq!(
        when("a exists and (b exists or c exists)"),
        Expr::And(vec![exists("a"), Expr::Or(vec![exists("b"), exists("c")])])
    );
    assert_eq!(when("(((a exists)))"), exists("a"));
    assert_eq!(
        when("not not a exists"),
        Expr::Not(Box::new(Expr::Not(Box::new(exists("a")))))
    );
    assert_eq!(
        when("NOT (a exists OR b exists) AnD c exists"),
        Expr::And(vec![
            Expr::Not(Box::new(Expr::Or(vec![exists("a"), exists("b")]))),
            exists("c"),
        ])
    );
    // 64 levels are fine.
    let deep = format!("{}a exists{}", "(".repeat(64), ")".repeat(64));
    assert_eq!(when(&deep), exists("a"));
    let mut nots = exists("a");
    for _ in 0..64 {
        nots = Expr::Not(Box::new(nots));
    }
    assert_eq!(when(&format!("{}a exists", "not ".repeat(64))), nots);
}

#[test]
fn strings_of_both_kinds() {
    let s = |lit: &str| match when(&format!("x == {lit}")) {
        Expr::Pred(Predicate {
            op: Op::Eq(Value::Str(s)),
            ..
        }) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(s(r"'C:\Windows\System32\'"), r"C:\Windows\System32\");
    assert_eq!(s("'it''s'"), "it's");
    assert_eq!(s("''''"), "'");
    assert_eq!(s("''"), "");
    assert_eq!(s("'\"# not a comment'"), "\"# not a comment");
    assert_eq!(s(r#""a\"b\\c\nd\te\rf\0g""#), "a\"b\\c\nd\te\rf\0g");
    assert_eq!(s(r#""\x41\x7f\x7F""#), "A\x7f\x7f");
    assert_eq!(s(r#""\u{263A}\u{1F600}\u{0}""#), "\u{263A}\u{1F600}\0");
    assert_eq!(s(r#""it's 'quoted'""#), "it's 'quoted'");
    assert_eq!(s("'ünïcödé ✓'"), "ünïcödé ✓");
}

#[test]
fn cased_everywhere_it_may_stand() {
    let raw = FieldForm::Raw;
    let def = FieldForm::Default;
    let one = |p: &[&str]| strs(p);
    assert_eq!(
        when("CommandLine.raw contains cased 'AAAA'"),
        cased(
            "CommandLine",
            raw,
            Op::Contains(Quantifier::Any, one(&["AAAA"]))
        )
    );
    assert_eq!(
        when("CommandLine.raw contains any cased ('A', 'B')"),
        cased(
            "CommandLine",
            raw,
            Op::Contains(Quantifier::Any, one(&["A", "B"]))
        )
    );
    assert_eq!(
        when("CommandLine.raw contains cased all ('A', 'B')"),
        cased(
            "CommandLine",
            raw,
            Op::Contains(Quantifier::All, one(&["A", "B"]))
        )
    );
    assert_eq!(
        when("Image == cased 'X'"),
        cased("Image", def, Op::Eq(Value::Str("X".into())))
    );
    assert_eq!(
        when("Image != CASED 'X'"),
        cased("Image", def, Op::Ne(Value::Str("X".into())))
    );
    assert_eq!(
        when("User in cased ('A')"),
        cased("User", def, Op::In(vec![Value::Str("A".into())]))
    );
    assert_eq!(
        when("Image like cased 'A*'"),
        cased("Image", def, Op::Like("A*".into()))
    );
    assert_eq!(
        when("Image matches cased 'A+'"),
        cased("Image", def, Op::Matches("A+".into()))
    );
    assert_eq!(
        when("Image startswith cased 'A'"),
        cased("Image", def, Op::StartsWith(one(&["A"])))
    );
    assert_eq!(
        when("Image endswith any cased ('A')"),
        cased("Image", def, Op::EndsWith(one(&["A"])))
    );
    assert_eq!(
        when("CommandLine.decoded contains cased 'IEX'"),
        cased(
            "CommandLine",
            FieldForm::Decoded,
            Op::Contains(Quantifier::Any, one(&["IEX"]))
        )
    );
    // Without it, matching is case-insensitive.
    assert_eq!(
        when("Image == 'X'"),
        pred("Image", Op::Eq(Value::Str("X".into())))
    );
}

#[test]
fn errors_at_exact_positions() {
    // unknown key
    assert_eq!(
        error("rule a.b {\n  title: 't'\n  level: low\n  colour: red\n  when: x exists\n}"),
        "4:3: unknown key 'colour' (expected one of title, level, tags, references, description, on or when)"
    );
    assert_eq!(
        error("rule a { Title: 't' level: low when: x exists }"),
        "1:10: unknown key 'Title' (keys are lowercase: 'title')"
    );
    // bad level
    assert_eq!(
        error("rule a.b {\n    title: 't'\n    level: hgih\n    when: x exists\n}\n"),
        "3:12: unknown level 'hgih' (expected informational, low, medium, high or critical)"
    );
    assert_eq!(
        error("rule a { title: 't' level: low on: proces when: x exists }"),
        "1:36: unknown event kind 'proces' (expected process, logon, explicit_credential or any)"
    );
    // unterminated strings point at the opening quote
    assert_eq!(
        error("rule a.b { title: 'open\n level: low when: x exists }"),
        "1:19: unterminated string (a string ends on the line it starts)"
    );
    assert_eq!(
        error("rule a { title: 't' level: low\n   when: x == \"abc\\\"\n}"),
        "2:15: unterminated string (a string ends on the line it starts)"
    );
    // unknown escape, at the backslash
    assert!(
        error(r#"rule a { title: "a\qb" level: low when: x exists }"#)
            .starts_with("1:19: unknown escape '\\q'"),
    );
    assert!(
        error(r#"rule a { title: "\x80" level: low when: x exists }"#)
            .starts_with("1:18: invalid escape")
    );
    // missing operator
    assert_eq!(
        error("rule a.b {\n    title: \"t\"\n    level: high\n    when: Image frobs 'a'\n}\n"),
        "4:17: expected an operator (==, !=, contains, startswith, endswith, like, matches, in, cidr, sameas, exists, <, <=, >, >=) after field 'Image', found 'frobs'"
    );
    assert_eq!(
        when_error("Image"),
        "1:44: expected an operator (==, !=, contains, startswith, endswith, like, matches, in, cidr, sameas, exists, <, <=, >, >=) after field 'Image', found '}'"
    );
    // unbalanced parentheses
    assert_eq!(
        when_error("(x exists"),
        "1:48: expected ')' to close '(', found '}'"
    );
    assert_eq!(
        when_error("x exists)"),
        "1:46: unbalanced ')': no '(' to close"
    );
    // bad regex, at the string
    assert_eq!(
        when_error("x matches '('"),
        "1:48: invalid regex: unclosed group"
    );
    assert!(when_error("x matches 'a{99999}{99999}'").starts_with("1:48: invalid regex:"));
    // duplicate id, at the second rule, naming the first
    assert_eq!(
        error("rule a { title: 't' level: low when: x exists }\n  rule a { title: 't' level: low when: x exists }"),
        "2:3: duplicate rule id 'a' (first defined at t.lw:1:1)"
    );
    // `.decoded` on a field without decoded text, at the suffix
    assert_eq!(
        when_error("Image.decoded contains 'x'"),
        "1:44: 'Image.decoded' does not exist: only CommandLine and ParentCommandLine have decoded text"
    );
    assert_eq!(
        when_error("Image.rwa exists"),
        "1:44: unknown field form '.rwa' (expected .raw or .decoded)"
    );
    // `cased` on a normal-form command line, at `cased`
    let e = when_error("CommandLine contains cased 'X'");
    assert!(
        e.starts_with("1:59: 'cased' cannot apply to CommandLine: its normal form is case-folded"),
        "{e}"
    );
    assert!(e.contains("CommandLine.raw"), "{e}");
    let e = when_error("parentcommandline == cased 'X'");
    assert!(
        e.starts_with("1:59: 'cased' cannot apply to ParentCommandLine"),
        "{e}"
    );
    // and where it means nothing
    assert_eq!(
        when_error("x exists cased"),
        "1:47: 'cased' has no meaning on 'exists'"
    );
    assert_eq!(
        when_error("x < cased 3"),
        "1:42: 'cased' has no meaning on a numeric comparison"
    );
    assert_eq!(
        when_error("x contains cased any cased ('a')"),
        "1:59: 'cased' is given twice"
    );
    assert_eq!(
        when_error("x == cased cased 'a'"),
        "1:49: expected a string or a number, found 'cased'"
    );
}

#[test]
fn more_errors() {
    assert_eq!(
        when_error("x cidr '10.0.0.0/33'"),
        "1:45: '10.0.0.0/33' is not a network: the prefix length must be 0 to 32"
    );
    assert_eq!(
        when_error("x cidr any ('10.0.0.0/8', 'intranet')"),
        "1:45: 'intranet' is not a network: 'intranet' is not an IPv4 or IPv6 address"
    );
    assert!(when_error("x cidr cased '::1'").contains("'cased'"));
    assert_eq!(
        when_error("x sameas 'y'"),
        "1:47: expected a field name after 'sameas', found a string"
    );
    assert_eq!(
        when_error("x contains ''"),
        "1:49: empty pattern: give at least one character"
    );
    assert_eq!(
        when_error("x like \"\""),
        "1:45: empty pattern: give at least one character"
    );
    assert_eq!(
        when_error("x contains any ('a', '')"),
        "1:59: empty pattern: give at least one character"
    );
    assert_eq!(
        when_error("x in ()"),
        "1:44: empty list: give at least one value"
    );
    assert_eq!(
        when_error("x contains any ()"),
        "1:54: empty list: give at least one pattern"
    );
    assert_eq!(
        when_error("x in (1 2)"),
        "1:46: expected ',' or ')' in the list, found '2'"
    );
    assert_eq!(
        when_error("x in 1"),
        "1:43: expected '(' to open a list of values, found '1'"
    );
    assert_eq!(when_error("x startswith all ('a')"), "1:51: 'startswith all' is not an operator: use 'startswith any (...)', or 'and' between predicates");
    assert_eq!(
        when_error("x < 'a'"),
        "1:42: expected a number after '<', found a string"
    );
    assert_eq!(
        when_error("x == 3abc"),
        "1:43: malformed number '3abc' (numbers are written like 3, -1 or 0.5)"
    );
    assert_eq!(
        when_error("x == 1.5.2"),
        "1:43: malformed number '1.5.2' (numbers are written like 3, -1 or 0.5)"
    );
    assert_eq!(
        when_error(&format!("x == {}", "9".repeat(400))),
        format!("1:43: number '{}' is out of range", "9".repeat(400))
    );
    assert_eq!(
        when_error("x exists y exists"),
        "1:47: expected 'and', 'or', the next key or '}' after the condition, found 'y'"
    );
    assert_eq!(
        when_error("x exists and"),
        "1:51: expected a condition (a field name, 'not' or '('), found '}'"
    );
    assert_eq!(
        when_error("and x exists"),
        "1:38: expected a field name, 'not' or '(', found the keyword 'and'"
    );
    assert_eq!(
        error("rule a { level: low when: x exists }"),
        "1:1: rule 'a' has no 'title' (required)"
    );
    assert_eq!(
        error("rule a { title: 'a' when: x exists }"),
        "1:1: rule 'a' has no 'level' (required)"
    );
    assert_eq!(
        error("rule a { title: 'a' level: low }"),
        "1:1: rule 'a' has no 'when' (required)"
    );
    assert_eq!(
        error("rule a { title: 'a' title: 'b' level: low when: x exists }"),
        "1:21: 'title' is given twice (each key at most once)"
    );
    assert_eq!(
        error("rule a { title 'a' }"),
        "1:16: expected ':' after 'title', found a string"
    );
    assert_eq!(error("rule a { title: 'a', 'b' }"), "1:20: expected a key (title, level, tags, references, description, on or when) or '}', found ','");
    assert_eq!(
        error("rule a { tags: a, }"),
        "1:19: expected a tag (such as attack.t1105) or a string, found '}'"
    );
    assert_eq!(
        error("rule 9a { }"),
        "1:6: expected a rule id such as lotl.certutil_download, found '9a'"
    );
    assert_eq!(
        error("rule a title: 'x' }"),
        "1:8: expected '{' after the rule id, found 'title'"
    );
    assert_eq!(error("rules"), "1:1: expected 'rule' or 'correlation', found 'rules'");
    assert_eq!(error("rule a { title: 'a' level: low when: x exists"), "1:46: expected a key (title, level, tags, references, description, on or when) or '}', found end of file");
    let e = when_error(&format!("{}a exists{}", "(".repeat(65), ")".repeat(65)));
    assert_eq!(
        e,
        "1:102: condition nested deeper than 64 levels of parentheses and 'not'"
    );
    let e = when_error(&format!("{}a exists", "not ".repeat(65)));
    assert_eq!(
        e,
        "1:294: condition nested deeper than 64 levels of parentheses and 'not'"
    );
}

#[test]
fn every_error_of_a_file_is_reported() {
    let text = "\
rule a { title: 't' level: bad when: x exists }
rule b { title: 't' level: low when: x exists }
rule c { title: 't' level: low when: x ?? }
rule d { title: 't' level: low
    when: x exists
rule e { title: 't' level: low when: x exists }
rule e {
    title: 't' level: low when: y exists }
  garbage
rule f { title: 'x' level: low when: x matches '[' }
";
    let es = errors(text);
    let got: Vec<(usize, usize, Option<&str>)> = es
        .iter()
        .map(|e| (e.line, e.column, e.rule.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 28, Some("a")),
            (3, 40, Some("c")),
            (6, 1, Some("d")),
            (7, 1, Some("e")),
            (9, 3, None),
            (10, 48, Some("f")),
        ],
        "{es:#?}"
    );
    assert_eq!(es[2].message, "expected '}' to end the rule, found 'rule'");
    assert!(
        es[3]
            .message
            .starts_with("duplicate rule id 'e' (first defined at t.lw:6:1)"),
        "{}",
        es[3].message
    );
    assert_eq!(es[4].message, "expected 'rule' or 'correlation', found 'garbage'");
}

#[test]
fn errors_display_like_rustc() {
    let e = parse(
        "rules/x.lw",
        "rule x.y {\n    title: \"t\"\n    level: high\n    when: Image frobs 'a'\n}\n",
    )
    .unwrap_err();
    let shown = e.to_string();
    assert_eq!(
        shown,
        "rules/x.lw:4:17: in rule x.y: expected an operator (==, !=, contains, startswith, endswith, like, matches, in, cidr, sameas, exists, <, <=, >, >=) after field 'Image', found 'frobs'\n  |\n4 |     when: Image frobs 'a'\n  |                 ^"
    );
    let e = parse("y.lw", "oops").unwrap_err().to_string();
    assert!(e.starts_with("y.lw:1:1: expected 'rule' or 'correlation'"), "{e}");
    assert!(e.ends_with("\n  | ^"), "{e}");
}

#[test]
fn hostile_inputs_end_quickly() {
    let started = std::time::Instant::now();
    // Far too deep.
    let deep = format!(
        "rule a {{ title: 't' level: low when: {}x exists }}",
        "(".repeat(100_000)
    );
    assert!(errors(&deep)[0].message.contains("nested deeper"));
    let nots = format!(
        "rule a {{ title: 't' level: low when: {}x exists }}",
        "not ".repeat(100_000)
    );
    assert!(errors(&nots)[0].message.contains("nested deeper"));
    // An error on every line: reporting stops after 100.
    let es = errors(&"rule x {\n".repeat(50_000));
    assert_eq!(es.len(), 101);
    assert!(es[100]
        .message
        .contains("the rest of the file is not checked"));
    // Many good rules.
    let many: String = (0..20_000)
        .map(|i| format!("rule r{i} {{ title: 't' level: low when: x exists and y contains any ('a', 'b') }}\n"))
        .collect();
    assert_eq!(parse("m.lw", &many).unwrap().len(), 20_000);
    // A megabyte token, string and comment.
    let big = "a".repeat(1 << 20);
    let _ = parse(
        "b.lw",
        &format!("rule {big} {{ title: '{big}' level: low when: {big} exists }} # {big}"),
    );
    let _ = parse(
        "b.lw",
        &format!("rule a {{ title: 't' level: low when: x {big} }}"),
    );
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn printing_the_example_parses_back() {
    let rules: Vec<Rule> = parse("x.lw", EXAMPLE)
        .unwrap()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let printed = print_rules(&rules);
    assert_eq!(
        printed,
        "rule lotl.certutil_download {\n    title: 'Certutil downloads a file'\n    level: high\n    tags: attack.t1105, attack.command_and_control\n    references: 'https://lolbas-project.github.io/lolbas/Binaries/Certutil/'\n    description: '...'\n    on: process\n    when: Image endswith '\\certutil.exe' and CommandLine contains any ('urlcache', 'verifyctl') and CommandLine contains 'http'\n}\n"
    );
    let again: Vec<Rule> = parse("y.lw", &printed)
        .unwrap()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(rules, again);
}

#[test]
fn printer_layout() {
    let r = Rule {
        id: "a".into(),
        title: "it's\n".into(),
        level: Level::Low,
        tags: strs(&["ok.tag-1", "not bare"]),
        references: vec![],
        description: None,
        on: EventKind::Any,
        when: Expr::And(vec![
            Expr::Or(vec![exists("a"), exists("b")]),
            Expr::And(vec![exists("c"), exists("d")]),
            Expr::Not(Box::new(Expr::And(vec![exists("e"), exists("f")]))),
            pred("n", Op::Cmp(CmpOp::Ge, 1e21)),
            cased(
                "CommandLine",
                FieldForm::Raw,
                Op::Contains(Quantifier::All, strs(&["x"])),
            ),
        ]),
    };
    assert_eq!(
        print_rule(&r),
        "rule a {\n    title: \"it's\\n\"\n    level: low\n    tags: ok.tag-1, 'not bare'\n    on: any\n    when: (a exists or b exists) and (c exists and d exists) and not (e exists and f exists) and n >= 1000000000000000000000 and CommandLine.raw contains all cased ('x')\n}\n"
    );
    let two = print_rules(&[
        r.clone(),
        Rule {
            id: "b".into(),
            ..r.clone()
        },
    ]);
    assert!(two.contains("}\n\nrule b {"), "{two}");
    let back: Vec<Rule> = parse("p.lw", &two)
        .unwrap()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(
        back,
        vec![
            r.clone(),
            Rule {
                id: "b".into(),
                ..r
            }
        ]
    );
}

// ---- correlations ----

const CORRELATIONS: &str = r#"
correlation cred.account_many_hosts {
    title: "One account logs on over the network to many hosts"
    level: high
    tags: attack.t1078, attack.lateral_movement
    correlate: count distinct Computer >= 5 of logon(EventID == 4624 and LogonType == 3) by TargetUser within 10m
}
correlation cred.logon_then_tool {
    title: "A network logon, then a LotL tool on that host by that account"
    level: high
    generate: false
    correlate: sequence logon: logon(LogonType in (3, 10)) then tool: process(Image endswith any ('\wmic.exe', '\reg.exe'))
               by Computer, user = (logon: TargetUser, tool: User) within 5m
}
"#;

/// The correlations of a source that must parse and hold no rules.
fn correlations(text: &str) -> Vec<(Correlation, Origin)> {
    let parsed = landwatch::dsl::parse("c.lw", text).unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.rules.is_empty(), "{:?}", parsed.rules);
    parsed.correlations
}

/// The one correlation of a block whose `correlate:` is `expr`.
fn correlate(expr: &str) -> Correlation {
    let mut cs = correlations(&format!(
        "correlation c {{ title: 't' level: low correlate: {expr} }}"
    ));
    assert_eq!(cs.len(), 1);
    cs.remove(0).0
}

/// The one error of a block whose `correlate:` is `expr` (it starts at
/// column 50).
fn correlate_error(expr: &str) -> String {
    error(&format!(
        "correlation c {{ title: 't' level: low correlate: {expr} }}"
    ))
}

fn rule_step(id: &str) -> Step {
    Step {
        label: None,
        source: Source::Rule(id.into()),
    }
}

fn inline(on: EventKind, when: Expr) -> Step {
    Step {
        label: None,
        source: Source::Inline { on, when },
    }
}

fn labelled(label: &str, step: Step) -> Step {
    Step {
        label: Some(label.into()),
        ..step
    }
}

fn th(cs: &[(ThresholdOp, f64)]) -> Threshold {
    Threshold(cs.to_vec())
}

fn ge(n: f64) -> Threshold {
    Threshold::new(ThresholdOp::Ge, n)
}

fn num_eq(name: &str, n: f64) -> Expr {
    pred(name, Op::Eq(Value::Num(n)))
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

/// A correlation with the given measure and steps, defaults elsewhere.
fn plain(measure: Measure, steps: Vec<Step>) -> Correlation {
    Correlation {
        id: "c".into(),
        title: "t".into(),
        level: Level::Low,
        tags: vec![],
        references: vec![],
        description: None,
        generate: true,
        measure,
        steps,
        group_by: vec![],
        window: minutes(10),
        hours: None,
    }
}

#[test]
fn the_correlation_examples_parse_to_their_ast() {
    let cs = correlations(CORRELATIONS);
    let at: Vec<_> = cs.iter().map(|(c, o)| (c.id.as_str(), o.line, o.column)).collect();
    assert_eq!(
        at,
        vec![("cred.account_many_hosts", 2, 1), ("cred.logon_then_tool", 8, 1)]
    );
    let many_hosts = Correlation {
        id: "cred.account_many_hosts".into(),
        title: "One account logs on over the network to many hosts".into(),
        level: Level::High,
        tags: strs(&["attack.t1078", "attack.lateral_movement"]),
        references: vec![],
        description: None,
        generate: true,
        measure: Measure::Distinct(Operand::Field(Field::new("Computer")), ge(5.0)),
        steps: vec![inline(
            EventKind::Logon,
            Expr::And(vec![num_eq("EventID", 4624.0), num_eq("LogonType", 3.0)]),
        )],
        group_by: vec![GroupKey::field("TargetUser")],
        window: minutes(10),
        hours: None,
    };
    assert_eq!(cs[0].0, many_hosts);
    let then_tool = Correlation {
        id: "cred.logon_then_tool".into(),
        title: "A network logon, then a LotL tool on that host by that account".into(),
        level: Level::High,
        tags: vec![],
        references: vec![],
        description: None,
        generate: false,
        measure: Measure::Sequence,
        steps: vec![
            labelled(
                "logon",
                inline(
                    EventKind::Logon,
                    pred("LogonType", Op::In(vec![Value::Num(3.0), Value::Num(10.0)])),
                ),
            ),
            labelled(
                "tool",
                inline(
                    EventKind::Process,
                    pred("Image", Op::EndsWith(strs(&[r"\wmic.exe", r"\reg.exe"]))),
                ),
            ),
        ],
        group_by: vec![
            GroupKey::field("Computer"),
            GroupKey {
                name: "user".into(),
                fields: vec![
                    ("logon".into(), Field::new("TargetUser")),
                    ("tool".into(), Field::new("User")),
                ],
            },
        ],
        window: minutes(5),
        hours: None,
    };
    assert_eq!(cs[1].0, then_tool);
    // And they print in the canonical layout, which parses back.
    let printed = print_correlation(&cs[1].0);
    assert_eq!(
        printed,
        "correlation cred.logon_then_tool {\n    title: 'A network logon, then a LotL tool on that host by that account'\n    level: high\n    generate: false\n    correlate: sequence logon: logon(LogonType in (3, 10)) then tool: process(Image endswith any ('\\wmic.exe', '\\reg.exe')) by Computer, user = (logon: TargetUser, tool: User) within 5m\n}\n"
    );
    assert_eq!(
        print_correlation(&cs[0].0),
        "correlation cred.account_many_hosts {\n    title: 'One account logs on over the network to many hosts'\n    level: high\n    tags: attack.t1078, attack.lateral_movement\n    correlate: count distinct Computer >= 5 of logon(EventID == 4624 and LogonType == 3) by TargetUser within 10m\n}\n"
    );
}

#[test]
fn every_measure() {
    let a = || vec![rule_step("a")];
    let ab = || vec![rule_step("a"), rule_step("b")];
    let cmd = || Field::new("CommandLine");
    let cases: Vec<(&str, Measure, Vec<Step>)> = vec![
        ("count >= 20 of a within 10m", Measure::Count(ge(20.0)), a()),
        (
            "count > 100 and <= 200 and != 150 of a within 10m",
            Measure::Count(th(&[
                (ThresholdOp::Gt, 100.0),
                (ThresholdOp::Le, 200.0),
                (ThresholdOp::Ne, 150.0),
            ])),
            a(),
        ),
        (
            "count < 3 and == 0.5 and >= -1 of a within 10m",
            Measure::Count(th(&[
                (ThresholdOp::Lt, 3.0),
                (ThresholdOp::Eq, 0.5),
                (ThresholdOp::Ge, -1.0),
            ])),
            a(),
        ),
        (
            "count distinct commandline >= 5 of a within 10m",
            Measure::Distinct(Operand::Field(cmd()), ge(5.0)),
            a(),
        ),
        (
            "count distinct CommandLine.raw >= 5 of a within 10m",
            Measure::Distinct(
                Operand::Field(Field {
                    name: "CommandLine".into(),
                    form: FieldForm::Raw,
                }),
                ge(5.0),
            ),
            a(),
        ),
        (
            "count distinct zone(ipaddress) >= 2 of a within 10m",
            Measure::Distinct(Operand::Zone(Field::new("IpAddress")), ge(2.0)),
            a(),
        ),
        // A field named zone, without parentheses.
        (
            "count distinct zone >= 2 of a within 10m",
            Measure::Distinct(Operand::Field(Field::new("zone")), ge(2.0)),
            a(),
        ),
        ("sum Bytes > 1000 of a within 10m", Measure::Sum(Field::new("Bytes"), th(&[(ThresholdOp::Gt, 1000.0)])), a()),
        ("avg KeyLength < 128 of a within 10m", Measure::Avg(Field::new("KeyLength"), th(&[(ThresholdOp::Lt, 128.0)])), a()),
        ("median Size >= 3 of a within 10m", Measure::Median(Field::new("Size"), ge(3.0)), a()),
        (
            "percentile 95 Size >= 3 of a within 10m",
            Measure::Percentile(95.0, Field::new("Size"), ge(3.0)),
            a(),
        ),
        (
            "percentile 0 Size >= 3 of a within 10m",
            Measure::Percentile(0.0, Field::new("Size"), ge(3.0)),
            a(),
        ),
        (
            "percentile 99.5 Size >= 3 of a within 10m",
            Measure::Percentile(99.5, Field::new("Size"), ge(3.0)),
            a(),
        ),
        (
            "percentile 100 Size >= 3 of a within 10m",
            Measure::Percentile(100.0, Field::new("Size"), ge(3.0)),
            a(),
        ),
        ("sequence a then b within 10m", Measure::Sequence, ab()),
        (
            "sequence a then b then a within 10m",
            Measure::Sequence,
            vec![rule_step("a"), rule_step("b"), rule_step("a")],
        ),
        ("all of (a, b) within 10m", Measure::Temporal(ge(2.0)), ab()),
        (
            "all of (a, b, c,) within 10m",
            Measure::Temporal(ge(3.0)),
            vec![rule_step("a"), rule_step("b"), rule_step("c")],
        ),
        ("steps >= 2 of (a, b) within 10m", Measure::Temporal(ge(2.0)), ab()),
        ("steps == 1 of (a) within 10m", Measure::Temporal(th(&[(ThresholdOp::Eq, 1.0)])), a()),
        (
            "first zone(IpAddress) of a after 10m",
            Measure::FirstSeen(Operand::Zone(Field::new("IpAddress"))),
            a(),
        ),
        // Keywords in any case.
        (
            "COUNT Distinct User >= 5 OF Any (a, b) WITHIN 10m",
            Measure::Distinct(Operand::Field(Field::new("User")), ge(5.0)),
            ab(),
        ),
        ("Sequence a THEN b Within 10m", Measure::Sequence, ab()),
        ("ALL OF (a, b) within 10m", Measure::Temporal(ge(2.0)), ab()),
    ];
    for (expr, measure, steps) in cases {
        assert_eq!(correlate(expr), plain(measure, steps), "{expr}");
    }
}

#[test]
fn steps_sources_labels_and_kinds() {
    let steps = |expr: &str| correlate(expr).steps;
    // `any (x)` is `x`.
    assert_eq!(
        steps("count >= 1 of any (a) within 1m"),
        steps("count >= 1 of a within 1m")
    );
    assert_eq!(
        steps("count >= 1 of any (a, b.c-d, ) within 1m"),
        vec![rule_step("a"), rule_step("b.c-d")]
    );
    // Inline steps of each kind, and of every kind without one.
    assert_eq!(
        steps("count >= 1 of any ((x exists), process(x exists), LOGON(x exists), explicit_credential (x exists)) within 1m"),
        vec![
            inline(EventKind::Any, exists("x")),
            inline(EventKind::Process, exists("x")),
            inline(EventKind::Logon, exists("x")),
            inline(EventKind::ExplicitCredential, exists("x")),
        ]
    );
    // The whole condition grammar, nested parentheses included.
    assert_eq!(
        steps("count >= 1 of process(a exists or (b exists and not c exists)) within 1m"),
        vec![inline(
            EventKind::Process,
            Expr::Or(vec![
                exists("a"),
                Expr::And(vec![exists("b"), Expr::Not(Box::new(exists("c")))]),
            ]),
        )]
    );
    // Labels on rule and inline steps.
    assert_eq!(
        steps("sequence first: a then second : process(x exists) then b within 1m"),
        vec![
            labelled("first", rule_step("a")),
            labelled("second", inline(EventKind::Process, exists("x"))),
            rule_step("b"),
        ]
    );
    // Rule ids that are also words of the language.
    assert_eq!(
        steps("sequence then then by then any within 1m"),
        vec![rule_step("then"), rule_step("by"), rule_step("any")]
    );
    assert_eq!(
        steps("count >= 1 of any (process, logon, any, within) within 1m"),
        vec![
            rule_step("process"),
            rule_step("logon"),
            rule_step("any"),
            rule_step("within"),
        ]
    );
    assert_eq!(steps("count >= 1 of any within 1m"), vec![rule_step("any")]);
    assert_eq!(
        steps("count >= 1 of any: logon(x exists) within 1m"),
        vec![labelled("any", inline(EventKind::Logon, exists("x")))]
    );
    // A label may repeat its own rule's id.
    assert_eq!(
        steps("count >= 1 of a: a within 1m"),
        vec![labelled("a", rule_step("a"))]
    );
    // A correlation names another one as it names a rule.
    let cs = correlations("correlation one { title: 't' level: low correlate: count >= 1 of r within 1m }\ncorrelation two { title: 't' level: high correlate: count >= 3 of one within 1h }");
    assert_eq!(cs[1].0.steps, vec![rule_step("one")]);
}

#[test]
fn groups_aliases_windows_and_hours() {
    let c = correlate(
        "sequence l: logon(x exists) then r.tool by computer, Custom_Key, user = (l: TargetUserName, r.tool: CommandLine.raw,), Host = (l: WorkstationName) within 1h",
    );
    assert_eq!(
        c.group_by,
        vec![
            GroupKey::field("Computer"),
            GroupKey::field("Custom_Key"),
            GroupKey {
                name: "user".into(),
                fields: vec![
                    ("l".into(), Field::new("TargetUserName")),
                    (
                        "r.tool".into(),
                        Field {
                            name: "CommandLine".into(),
                            form: FieldForm::Raw,
                        },
                    ),
                ],
            },
            GroupKey {
                name: "Host".into(),
                fields: vec![("l".into(), Field::new("WorkstationName"))],
            },
        ]
    );
    assert_eq!(c.window, Duration::from_secs(3600));
    // Durations in every unit.
    for (text, d) in [
        ("500ms", Duration::from_millis(500)),
        ("0ms", Duration::ZERO),
        ("90s", Duration::from_secs(90)),
        ("10m", minutes(10)),
        ("1h", Duration::from_secs(3600)),
        ("7d", Duration::from_secs(7 * 86_400)),
        ("0d", Duration::ZERO),
        (
            "18446744073709551615s",
            Duration::from_secs(u64::MAX),
        ),
        (
            "18446744073709551615999ms",
            Duration::new(u64::MAX, 999_000_000),
        ),
    ] {
        assert_eq!(correlate(&format!("count >= 1 of a within {text}")).window, d, "{text}");
    }
    // The learning period of `first`.
    let c = correlate("first User of a by Computer after 7d during business hours");
    assert_eq!(c.measure, Measure::FirstSeen(Operand::Field(Field::new("User"))));
    assert_eq!(c.group_by, vec![GroupKey::field("Computer")]);
    assert_eq!(c.window, Duration::from_secs(7 * 86_400));
    assert_eq!(c.hours, Some(Hours::During));
    assert_eq!(
        correlate("count >= 1 of a within 1m OUTSIDE Business hours").hours,
        Some(Hours::Outside)
    );
    assert_eq!(correlate("count >= 1 of a within 1m").hours, None);
}

#[test]
fn correlation_keys_and_defaults() {
    let cs = correlations(
        "correlation _x-1.y # c\n{ correlate: count >= 1 of a # c\n within 1m # c\n generate: FALSE title: 'T' references: 'r1', \"r2\"\n tags: 'a b', c.d-e_1 level: CRITICAL description: 'd' }",
    );
    let c = &cs[0].0;
    assert_eq!(c.id, "_x-1.y");
    assert_eq!(c.title, "T");
    assert_eq!(c.level, Level::Critical);
    assert_eq!(c.tags, strs(&["a b", "c.d-e_1"]));
    assert_eq!(c.references, strs(&["r1", "r2"]));
    assert_eq!(c.description.as_deref(), Some("d"));
    assert!(!c.generate);
    assert!(correlate("count >= 1 of a within 1m").generate);
    let c = &correlations(
        "correlation c { title: 't' level: low generate: true correlate: count >= 1 of a within 1m }",
    )[0]
    .0;
    assert!(c.generate);
    // Rules and correlations in any order, with their origins.
    let parsed = landwatch::dsl::parse(
        "m.lw",
        "correlation c1 { title: 't' level: low correlate: count >= 1 of r1 within 1m }\nrule r1 { title: 't' level: low when: x exists }\n  correlation c2 { title: 't' level: low correlate: count >= 2 of c1 within 1h }\nrule r2 { title: 't' level: low when: y exists }",
    )
    .unwrap();
    let rules: Vec<_> = parsed.rules.iter().map(|(r, o)| (r.id.as_str(), o.line, o.column)).collect();
    let corrs: Vec<_> = parsed
        .correlations
        .iter()
        .map(|(c, o)| (c.id.as_str(), o.line, o.column))
        .collect();
    assert_eq!(rules, vec![("r1", 2, 1), ("r2", 4, 1)]);
    assert_eq!(corrs, vec![("c1", 1, 1), ("c2", 3, 3)]);
}

#[test]
fn correlation_errors_at_exact_positions() {
    let cases: Vec<(&str, &str)> = vec![
        // the window
        ("count >= 5 of a", "1:66: expected 'by' and group keys, or 'within' and a window such as 10m, found '}'"),
        ("count >= 5 of a by User", "1:74: expected 'within' and a window such as 10m, found '}'"),
        ("count >= 5 of a by User, Computer title: 'x'", "1:84: expected 'within' and a window such as 10m, found 'title'"),
        ("sequence a then b", "1:68: expected 'then' and a step, 'by' and group keys, or 'within' and a window such as 10m, found '}'"),
        ("count >= 5 of a after 7d", "1:66: expected 'by' and group keys, or 'within' and a window such as 10m, found 'after' ('after' gives the learning period of 'first'; other measures take 'within')"),
        ("first User of a within 7d", "1:66: expected 'by' and group keys, or 'after' and a learning period such as 7d, found 'within' (a 'first' correlation learns for a period: 'after 7d')"),
        ("count >= 5 of a within", "1:73: expected a window such as 10m, found '}'"),
        ("count >= 5 of a within 10x", "1:75: unknown unit 'x' (ms, s, m, h or d)"),
        ("count >= 5 of a within 10 m", "1:73: missing unit after '10' (ms, s, m, h or d, written without a space: 10m)"),
        ("count >= 5 of a within 10M", "1:75: unknown unit 'M' (ms, s, m, h or d)"),
        ("count >= 5 of a within 1.5h", "1:73: malformed duration '1.5h' (durations are whole numbers and a unit: 500ms, 90s, 10m, 1h, 7d)"),
        ("count >= 5 of a within -5m", "1:73: expected a window such as 10m, found '-5m'"),
        ("count >= 5 of a within 99999999999999999999d", "1:73: duration '99999999999999999999d' is out of range"),
        ("count >= 5 of a within 18446744073709551616s", "1:73: duration '18446744073709551616s' is out of range"),
        ("first User of a after", "1:72: expected a learning period such as 7d, found '}'"),
        // hours and what follows the window
        ("count >= 5 of a within 5m outside hours", "1:84: expected 'business hours' after 'outside', found 'hours'"),
        ("count >= 5 of a within 5m during business", "1:92: expected 'hours' after 'business', found '}'"),
        ("count >= 5 of a within 5m by User", "1:76: expected 'outside business hours', 'during business hours', the next key or '}' after the window, found 'by' (the group, 'by ...', comes before the window)"),
        ("count >= 5 of a within 5m outside business hours x", "1:99: expected the next key or '}' after the correlation, found 'x'"),
        // measures and thresholds
        ("counts >= 5 of a within 5m", "1:50: unknown measure 'counts' (expected count, sum, avg, median, percentile, sequence, all, steps or first)"),
        ("5 of a within 5m", "1:50: expected a measure (count, sum, avg, median, percentile, sequence, all, steps or first), as in 'count >= 5 of RULE within 10m', found '5'"),
        ("count of a within 5m", "1:56: expected 'distinct' or a threshold such as '>= 5' (<, <=, >, >=, == or != and a number), found 'of'"),
        ("count => 5 of a within 5m", "1:56: expected 'distinct' or a threshold such as '>= 5' (<, <=, >, >=, == or != and a number), found '='"),
        ("count >= of a within 5m", "1:59: expected a number after '>=', found 'of'"),
        ("count >= 5 and of a within 5m", "1:65: expected a comparison such as '< 100' after 'and' (<, <=, >, >=, == or != and a number), found 'of'"),
        ("count >= 5a of a within 5m", "1:59: malformed number '5a' (numbers are written like 3, -1 or 0.5)"),
        ("count >= 5 a within 5m", "1:61: expected 'of' and the steps, found 'a'"),
        ("count distinct >= 5 of a within 5m", "1:65: expected a field name or zone(FIELD), found '>'"),
        ("count distinct zone(User >= 5 of a within 5m", "1:75: expected ')' to close 'zone(', found '>'"),
        ("count distinct Image.decoded >= 5 of a within 5m", "1:71: 'Image.decoded' does not exist: only CommandLine and ParentCommandLine have decoded text"),
        ("sum >= 5 of a within 5m", "1:54: expected the field to take the sum of, found '>'"),
        ("percentile 120 Size >= 5 of a within 5m", "1:61: percentile rank 120 is out of range (0 to 100)"),
        ("percentile -1 Size >= 5 of a within 5m", "1:61: percentile rank -1 is out of range (0 to 100)"),
        ("percentile Size >= 5 of a within 5m", "1:61: expected a percentile rank from 0 to 100, such as 95, found 'Size'"),
        // steps
        ("sequence a within 5m", "1:61: a sequence needs at least two steps: expected 'then' and the next step, found 'within'"),
        ("sequence a then", "1:66: expected a step (a rule id, or a condition in parentheses such as process(Image endswith '\\x.exe')), found '}'"),
        // `within` is a rule id here: the step after `then`.
        ("sequence a then within 5m", "1:73: expected 'then' and a step, 'by' and group keys, or 'within' and a window such as 10m, found '5m'"),
        ("all of (a) within 5m", "1:59: 'all of' needs at least two steps (for one, use 'count >= 1 of STEP')"),
        ("all of a, b within 5m", "1:57: expected '(' to open the list of steps, found 'a'"),
        ("all (a, b) within 5m", "1:54: expected 'of' and a list of steps, as in 'all of (a, b)', found '('"),
        ("steps >= 1 of () within 5m", "1:65: empty list: give at least one step"),
        ("count >= 1 of any () within 5m", "1:69: empty list: give at least one step"),
        ("count >= 1 of any (a b) within 5m", "1:71: expected ',' or ')' in the list of steps, found 'b'"),
        ("count >= 1 of any (a, any (b)) within 5m", "1:72: 'any (...)' lists steps only right after 'of'; an inline step of every kind is written without a kind: (CONDITION)"),
        ("count >= 1 of proces(x exists) within 5m", "1:64: unknown event kind 'proces' (expected process, logon or explicit_credential before '(', or none for every kind)"),
        ("count >= 1 of 'a' within 5m", "1:64: expected a step (a rule id, or a condition in parentheses such as process(Image endswith '\\x.exe')), found a string"),
        ("count >= 1 of process(x exists y exists) within 5m", "1:81: expected 'and', 'or' or ')' to end the step's condition, found 'y'"),
        ("count >= 1 of process(x frobs 'a') within 5m", "1:74: expected an operator (==, !=, contains, startswith, endswith, like, matches, in, cidr, sameas, exists, <, <=, >, >=) after field 'x', found 'frobs'"),
        ("count >= 1 of process() within 5m", "1:72: expected a condition (a field name, 'not' or '('), found ')'"),
        ("count >= 1 of process(x exists within 5m", "1:81: expected 'and', 'or' or ')' to end the step's condition, found 'within'"),
        ("sequence x: a then x: b within 5m", "1:69: two steps are labelled 'x' (a label names one step)"),
        ("sequence a then a: b within 5m", "1:66: label 'a' is the id of a rule another step names: give the step another label"),
        ("sequence x: a then b: x within 5m", "1:72: 'x' names a rule here and labels another step: give that step another label"),
        ("sequence b: a then b within 5m", "1:69: 'b' names a rule here and labels another step: give that step another label"),
        // group keys
        ("sequence l: a then b by user = (m: User) within 5m", "1:82: 'm' is not a step of this correlation (steps are referred to by label or rule id: l, a, b)"),
        ("count >= 1 of (x exists) by user = (m: User) within 5m", "1:86: 'm' is not a step of this correlation (its steps have no labels: label one, as in 'logon: logon(...)')"),
        ("sequence a then b by user = (a: User, a: User) within 5m", "1:88: step 'a' is given twice in the group key 'user'"),
        ("sequence a then b by user = (a User) within 5m", "1:81: expected ':' and the field of 'a', found 'User'"),
        ("sequence a then b by user = (a: 'x') within 5m", "1:82: expected the field of 'a', found a string"),
        ("sequence a then b by user = (a: User b: User) within 5m", "1:87: expected ',' or ')' in the fields of 'user', found 'b'"),
        ("sequence a then b by user = () within 5m", "1:79: empty list: give at least one step and its field, as in (logon: TargetUserName)"),
        ("sequence a then b by user = a: User within 5m", "1:78: expected '(' and the field of each step, as in user = (logon: TargetUserName, tool: User), found 'a'"),
        ("count >= 1 of a by User, user within 5m", "1:75: the group key 'User' is given twice"),
        ("count >= 1 of a by CommandLine.raw within 5m", "1:80: a group key without aliases is a field name and takes no form: to group by 'CommandLine.raw', give each step's field, as in key = (step: CommandLine.raw)"),
        // `within` is a group key here.
        ("count >= 1 of a by within 5m", "1:76: expected 'within' and a window such as 10m, found '5m'"),
        ("count >= 1 of a by 'x' within 5m", "1:69: expected a group key (a field name, or NAME = (STEP: FIELD, ...)), found a string"),
    ];
    let mut wrong = Vec::new();
    for (expr, expected) in &cases {
        let got = correlate_error(expr);
        if got != *expected {
            wrong.push(format!("{expr}\n  got:      {got}\n  expected: {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn correlation_block_errors() {
    assert_eq!(
        error("correlation a {\n  title: 't'\n  level: low\n  colour: red\n  correlate: count >= 1 of r within 1m\n}"),
        "4:3: unknown key 'colour' (expected one of title, level, tags, references, description, generate or correlate)"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low Correlate: count >= 1 of r within 1m }"),
        "1:39: unknown key 'Correlate' (keys are lowercase: 'correlate')"
    );
    assert_eq!(
        error("correlation a {\n  title: 't' level: low\n  on: process\n  correlate: count >= 1 of r within 1m\n}"),
        "3:3: 'on' is not a key of a correlation: inline conditions go in the steps of 'correlate:', such as logon(LogonType == 3)"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low when: x exists correlate: count >= 1 of r within 1m }"),
        "1:39: 'when' is not a key of a correlation: inline conditions go in the steps of 'correlate:', such as logon(LogonType == 3)"
    );
    assert_eq!(
        error("rule a { title: 't' level: low correlate: count >= 1 of r within 1m }"),
        "1:32: unknown key 'correlate' (a key of correlations, written 'correlation ID { ... }'; a rule takes title, level, tags, references, description, on or when)"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low generate: yes correlate: count >= 1 of r within 1m }"),
        "1:49: unknown 'generate' value 'yes' (expected true or false)"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low generate: true generate: false correlate: count >= 1 of r within 1m }"),
        "1:54: 'generate' is given twice (each key at most once)"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low correlate: count >= 1 of r within 1m correlate: count >= 2 of r within 1m }"),
        "1:76: 'correlate' is given twice (each key at most once)"
    );
    assert_eq!(
        error("correlation a { level: low correlate: count >= 1 of r within 1m }"),
        "1:1: correlation 'a' has no 'title' (required)"
    );
    assert_eq!(
        error("  correlation a { title: 't' correlate: count >= 1 of r within 1m }"),
        "1:3: correlation 'a' has no 'level' (required)"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low }"),
        "1:1: correlation 'a' has no 'correlate' (required)"
    );
    assert_eq!(
        error("correlation 9a { }"),
        "1:13: expected a correlation id such as cred.account_many_hosts, found '9a'"
    );
    assert_eq!(
        error("correlation a title: 'x' }"),
        "1:15: expected '{' after the correlation id, found 'title'"
    );
    assert_eq!(
        error("correlations a { }"),
        "1:1: expected 'rule' or 'correlation', found 'correlations'"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low correlate: count >= 1 of r within 1m"),
        "1:75: expected a key (title, level, tags, references, description, generate or correlate) or '}', found end of file"
    );
    // Ids are unique across rules and correlations.
    assert_eq!(
        error("rule a { title: 't' level: low when: x exists }\n  correlation a { title: 't' level: low correlate: count >= 1 of b within 1m }"),
        "2:3: duplicate correlation id 'a' (first defined, as a rule, at t.lw:1:1)"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low correlate: count >= 1 of b within 1m }\nrule a { title: 't' level: low when: x exists }"),
        "2:1: duplicate rule id 'a' (first defined, as a correlation, at t.lw:1:1)"
    );
    assert_eq!(
        error("correlation a { title: 't' level: low correlate: count >= 1 of b within 1m }\ncorrelation a { title: 't' level: low correlate: count >= 1 of b within 1m }"),
        "2:1: duplicate correlation id 'a' (first defined at t.lw:1:1)"
    );
    // The error names the correlation, as it does rules.
    let es = errors("correlation x.y {\n    title: 't'\n    level: high\n    correlate: count >= 5 of a within 5q\n}\n");
    assert_eq!(es[0].rule.as_deref(), Some("x.y"));
    assert_eq!(
        es[0].to_string(),
        "t.lw:4:40: in rule x.y: unknown unit 'q' (ms, s, m, h or d)\n  |\n4 |     correlate: count >= 5 of a within 5q\n  |                                        ^"
    );
}

#[test]
fn recovery_across_rules_and_correlations() {
    let text = "\
correlation a { title: 't' level: low
    correlate: count >= 1 of r within 1m
rule r { title: 't' level: low when: x exists }
correlation b { title: 't' level: low correlate: count >= 1 of r within 1q }
rule c { title: 't' level: low when: x exists
correlation d { title: 't' level: low correlate: count >= 1 of r within 1m }
  garbage
correlation e {
    title: 't' level: low
    correlate: sequence r then process(x ?? ) within 1m
}
correlation f { title: 't' level: low correlate: count >= 1 of r within 1m }
rule r { title: 't' level: low when: x exists }
";
    let es = errors(text);
    let got: Vec<(usize, usize, Option<&str>)> = es
        .iter()
        .map(|e| (e.line, e.column, e.rule.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, 1, Some("a")),
            (4, 74, Some("b")),
            (6, 1, Some("c")),
            (7, 3, None),
            (10, 42, Some("e")),
            (13, 1, Some("r")),
        ],
        "{es:#?}"
    );
    assert_eq!(es[0].message, "expected '}' to end the correlation, found 'rule'");
    assert_eq!(es[2].message, "expected '}' to end the rule, found 'correlation'");
    assert_eq!(es[3].message, "expected 'rule' or 'correlation', found 'garbage'");
    assert_eq!(
        es[5].message,
        "duplicate rule id 'r' (first defined at t.lw:3:1)"
    );
    // What recovered parses: only the broken blocks are lost.
    let good = "\
correlation a { title: 't' level: low
    correlate: count >= 1 of r within 1m }
rule r { title: 't' level: low when: x exists }
correlation d { title: 't' level: low correlate: count >= 1 of r within 1m }
";
    assert_eq!(landwatch::dsl::parse("g.lw", good).map(|p| p.correlations.len()), Ok(2));
}

#[test]
fn hostile_correlations_end_quickly() {
    let started = std::time::Instant::now();
    let block = |expr: &str| format!("correlation c {{ title: 't' level: low correlate: {expr} }}");
    // Far too deep inside a step.
    let deep = block(&format!("count >= 1 of process({}x exists) within 1m", "(".repeat(100_000)));
    assert!(errors(&deep)[0].message.contains("nested deeper"));
    // Long lists of steps, thresholds, group keys and aliases.
    let n = 50_000;
    let seq = (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>().join(" then ");
    assert_eq!(correlations(&block(&format!("sequence {seq} within 1m")))[0].0.steps.len(), n);
    let same = vec!["r"; n].join(" then ");
    assert_eq!(correlations(&block(&format!("sequence {same} within 1m")))[0].0.steps.len(), n);
    let list = (0..n).map(|i| format!("l{i}: r{i}")).collect::<Vec<_>>().join(", ");
    let keys = (0..n).map(|i| format!("k{i}")).collect::<Vec<_>>().join(", ");
    let aliases = (0..n).map(|i| format!("l{i}: F")).collect::<Vec<_>>().join(", ");
    let c = &correlations(&block(&format!(
        "all of ({list}) by {keys}, alias = ({aliases}) within 1m"
    )))[0]
    .0;
    assert_eq!((c.steps.len(), c.group_by.len()), (n, n + 1));
    let th = vec!["> 1"; n].join(" and ");
    assert_eq!(correlations(&block(&format!("count {th} of r within 1m")))[0].0.measure, Measure::Count(Threshold(vec![(ThresholdOp::Gt, 1.0); n])));
    // Errors on every line: reporting stops after 100.
    let es = errors(&"correlation x {\n".repeat(50_000));
    assert_eq!(es.len(), 101);
    // A megabyte id, number and duration.
    let big = "a".repeat(1 << 20);
    let _ = landwatch::dsl::parse("b.lw", &block(&format!("count >= 1 of {big} by {big} = ({big}: {big}) within 1m")));
    let nines = "9".repeat(1 << 20);
    assert!(errors(&block(&format!("count >= 1 of r within {nines}d")))[0].message.contains("out of range"));
    assert!(errors(&block(&format!("count >= {nines} of r within 1d")))[0].message.contains("out of range"));
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn the_documented_correlations_parse() {
    let doc = include_str!("../../docs/rule-language.md");
    let mut found = 0;
    for block in doc.split("```").skip(1).step_by(2) {
        let block = block.strip_prefix('\n').unwrap_or(block);
        if !block.contains("correlation ") || block.starts_with("EXPR") || block.contains(": in rule ") {
            continue;
        }
        let parsed = landwatch::dsl::parse("doc.lw", block).unwrap_or_else(|e| panic!("{e}\n{block}"));
        found += parsed.correlations.len();
        // And each prints and reads back.
        let again = landwatch::dsl::parse("doc.lw", &landwatch::dsl::print(&parsed)).unwrap();
        assert_eq!(again.correlations.len(), parsed.correlations.len());
        for ((a, _), (b, _)) in again.correlations.iter().zip(&parsed.correlations) {
            assert_eq!(a, b);
        }
    }
    assert_eq!(found, 6);
}

// ---- properties ----

/// Text of any characters, favouring those the syntax cares about.
fn text(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => prop::char::range('a', 'z'),
        1 => prop::sample::select(vec!['\'', '"', '\\', '\n', '\r', '\t', '\0', '#', ' ', '(', ')', ',', '{', '}', '*', '?', '\u{7f}', '\u{85}', '\u{2028}', 'é', '✓', '\u{1F600}']),
        2 => any::<char>(),
    ];
    prop::collection::vec(ch, len).prop_map(|cs| cs.into_iter().collect())
}

fn pattern() -> impl Strategy<Value = String> {
    text(1..10)
}

fn field() -> impl Strategy<Value = Field> {
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

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-100_000i64..100_000).prop_map(|n| n as f64),
        (-1000i64..1000, 1u32..6).prop_map(|(n, d)| n as f64 / 10f64.powi(d as i32)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text(0..10).prop_map(Value::Str),
        number().prop_map(Value::Num)
    ]
}

fn predicate() -> impl Strategy<Value = Predicate> {
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

fn expr() -> impl Strategy<Value = Expr> {
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

fn rule() -> impl Strategy<Value = Rule> {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_print_is_identity(r in rule()) {
        let printed = print_rule(&r);
        let parsed = parse("p.lw", &printed)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(&parsed[0].0, &r, "printed:\n{}", printed);
    }

    #[test]
    fn printed_files_parse_back(rs in prop::collection::vec(rule(), 1..4)) {
        let rs: Vec<Rule> = rs
            .into_iter()
            .enumerate()
            .map(|(i, r)| Rule { id: format!("{}_{i}", r.id), ..r })
            .collect();
        let printed = print_rules(&rs);
        let parsed: Vec<Rule> = parse("p.lw", &printed)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        prop_assert_eq!(parsed, rs);
    }

    #[test]
    fn any_string_gives_an_answer(s in any::<String>()) {
        let _ = parse("fuzz.lw", &s);
    }

    #[test]
    fn any_bytes_give_an_answer(b in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse("fuzz.lw", &String::from_utf8_lossy(&b));
    }

    #[test]
    fn rule_shaped_noise_gives_an_answer(
        s in "(rule |[a-zA-Z]{1,3}|[{}():,.'\"#=!<>\\\\-]|[0-9]|\\s|\n|when: |title: |level: |tags: |and |or |not |contains |any |all |cased |exists |\\.raw|\\.decoded|é){0,60}"
    ) {
        if let Err(es) = parse("fuzz.lw", &s) {
            for e in &es.0 {
                // Every error points into the text and displays.
                prop_assert!(e.line >= 1 && e.line <= s.split('\n').count());
                prop_assert!(e.to_string().starts_with("fuzz.lw:"));
            }
        }
    }

    #[test]
    fn mutated_rules_give_an_answer(r in rule(), cut_at in any::<prop::sample::Index>(), junk in text(0..4)) {
        let printed = print_rule(&r);
        let mut at = cut_at.index(printed.len() + 1);
        while !printed.is_char_boundary(at) {
            at -= 1;
        }
        let _ = parse("m.lw", &format!("{}{junk}{}", &printed[..at], &printed[at..]));
    }
}

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
