//! Compile arbitrary rule text, then scan arbitrary events with it. The
//! input is rule source, a NUL byte, then events one per line. core's
//! reference evaluator lives in its tests (core/tests/support), not in the
//! public API, so the oracle here is: compile errors are values, scanning
//! never panics, and a detection names a rule that compiled.
#![no_main]
use std::sync::Arc;

use landwatch::{RulesBuilder, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (source, events) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(source) = std::str::from_utf8(source) else { return };
    let Ok(rules) = RulesBuilder::new().add_source("fuzz.lw", source).build() else { return };
    let rules = Arc::new(rules);
    let mut scanner = Scanner::new(rules.clone());
    let mut detections = Vec::new();
    for line in events.split(|&b| b == b'\n').take(64) {
        if let Ok(d) = scanner.scan_json(line) {
            detections.extend(d);
        }
    }
    detections.extend(scanner.flush());
    for d in &detections {
        assert!(rules.get(&d.rule).is_some(), "detection of unknown rule {}", d.rule);
    }
});
