//! Arbitrary bytes as one JSON event, through Scanner::scan_json with the
//! built-in rules under every schema. Oracles: no panic; a byte string that
//! serde_json does not read as an object is an error, never a detection
//! (invalid UTF-8 in a value is read leniently by design, core/src/event/
//! json.rs, so serde_json is given the lossy text). And the fields read equal
//! serde_json's: for a flat object (string members, plain names unique
//! ignoring case), a rule `NAME.raw == VALUE` (cased) per member, where
//! VALUE is what serde_json decoded, fires on the bytes under the Sysmon
//! schema, every one of them. (Sysmon reads a name at its own key; names the
//! schema derives, such as the joined `DOMAIN\user` fields, are left out.
//! Auto may pick Security, which reads `ParentImage` from
//! `ParentProcessName` by design.)
#![no_main]
use std::sync::{Arc, OnceLock};

use landwatch::ast::{EventKind, Expr, Field, FieldForm, Level, Op, Predicate, Rule, Value};
use landwatch::schema::{sources, Source, ANY_FIELD};
use landwatch::{Origin, Rules, RulesBuilder, Scanner, Schema};
use libfuzzer_sys::fuzz_target;

fn rules() -> Arc<Rules> {
    static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
    RULES
        .get_or_init(|| Arc::new(RulesBuilder::new().add_builtin().build().expect("built-in rules compile")))
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let object = matches!(serde_json::from_str::<serde_json::Value>(&String::from_utf8_lossy(data)), Ok(serde_json::Value::Object(_)));
    for schema in [Schema::Auto, Schema::Sysmon, Schema::Security, Schema::Ecs, Schema::Evtx] {
        let mut scanner = Scanner::new(rules()).with_schema(schema);
        let result = scanner.scan_json(data);
        if !object {
            if let Ok(d) = &result {
                assert!(d.is_empty(), "not a JSON object, yet {} detections", d.len());
            }
        }
        let _ = scanner.flush();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        fields_read_as_serde_reads_them(text);
    }
});

/// One rule per member of a flat object, each requiring the member's value
/// exactly as serde_json decoded it; all must fire.
fn fields_read_as_serde_reads_them(text: &str) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else { return };
    let mut members: Vec<(String, String)> = Vec::new();
    for (k, v) in map {
        let serde_json::Value::String(v) = v else { return };
        let plain = !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !plain || members.iter().any(|(o, _)| o.eq_ignore_ascii_case(&k)) {
            return;
        }
        members.push((k, v));
    }
    if members.is_empty() || members.len() > 16 {
        return;
    }
    let mut builder = RulesBuilder::new();
    // `AnyField` is every value at once, not a key.
    let own_key = |k: &str| !k.eq_ignore_ascii_case(ANY_FIELD) && sources(Schema::Sysmon, k) == [Source::Path(k.to_string())];
    let members: Vec<(String, String)> = members.into_iter().filter(|(k, _)| own_key(k)).collect();
    for (i, (k, v)) in members.iter().enumerate() {
        let when = Expr::Pred(Predicate {
            field: Field { name: k.clone(), form: FieldForm::Raw },
            op: Op::Eq(Value::Str(v.clone())),
            cased: true,
        });
        let rule = Rule {
            id: format!("f.{i}"),
            title: k.clone(),
            level: Level::Low,
            tags: Vec::new(),
            references: Vec::new(),
            description: None,
            on: EventKind::Any,
            when,
        };
        builder = builder.add_rule(rule, Origin { file: "fuzz".into(), line: 1, column: 1 });
    }
    // A value the compiler refuses (say, too long a pattern) is no finding.
    let Ok(rules) = builder.build() else { return };
    let mut scanner = Scanner::new(Arc::new(rules)).with_schema(Schema::Sysmon);
    let found = scanner.scan_json(text.as_bytes()).expect("serde_json reads it as an object");
    let fired: Vec<&str> = found.iter().map(|d| d.title.as_str()).collect();
    let names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(fired, names, "members {members:?}");
}
