//! The rule language's correlation blocks: the ast of every construct,
//! errors at exact positions, recovery beside rules, and the properties
//! parse(print(ast)) == ast and "never panics".

#[path = "support/dsl.rs"]
mod support;

use std::time::Duration;

use landwatch::ast::{
    Correlation, EventKind, Expr, Field, FieldForm, GroupKey, Hours, Level, Measure, Op, Operand, Source, Step,
    Threshold, ThresholdOp, Value,
};
use landwatch::dsl::print_correlation;
use landwatch::Origin;
use support::*;

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
