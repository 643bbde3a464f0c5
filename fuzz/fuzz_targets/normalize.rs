//! The command-line normalizer and its -EncodedCommand decoder. Oracle: the
//! normal form is a fixed point (documented in core/src/normalize and
//! docs/normal-form.md), for command lines and for rule patterns.
#![no_main]
use landwatch::normalize::{command_line, pattern};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = command_line(&text);
    let twice = command_line(&once.normal);
    assert_eq!(twice.normal, once.normal, "normal form not idempotent for {text:?}");
    if let Some(decoded) = &once.decoded {
        let _ = command_line(decoded);
    }
    let p = pattern(&text);
    assert_eq!(pattern(&p), p, "pattern normal form not idempotent for {text:?}");
});
