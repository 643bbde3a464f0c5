//! Correlation state. The input is bytes for restore_state, a NUL byte,
//! then events one per line. Oracle: restoring arbitrary bytes is an error
//! or a success, never a panic; for a scanner fed the events (built-in
//! rules, which include correlations), save -> restore -> save gives the
//! same bytes; and a scanner restored from a state saved halfway through the
//! events gives, for the rest of them and the flush, exactly the detections
//! (as their JSON objects) of the scanner that saw them all.
#![no_main]
use std::sync::{Arc, OnceLock};

use landwatch::{Rules, RulesBuilder, Scanner};
use libfuzzer_sys::fuzz_target;

fn rules() -> Arc<Rules> {
    static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
    RULES
        .get_or_init(|| Arc::new(RulesBuilder::new().add_builtin().build().expect("built-in rules compile")))
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let (state, events) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let mut scanner = Scanner::new(rules());
    let _ = scanner.restore_state(state);
    let _ = scanner.save_state();

    let lines: Vec<&[u8]> = events.split(|&b| b == b'\n').take(64).collect();
    let (before, after) = lines.split_at(lines.len() / 2);
    let mut fed = Scanner::new(rules());
    for line in before {
        let _ = fed.scan_json(line);
    }
    let saved = fed.save_state();
    let mut restored = Scanner::new(rules());
    if let Err(e) = restored.restore_state(&saved) {
        panic!("a scanner's own saved state does not restore: {e}");
    }
    assert_eq!(restored.save_state(), saved, "save -> restore -> save changed the bytes");

    let rest = |scanner: &mut Scanner| -> Vec<String> {
        let mut out = Vec::new();
        for line in after {
            if let Ok(found) = scanner.scan_json(line) {
                out.extend(found.iter().map(|d| d.to_json()));
            }
        }
        out.extend(scanner.flush().iter().map(|d| d.to_json()));
        out
    };
    let want = rest(&mut fed);
    assert_eq!(rest(&mut restored), want, "a restored scanner detects differently");
});
