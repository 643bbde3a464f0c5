//! The rule language: the ast of every construct, errors at exact positions,
//! recovery, and the properties parse(print(ast)) == ast and "never panics".
//! Correlations are in dsl_correlation.rs.

#[path = "support/dsl.rs"]
mod support;

use landwatch::ast::{CmpOp, EventKind, Expr, Field, FieldForm, Level, Op, Predicate, Quantifier, Rule, Value};
use landwatch::dsl::{print_rule, print_rules};
use proptest::prelude::*;
use support::*;

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

