//! Arbitrary bytes as one JSON event, through Scanner::scan_json with the
//! built-in rules under every schema. Oracle: no panic; a byte string that
//! serde_json does not read as an object is an error, never a detection.
//! (Invalid UTF-8 in a value is read leniently by design, core/src/event/
//! json.rs, so serde_json is given the lossy text.)
#![no_main]
use std::sync::{Arc, OnceLock};

use landwatch::{Rules, RulesBuilder, Scanner, Schema};
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
});
