//! Sigma correlation documents into the ast: each type, its conditions,
//! group keys and aliases, references by name and by id within a file and
//! across files, chains, the rejections (with their lines), and that no text
//! makes the loader panic.

use std::time::Duration;

use landwatch::ast::{
    Correlation, Field, FieldForm, GroupKey, Level, Measure, Operand, Source, Step, Threshold,
    ThresholdOp,
};
use landwatch::sigma::{self, Loaded, Rejection};
use proptest::prelude::*;

const FILE: &str = "corr.yml";

fn load(text: &str) -> Loaded {
    sigma::load(FILE, text)
}

/// The one correlation `text` holds, which must load without a rejection.
fn one(text: &str) -> Correlation {
    let l = load(text);
    assert!(l.rejected.is_empty(), "{:?}", l.rejected);
    assert_eq!(l.correlations.len(), 1, "{text}");
    l.correlations.into_iter().next().map(|(c, _)| c).unwrap_or_else(|| panic!("{text}"))
}

/// The one rejection of `text`, which must load nothing.
fn rejected(text: &str) -> Rejection {
    let l = load(text);
    assert!(l.correlations.is_empty() && l.rules.is_empty(), "{text}");
    assert_eq!(l.rejected.len(), 1, "{:?}", l.rejected);
    l.rejected.into_iter().next().unwrap_or_else(|| panic!("{text}"))
}

/// A correlation document around a `correlation:` section (indented by two).
fn doc(section: &str) -> String {
    format!("title: Lateral spread\nid: 9d3e0c41-0a52-4d1e-b7a5-3f6e21c0d8aa\ncorrelation:\n{section}")
}

/// The correlation [`doc`] gives, with the measure, steps, group and window.
fn expected(measure: Measure, steps: &[&str], group_by: Vec<GroupKey>, window: Duration) -> Correlation {
    Correlation {
        id: "sigma.9d3e0c41-0a52-4d1e-b7a5-3f6e21c0d8aa".into(),
        title: "Lateral spread".into(),
        level: Level::Medium,
        tags: Vec::new(),
        references: Vec::new(),
        description: None,
        generate: false,
        measure,
        steps: steps.iter().map(|s| rule_step(s)).collect(),
        group_by,
        window,
        hours: None,
    }
}

fn rule_step(id: &str) -> Step {
    Step {
        label: None,
        source: Source::Rule(id.to_string()),
    }
}

fn th(op: ThresholdOp, v: f64) -> Threshold {
    Threshold::new(op, v)
}

fn mins(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

#[test]
fn event_count() {
    let c = one(&doc(
        "  type: event_count\n  rules:\n    - refused_logon\n  group-by:\n    - targetusername\n    - IpAddress\n  timespan: 15m\n  condition:\n    gte: 20\n",
    ));
    assert_eq!(
        c,
        expected(
            Measure::Count(th(ThresholdOp::Ge, 20.0)),
            &["sigma.refused_logon"],
            vec![GroupKey::field("TargetUserName"), GroupKey::field("IpAddress")],
            mins(15),
        )
    );
}

#[test]
fn value_count() {
    let c = one(&doc(
        "  type: value_count\n  rules: share_probe\n  group-by: [IpAddress]\n  timespan: 1h\n  condition:\n    field: computer\n    gt: 3\n",
    ));
    assert_eq!(
        c,
        expected(
            Measure::Distinct(Operand::Field(Field::new("Computer")), th(ThresholdOp::Gt, 3.0)),
            &["sigma.share_probe"],
            vec![GroupKey::field("IpAddress")],
            mins(60),
        )
    );
    // A list of one field is that field.
    let c = one(&doc(
        "  type: value_count\n  rules: [share_probe]\n  timespan: 1h\n  condition:\n    field: [Computer]\n    gt: 3\n",
    ));
    assert_eq!(c.measure, Measure::Distinct(Operand::Field(Field::new("Computer")), th(ThresholdOp::Gt, 3.0)));
}

#[test]
fn value_count_of_a_command_line_reads_it_as_written() {
    let c = one(&doc("  type: value_count\n  rules: [spawn]\n  timespan: 1d\n  condition:\n    field: commandline\n    gte: 50\n"));
    let raw = Field {
        name: "CommandLine".into(),
        form: FieldForm::Raw,
    };
    assert_eq!(c.measure, Measure::Distinct(Operand::Field(raw), th(ThresholdOp::Ge, 50.0)));
    assert_eq!(c.window, Duration::from_secs(86_400));
}

#[test]
fn value_sum_avg_and_median() {
    let section = |kind: &str| {
        format!("  type: {kind}\n  rules: [upload]\n  group-by: [User]\n  timespan: 30m\n  condition:\n    field: BytesSent\n    gt: 1000000\n")
    };
    let f = || Field::new("BytesSent");
    let t = || th(ThresholdOp::Gt, 1_000_000.0);
    let cases = [
        ("value_sum", Measure::Sum(f(), t())),
        ("value_avg", Measure::Avg(f(), t())),
        ("value_median", Measure::Median(f(), t())),
    ];
    for (kind, measure) in cases {
        let c = one(&doc(&section(kind)));
        assert_eq!(c, expected(measure, &["sigma.upload"], vec![GroupKey::field("User")], mins(30)), "{kind}");
    }
}

#[test]
fn value_percentile_default_and_explicit() {
    let c = one(&doc("  type: value_percentile\n  rules: [spawn]\n  group-by: [Computer]\n  timespan: 24h\n  condition:\n    field: Image\n    lte: 1\n"));
    assert_eq!(
        c,
        expected(
            Measure::Percentile(50.0, Field::new("Image"), th(ThresholdOp::Le, 1.0)),
            &["sigma.spawn"],
            vec![GroupKey::field("Computer")],
            Duration::from_secs(24 * 3600),
        )
    );
    let c = one(&doc("  type: value_percentile\n  rules: [spawn]\n  timespan: 24h\n  condition:\n    field: Image\n    percentile: 95\n    gt: 10.5\n"));
    assert_eq!(c.measure, Measure::Percentile(95.0, Field::new("Image"), th(ThresholdOp::Gt, 10.5)));
    let c = one(&doc("  type: value_percentile\n  rules: [spawn]\n  timespan: 24h\n  condition:\n    field: Image\n    percentile: 99.9\n    gt: 10\n"));
    assert_eq!(c.measure, Measure::Percentile(99.9, Field::new("Image"), th(ThresholdOp::Gt, 10.0)));
}

#[test]
fn temporal_with_and_without_condition() {
    let c = one(&doc("  type: temporal\n  rules:\n    - recon_a\n    - recon_b\n    - recon_c\n  group-by:\n    - Computer\n    - User\n  timespan: 5m\n"));
    assert_eq!(
        c,
        expected(
            Measure::Temporal(th(ThresholdOp::Ge, 3.0)),
            &["sigma.recon_a", "sigma.recon_b", "sigma.recon_c"],
            vec![GroupKey::field("Computer"), GroupKey::field("User")],
            mins(5),
        )
    );
    let c = one(&doc("  type: temporal\n  rules: [recon_a, recon_b, recon_c]\n  timespan: 5m\n  condition:\n    gte: 2\n"));
    assert_eq!(c.measure, Measure::Temporal(th(ThresholdOp::Ge, 2.0)));
}

#[test]
fn temporal_ordered_and_conditions_that_mean_all() {
    let c = one(&doc("  type: temporal_ordered\n  rules:\n    - stage\n    - run\n  group-by: [Computer]\n  timespan: 90s\n"));
    assert_eq!(
        c,
        expected(Measure::Sequence, &["sigma.stage", "sigma.run"], vec![GroupKey::field("Computer")], Duration::from_secs(90))
    );
    for cond in ["gte: 2", "eq: 2", "gt: 1", "gt: 1\n    lte: 2"] {
        let c = one(&doc(&format!("  type: temporal_ordered\n  rules: [stage, run]\n  timespan: 90s\n  condition:\n    {cond}\n")));
        assert_eq!(c.measure, Measure::Sequence, "{cond}");
    }
}

#[test]
fn conditions_ranges_neq_and_floats() {
    let with = |cond: &str| {
        one(&doc(&format!("  type: event_count\n  rules: [x]\n  timespan: 1h\n  condition:\n{cond}"))).measure
    };
    assert_eq!(
        with("    gt: 100\n    lte: 200\n"),
        Measure::Count(Threshold(vec![(ThresholdOp::Gt, 100.0), (ThresholdOp::Le, 200.0)]))
    );
    assert_eq!(with("    neq: 0\n"), Measure::Count(th(ThresholdOp::Ne, 0.0)));
    assert_eq!(with("    lt: 2.5\n"), Measure::Count(th(ThresholdOp::Lt, 2.5)));
    assert_eq!(with("    eq: 7\n"), Measure::Count(th(ThresholdOp::Eq, 7.0)));
    assert_eq!(
        with("    gte: 1.5\n    lt: 10\n    neq: 4\n"),
        Measure::Count(Threshold(vec![(ThresholdOp::Ge, 1.5), (ThresholdOp::Lt, 10.0), (ThresholdOp::Ne, 4.0)]))
    );
}

#[test]
fn timespans() {
    let window = |t: &str| one(&doc(&format!("  type: temporal\n  rules: [x]\n  timespan: {t}\n"))).window;
    assert_eq!(window("45s"), Duration::from_secs(45));
    assert_eq!(window("90m"), mins(90));
    assert_eq!(window("2h"), mins(120));
    assert_eq!(window("3d"), Duration::from_secs(3 * 86_400));
    assert_eq!(window("1w"), Duration::from_secs(7 * 86_400));
    assert_eq!(window("250ms"), Duration::from_millis(250));
}

#[test]
fn group_by_absent_is_one_group() {
    let c = one(&doc("  type: event_count\n  rules: [x]\n  timespan: 10m\n  condition:\n    gte: 5\n"));
    assert_eq!(c.group_by, Vec::new());
}

#[test]
fn metadata_as_rules_have_it() {
    let text = "title: Spray\nid: 51a0\nlevel: high\ntags:\n  - attack.t1110.003\nreferences: [https://example.org/spray]\ndescription: One source, many accounts\ncorrelation:\n  type: value_count\n  rules: [refused_logon]\n  timespan: 10m\n  condition:\n    field: TargetUserName\n    gte: 10\n";
    let c = one(text);
    assert_eq!(c.id, "sigma.51a0");
    assert_eq!(c.title, "Spray");
    assert_eq!(c.level, Level::High);
    assert_eq!(c.tags, ["attack.t1110.003"]);
    assert_eq!(c.references, ["https://example.org/spray"]);
    assert_eq!(c.description.as_deref(), Some("One source, many accounts"));
}

#[test]
fn generate_defaults_to_false() {
    let section = "  type: temporal\n  rules: [x, y]\n  timespan: 1m\n";
    assert!(!one(&doc(section)).generate);
    assert!(one(&format!("generate: true\n{}", doc(section))).generate);
    assert!(!one(&format!("generate: false\n{}", doc(section))).generate);
    assert!(one(&doc(&format!("{section}  generate: true\n"))).generate);
    assert!(one(&format!("generate: true\n{}", doc(&format!("{section}  generate: true\n")))).generate);
    let r = rejected(&format!("generate: true\n{}", doc(&format!("{section}  generate: false\n"))));
    assert!(r.reason.contains("generate:"), "{r}");
}

/// Two logon rules and a temporal correlation over them that names one by
/// `name` and one by `id`, with aliases keyed the same ways.
const ALIASED: &str = "title: Logon from the host it was probed by
id: 0f6c2b7e-5b0e-4f7b-9a41-7d0c3e5a9b10
correlation:
  type: temporal
  rules:
    - probe
    - 2b7f9e61-1c3d-4a8e-b0f2-5e6d7c8a9b01
  group-by:
    - host
    - TargetUserName
  timespan: 10m
  aliases:
    host:
      probe: DestinationHostname
      2b7f9e61-1c3d-4a8e-b0f2-5e6d7c8a9b01: WorkstationName
---
title: Probe
id: 7e1d4c3b-9a2f-4b6e-8c0d-1f2e3a4b5c6d
name: probe
logsource:
  product: windows
  category: network_connection
detection:
  selection:
    DestinationPort: 445
  condition: selection
---
title: Network logon
id: 2b7f9e61-1c3d-4a8e-b0f2-5e6d7c8a9b01
name: network_logon
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
    LogonType: 3
  condition: selection
";

#[test]
fn aliases_and_in_file_references_by_name_and_id() {
    let l = load(ALIASED);
    assert!(l.rejected.is_empty(), "{:?}", l.rejected);
    assert_eq!(l.rules.len(), 2);
    let probe = "sigma.7e1d4c3b-9a2f-4b6e-8c0d-1f2e3a4b5c6d";
    let logon = "sigma.2b7f9e61-1c3d-4a8e-b0f2-5e6d7c8a9b01";
    let c = &l.correlations[0].0;
    assert_eq!(c.steps, vec![rule_step(probe), rule_step(logon)]);
    assert_eq!(
        c.group_by,
        vec![
            GroupKey {
                name: "host".into(),
                fields: vec![
                    (probe.to_string(), Field::new("DestinationHostname")),
                    (logon.to_string(), Field::new("WorkstationName")),
                ],
            },
            GroupKey::field("TargetUserName"),
        ]
    );
    assert_eq!(c.measure, Measure::Temporal(th(ThresholdOp::Ge, 2.0)));
    assert_eq!(
        l.names,
        vec![("sigma.probe".to_string(), probe.to_string()), ("sigma.network_logon".to_string(), logon.to_string())]
    );
}

#[test]
fn a_document_without_id_is_named_by_its_name() {
    let text = "title: Failed logon
name: failed_logon
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
---
title: Many failed logons
name: many_failed
correlation:
  type: event_count
  rules: failed_logon
  group-by: [TargetUserName]
  timespan: 5m
  condition:
    gte: 10
";
    let l = load(text);
    assert!(l.rejected.is_empty(), "{:?}", l.rejected);
    assert_eq!(l.rules[0].0.id, "sigma.failed_logon");
    let c = &l.correlations[0].0;
    assert_eq!(c.id, "sigma.many_failed");
    assert_eq!(c.steps, vec![rule_step("sigma.failed_logon")]);
    assert_eq!(
        l.names,
        vec![
            ("sigma.failed_logon".to_string(), "sigma.failed_logon".to_string()),
            ("sigma.many_failed".to_string(), "sigma.many_failed".to_string()),
        ]
    );
    // Where each document starts.
    assert_eq!(l.rules[0].1.line, 1);
    assert_eq!(l.correlations[0].1.line, 11);
}

#[test]
fn references_to_other_files_are_left_for_the_builder() {
    let rules = "title: Service installed
id: c3a1d2e4-7b6f-4e0a-9d8c-2f1b0a9e8d7c
name: service_installed
logsource:
  product: windows
  service: system
detection:
  selection:
    EventID: 7045
  condition: selection
";
    let correlation = "title: Services installed on many hosts
id: 4f0e9d8c-6b5a-4c3d-8e2f-1a0b9c8d7e6f
correlation:
  type: value_count
  rules:
    - service_installed
  group-by: [ServiceName]
  timespan: 1h
  condition:
    field: Computer
    gte: 5
";
    let a = sigma::load("rules.yml", rules);
    let b = sigma::load("corr.yml", correlation);
    assert!(a.rejected.is_empty() && b.rejected.is_empty(), "{:?} {:?}", a.rejected, b.rejected);
    assert_eq!(b.correlations[0].0.steps, vec![rule_step("sigma.service_installed")]);
    assert_eq!(
        a.names,
        vec![("sigma.service_installed".to_string(), "sigma.c3a1d2e4-7b6f-4e0a-9d8c-2f1b0a9e8d7c".to_string())]
    );
    assert!(b.names.is_empty());
    // The builder takes both.
    let builder = landwatch::RulesBuilder::new().add_sigma(a).add_sigma(b);
    assert_eq!(builder.len(), 2);
}

/// The shape of the specification's example: a temporal_ordered correlation
/// over an event_count correlation (a chain) and a rule, and the rules.
const CHAIN: &str = "title: Password guessed
id: e0d1c2b3-a4f5-4e6d-9c8b-7a6f5e4d3c2b
description: Many refused logons for an account, then one accepted
level: high
correlation:
  type: temporal_ordered
  rules:
    - multiple_failed_login
    - accepted_logon
  group-by:
    - TargetUserName
  timespan: 10m
---
title: Many refused logons
id: 1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d
name: multiple_failed_login
correlation:
  type: event_count
  rules:
    - refused_logon
  group-by:
    - TargetUserName
  timespan: 10m
  condition:
    gte: 10
---
title: Refused logon
id: 8f7e6d5c-4b3a-4291-8e0d-f1e2d3c4b5a6
name: refused_logon
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID:
      - 529
      - 4625
  condition: selection
---
title: Accepted logon
id: 6b5a4c3d-2e1f-4a9b-8c7d-6e5f4a3b2c1d
name: accepted_logon
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID:
      - 528
      - 4624
  condition: selection
";

#[test]
fn the_chain_loads_in_one_file() {
    let l = load(CHAIN);
    assert!(l.rejected.is_empty(), "{:?}", l.rejected);
    assert_eq!(l.rules.len(), 2);
    assert_eq!(l.correlations.len(), 2);
    let outer = &l.correlations[0].0;
    let inner = &l.correlations[1].0;
    assert_eq!(
        *outer,
        Correlation {
            id: "sigma.e0d1c2b3-a4f5-4e6d-9c8b-7a6f5e4d3c2b".into(),
            title: "Password guessed".into(),
            level: Level::High,
            tags: Vec::new(),
            references: Vec::new(),
            description: Some("Many refused logons for an account, then one accepted".into()),
            generate: false,
            measure: Measure::Sequence,
            steps: vec![
                rule_step("sigma.1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"),
                rule_step("sigma.6b5a4c3d-2e1f-4a9b-8c7d-6e5f4a3b2c1d"),
            ],
            group_by: vec![GroupKey::field("TargetUserName")],
            window: mins(10),
            hours: None,
        }
    );
    assert_eq!(
        *inner,
        Correlation {
            id: "sigma.1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d".into(),
            title: "Many refused logons".into(),
            level: Level::Medium,
            tags: Vec::new(),
            references: Vec::new(),
            description: None,
            generate: false,
            measure: Measure::Count(th(ThresholdOp::Ge, 10.0)),
            steps: vec![rule_step("sigma.8f7e6d5c-4b3a-4291-8e0d-f1e2d3c4b5a6")],
            group_by: vec![GroupKey::field("TargetUserName")],
            window: mins(10),
            hours: None,
        }
    );
    let names: Vec<&str> = l.names.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sigma.multiple_failed_login", "sigma.refused_logon", "sigma.accepted_logon"]);
    assert_eq!(l.correlations[1].1.line, 14);
}

#[test]
fn global_action_documents_are_still_skipped() {
    let text = format!("action: global\ntitle: shared\n---\n{}", doc("  type: temporal\n  rules: [a, b]\n  timespan: 1m\n"));
    assert_eq!(one(&text).measure, Measure::Temporal(th(ThresholdOp::Ge, 2.0)));
}

/// The 1-based line of the first line of `text` that starts with `prefix`
/// (after indentation).
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
}

/// Rejects `text` at the line starting with `at`, for a reason holding `why`.
fn rejects(text: &str, at: &str, why: &str) {
    let r = rejected(text);
    assert_eq!(r.file, FILE);
    assert_eq!(r.rule.as_deref(), text.lines().next().and_then(|l| l.strip_prefix("title: ")), "{r}");
    assert!(r.reason.contains(why), "{why:?} not in {r}");
    assert_eq!(r.line, line_of(text, at), "{r}\n{text}");
}

#[test]
fn unknown_type() {
    let text = doc("  type: event_sum\n  rules: [x]\n  timespan: 1m\n  condition:\n    gte: 1\n");
    rejects(&text, "type:", "correlation type 'event_sum' is not supported");
}

#[test]
fn bad_timespans() {
    for t in ["5 minutes", "10x", "m", "-5m", "5M", "0s", "1.5h", "99999999999999999999s"] {
        let text = doc(&format!("  type: temporal\n  rules: [x]\n  timespan: {t}\n"));
        rejects(&text, "timespan:", "timespan:");
    }
    let text = doc("  type: temporal\n  rules: [x]\n  timespan: 300\n");
    rejects(&text, "timespan:", "timespan: must be a whole number and a unit");
    let text = doc("  type: temporal\n  rules: [x]\n");
    rejects(&text, "correlation:", "needs timespan:");
}

#[test]
fn missing_or_malformed_conditions() {
    let text = doc("  type: event_count\n  rules: [x]\n  timespan: 1m\n");
    rejects(&text, "correlation:", "event_count needs condition:");
    let text = doc("  type: value_sum\n  rules: [x]\n  timespan: 1m\n");
    rejects(&text, "correlation:", "value_sum needs condition: with field:");
    let text = doc("  type: event_count\n  rules: [x]\n  timespan: 1m\n  condition:\n    gte: 1\n    atleast: 3\n");
    rejects(&text, "atleast:", "unknown key 'atleast' in condition:");
    let text = doc("  type: event_count\n  rules: [x]\n  timespan: 1m\n  condition:\n    gte: ten\n");
    rejects(&text, "gte:", "condition gte: must be a number");
    let text = doc("  type: event_count\n  rules: [x]\n  timespan: 1m\n  condition: 10\n");
    rejects(&text, "condition:", "condition: must be a map");
    let text = doc("  type: event_count\n  rules: [x]\n  timespan: 1m\n  condition:\n    field: User\n    gte: 1\n");
    rejects(&text, "field:", "condition field: is for the value_* types, not event_count");
    let text = doc("  type: value_avg\n  rules: [x]\n  timespan: 1m\n  condition:\n    field: Bytes\n");
    rejects(&text, "condition:", "needs a comparison");
    let text = doc("  type: event_count\n  rules: [x]\n  timespan: 1m\n  condition:\n    gt: 1\n    gte: 2\n    lt: 9\n    lte: 8\n");
    rejects(&text, "condition:", "at most three comparisons");
}

#[test]
fn value_count_fields() {
    let text = doc("  type: value_count\n  rules: [x]\n  timespan: 1m\n  condition:\n    gte: 3\n");
    rejects(&text, "condition:", "value_count needs condition field:");
    let text = doc("  type: value_count\n  rules: [x]\n  timespan: 1m\n  condition:\n    field:\n      - User\n      - Computer\n    gte: 3\n");
    rejects(&text, "field:", "value_count over several fields is not supported");
    let text = doc("  type: value_count\n  rules: [x]\n  timespan: 1m\n  condition:\n    field: 12\n    gte: 3\n");
    rejects(&text, "field:", "must be a field name");
    let text = doc("  type: value_count\n  rules: [x]\n  timespan: 1m\n  condition:\n    field: 'User|contains'\n    gte: 3\n");
    rejects(&text, "field:", "modifiers are not supported");
}

#[test]
fn temporal_ordered_conditions_that_do_not_mean_all() {
    let text = doc("  type: temporal_ordered\n  rules: [a, b, c]\n  timespan: 1m\n  condition:\n    gte: 2\n");
    rejects(&text, "condition:", "temporal_ordered fires when all 3 rules are seen in order");
    let text = doc("  type: temporal_ordered\n  rules: [a, b]\n  timespan: 1m\n  condition:\n    lte: 2\n");
    rejects(&text, "condition:", "also holds for 1 of them, which is not supported");
    let text = doc("  type: temporal\n  rules: [a, b]\n  timespan: 1m\n  condition:\n    gt: 2\n");
    rejects(&text, "condition:", "holds for no number of rules from 1 to 2");
}

#[test]
fn rules_missing_empty_or_wrong() {
    let text = doc("  type: event_count\n  timespan: 1m\n  condition:\n    gte: 1\n");
    rejects(&text, "correlation:", "needs rules:");
    let text = doc("  type: event_count\n  rules: []\n  timespan: 1m\n  condition:\n    gte: 1\n");
    rejects(&text, "rules:", "rules: is empty");
    let text = doc("  type: event_count\n  rules:\n  timespan: 1m\n  condition:\n    gte: 1\n");
    rejects(&text, "correlation:", "needs rules:");
    let text = doc("  type: event_count\n  rules:\n    - {a: b}\n  timespan: 1m\n  condition:\n    gte: 1\n");
    rejects(&text, "rules:", "must be rule names or ids");
    let text = doc("  type: temporal\n  rules: [a, a]\n  timespan: 1m\n");
    rejects(&text, "rules:", "names 'a' twice");
}

#[test]
fn generate_not_a_boolean() {
    let text = format!("generate: yes\n{}", doc("  type: temporal\n  rules: [a]\n  timespan: 1m\n"));
    let r = rejected(&text);
    assert_eq!((r.line, r.reason.as_str()), (1, "generate: must be true or false"));
    let text = doc("  type: temporal\n  rules: [a]\n  timespan: 1m\n  generate: 1\n");
    rejects(&text, "generate:", "generate: must be true or false");
}

#[test]
fn percentile_out_of_range() {
    let text = doc("  type: value_percentile\n  rules: [a]\n  timespan: 1m\n  condition:\n    field: Bytes\n    percentile: 150\n    gt: 1\n");
    rejects(&text, "percentile:", "percentile: must be a number from 0 to 100");
    let text = doc("  type: value_avg\n  rules: [a]\n  timespan: 1m\n  condition:\n    field: Bytes\n    percentile: 50\n    gt: 1\n");
    rejects(&text, "percentile:", "is for value_percentile");
}

#[test]
fn other_malformed_sections() {
    let text = doc("  type: temporal\n  rules: [a]\n  timespan: 1m\n  timeframe: 5m\n");
    rejects(&text, "timeframe:", "unknown key 'timeframe' in correlation:");
    let text = "title: Flat\nid: f1a7\ncorrelation: temporal\n";
    rejects(text, "correlation:", "correlation: must be a map");
    let text = doc("  rules: [a]\n  timespan: 1m\n");
    rejects(&text, "correlation:", "needs type:");
    let text = doc("  type: temporal\n  rules: [a, b]\n  timespan: 1m\n  group-by: [host]\n  aliases:\n    host:\n      c: DestinationHostname\n");
    rejects(&text, "host:", "alias 'host' names 'c', which is not in rules:");
    let text = doc("  type: temporal\n  rules: [a, b]\n  timespan: 1m\n  group-by: [host]\n  aliases:\n    host: Computer\n");
    rejects(&text, "host:", "alias 'host' must map rule names to fields");
    let text = doc("  type: temporal\n  rules: [a]\n  timespan: 1m\n  group-by:\n    - [User]\n");
    rejects(&text, "group-by:", "group-by: must be a field name");
    let text = doc("  type: temporal\n  rules: [a]\n  timespan: 1m\n  group-by: [User, user]\n");
    rejects(&text, "group-by:", "group-by: names 'user' twice");
    let text = "title: Self\nname: loop\ncorrelation:\n  type: temporal\n  rules: [loop]\n  timespan: 1m\n";
    rejects(text, "rules:", "names itself");
    let text = "title: Both\nid: b07h\nlogsource:\n  product: windows\ndetection:\n  selection:\n    EventID: 1\n  condition: selection\ncorrelation:\n  type: temporal\n  rules: [a]\n  timespan: 1m\n";
    rejects(text, "detection:", "either detection: or correlation:");
    let text = "title: Nameless\ncorrelation:\n  type: temporal\n  rules: [a]\n  timespan: 1m\n";
    rejects(text, "title:", "no id");
    let text = "title: Numbered\nid: [1]\ncorrelation:\n  type: temporal\n  rules: [a]\n  timespan: 1m\n";
    rejects(text, "id:", "id: must be a string");
    let text = format!("level: severe\n{}", doc("  type: temporal\n  rules: [a]\n  timespan: 1m\n"));
    let r = rejected(&text);
    assert_eq!((r.line, r.reason.as_str()), (1, "unknown level 'severe'"));
}

#[test]
fn a_rule_without_id_but_with_name_loads_and_neither_is_rejected() {
    let rule = "title: Whoami\nname: whoami_run\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\n";
    let l = load(rule);
    assert!(l.rejected.is_empty(), "{:?}", l.rejected);
    assert_eq!(l.rules[0].0.id, "sigma.whoami_run");
    assert_eq!(l.names, vec![("sigma.whoami_run".to_string(), "sigma.whoami_run".to_string())]);
    let r = rejected(&rule.replace("name: whoami_run\n", ""));
    assert_eq!((r.line, r.reason.as_str()), (1, "no id"));
}

#[test]
fn the_other_documents_still_load() {
    let text = format!(
        "{}---\n{}",
        doc("  type: temporal\n  rules: [a]\n  timespan: forever\n"),
        CHAIN
    );
    let l = load(&text);
    assert_eq!(l.rules.len(), 2);
    assert_eq!(l.correlations.len(), 2);
    assert_eq!(l.rejected.len(), 1);
    assert_eq!(l.rejected[0].line, 6);
    assert_eq!(l.rejected[0].rule.as_deref(), Some("Lateral spread"));
}

#[test]
fn a_name_given_twice_in_a_file_is_rejected_the_second_time() {
    let text = format!(
        "{}---\n{}",
        CHAIN,
        "title: Again\nid: a9a1n\nname: refused_logon\ncorrelation:\n  type: temporal\n  rules: [x]\n  timespan: 1m\n"
    );
    let l = load(&text);
    assert_eq!(l.correlations.len(), 2);
    assert_eq!(l.rejected.len(), 1, "{:?}", l.rejected);
    let r = &l.rejected[0];
    let first = line_of(&text, "title: Refused logon");
    assert!(r.reason.contains(&format!("name 'refused_logon' is already the name of the document at line {first}")), "{r}");
    assert_eq!(r.line, CHAIN.lines().count() + 2 + 2);
}

#[test]
fn hostile_documents_are_rejected_or_loaded_whole() {
    // Many rules: linear, all kept.
    let many: Vec<String> = (0..20_000).map(|i| format!("    - r{i}\n")).collect();
    let c = one(&doc(&format!("  type: temporal\n  rules:\n{}  timespan: 1m\n", many.concat())));
    assert_eq!(c.steps.len(), 20_000);
    assert_eq!(c.measure, Measure::Temporal(th(ThresholdOp::Ge, 20_000.0)));
    // Deep nesting where a number belongs.
    let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    let r = rejected(&doc(&format!("  type: event_count\n  rules: [a]\n  timespan: 1m\n  condition:\n    gte: {deep}\n")));
    assert!(r.line >= 1 && r.line <= 8, "{r}");
    // Wrong types everywhere.
    for section in [
        "  type: [event_count]\n  rules: [a]\n  timespan: 1m\n",
        "  type: temporal\n  rules: {a: b}\n  timespan: 1m\n",
        "  type: temporal\n  rules: [a]\n  timespan: [1m]\n",
        "  type: temporal\n  rules: [a]\n  timespan: 1m\n  group-by: {a: b}\n",
        "  type: temporal\n  rules: [a]\n  timespan: 1m\n  aliases: [a]\n",
        "  type: temporal\n  rules: [a]\n  timespan: 1m\n  condition: [gte, 1]\n",
        "  type: temporal\n  rules: [a]\n  timespan: 1m\n  condition:\n    gte: .inf\n",
        "  type: temporal\n  rules: [a]\n  timespan: 1m\n  condition:\n    1: 2\n",
        "  ? [a]\n  : b\n",
    ] {
        let r = rejected(&doc(section));
        assert!(r.line >= 3, "{r}");
    }
}

/// A valid document that exercises every key, for mutations.
const FULL: &str = "title: Everything
id: 3c2b1a09-8f7e-4d6c-b5a4-9382716f5e4d
name: everything
generate: false
level: low
correlation:
  type: value_percentile
  rules:
    - one
    - two
  group-by:
    - src
    - User
  aliases:
    src:
      one: IpAddress
      two: SourceIp
  timespan: 2h
  generate: false
  condition:
    field: Bytes
    percentile: 90
    gt: 10
    lte: 1000.5
---
title: One
name: one
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
";

#[test]
fn the_full_document_loads() {
    let l = load(FULL);
    assert!(l.rejected.is_empty(), "{:?}", l.rejected);
    let c = &l.correlations[0].0;
    assert_eq!(
        c.measure,
        Measure::Percentile(
            90.0,
            Field::new("Bytes"),
            Threshold(vec![(ThresholdOp::Gt, 10.0), (ThresholdOp::Le, 1000.5)])
        )
    );
    assert_eq!(c.steps, vec![rule_step("sigma.one"), rule_step("sigma.two")]);
    assert_eq!(
        c.group_by[0],
        GroupKey {
            name: "src".into(),
            fields: vec![
                ("sigma.one".to_string(), Field::new("IpAddress")),
                ("sigma.two".to_string(), Field::new("SourceIp")),
            ],
        }
    );
}

/// Every rejection points at a line of the text and names the file.
fn lines_within(text: &str, l: &Loaded) -> Result<(), TestCaseError> {
    let lines = text.split('\n').count();
    for r in &l.rejected {
        prop_assert!(r.line >= 1 && r.line <= lines, "line {} of {}: {}\n{}", r.line, lines, r, text);
        prop_assert_eq!(&r.file, FILE);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn yaml_shaped_noise_gives_an_answer(
        s in "(correlation:|type: |rules:|group-by:|aliases:|timespan: |condition:|generate: |title: |id: |name: |level: |detection:|gte: |lte: |neq: |field: |percentile: |event_count|value_count|temporal|temporal_ordered|value_percentile|---|- |\\[|\\]|\\{|\\}|, |[a-z]{1,4}|[0-9]{1,3}|[smhdw]|\\.[0-9]|&a |\\*a|!!str |'|\"|#|\\s|\n|  |é){0,80}"
    ) {
        let l = load(&s);
        lines_within(&s, &l)?;
    }

    #[test]
    fn any_string_gives_an_answer(s in any::<String>()) {
        let l = load(&s);
        lines_within(&s, &l)?;
    }

    #[test]
    fn mutated_correlations_give_an_answer(
        cut_at in any::<prop::sample::Index>(),
        cut_len in 0usize..40,
        junk in "([a-z_:\\-\\[\\]{},'\" \n0-9]|gte: |type: |  ){0,6}",
    ) {
        let mut at = cut_at.index(FULL.len() + 1);
        while !FULL.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + cut_len).min(FULL.len());
        while !FULL.is_char_boundary(end) {
            end -= 1;
        }
        let text = format!("{}{junk}{}", &FULL[..at], &FULL[end..]);
        let l = load(&text);
        lines_within(&text, &l)?;
        // Whatever loads is complete: every correlation has steps and a window.
        for (c, _) in &l.correlations {
            prop_assert!(!c.steps.is_empty());
            prop_assert!(!c.window.is_zero());
        }
    }

    #[test]
    fn mutated_lines_give_an_answer(
        drop in any::<prop::sample::Index>(),
        dup in any::<prop::sample::Index>(),
        value in "(true|yes|-1|1e400|.nan|\\[\\]|\\{\\}|~|[a-z]{1,5}|[0-9]{1,20}[smhdwx]?|\\[a, a\\]|'x'|!!binary aGk=)",
    ) {
        let lines: Vec<&str> = FULL.lines().collect();
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        // Replace one line's value, then drop one line and repeat another.
        let i = drop.index(out.len());
        if let Some((k, _)) = out[i].clone().split_once(':') {
            out[i] = format!("{k}: {value}");
        }
        let j = dup.index(out.len());
        let again = out[j].clone();
        out.insert(j, again);
        let k = (i + j) % out.len();
        out.remove(k);
        let text = out.join("\n");
        let l = load(&text);
        lines_within(&text, &l)?;
    }
}
