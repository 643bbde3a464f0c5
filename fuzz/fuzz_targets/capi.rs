//! liblandwatch's extern "C" entry points (bindings-c's source, built as
//! the landwatch-capi rlib) with arbitrary bytes and lengths:
//! lw_rules_compile on rule text, lw_scanner_scan_json on events. Lengths
//! are the fuzzer's choice up to the buffer's end (past it would break the
//! C contract, not landwatch). Oracle: no status is LW_ERR_INTERNAL (a
//! caught panic), errors come with an lw_error, and nothing leaks or
//! crashes under the fuzzer's checks.
#![no_main]
use std::ffi::{c_char, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;

use landwatch_capi::error::lw_error_free;
use landwatch_capi::rules::{lw_rules_builtin, lw_rules_compile, lw_rules_free};
use landwatch_capi::scanner::{lw_scanner_free, lw_scanner_new, lw_scanner_scan_json};
use landwatch_capi::{lw_detection, lw_error, lw_rules, lw_status};
use libfuzzer_sys::fuzz_target;

unsafe extern "C" fn count(_d: *const lw_detection, user: *mut c_void) -> c_int {
    // SAFETY: user is the &mut usize passed below.
    unsafe { *user.cast::<usize>() += 1 };
    0
}

struct Builtin(*mut lw_rules);
// SAFETY: lw_rules is immutable and documented as shareable between threads.
unsafe impl Send for Builtin {}
unsafe impl Sync for Builtin {}

fn builtin() -> *const lw_rules {
    static RULES: OnceLock<Builtin> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let mut r = ptr::null_mut();
            let mut e = ptr::null_mut();
            // SAFETY: valid out pointers.
            let s = unsafe { lw_rules_builtin(&mut r, &mut e) };
            assert!(matches!(s, lw_status::LW_OK));
            Builtin(r)
        })
        .0
}

fn check(status: lw_status, err: *mut lw_error, what: &str) {
    assert!(!matches!(status, lw_status::LW_ERR_INTERNAL), "{what}: internal error (a caught panic)");
    if matches!(status, lw_status::LW_OK) {
        assert!(err.is_null(), "{what}: OK with an error");
    } else {
        assert!(!err.is_null(), "{what}: failure without an error");
        // SAFETY: ours, freed once.
        unsafe { lw_error_free(err) };
    }
}

fuzz_target!(|data: &[u8]| {
    // First byte: a split point and a length cut, so lengths vary.
    let Some((&k, rest)) = data.split_first() else { return };
    let cut = (k as usize * rest.len()) / 255;
    let (src, events) = rest.split_at(cut);
    unsafe {
        // Rule text with its exact length, and a shorter one.
        for len in [src.len(), src.len() / 2] {
            let mut rules = ptr::null_mut();
            let mut err = ptr::null_mut();
            let s = lw_rules_compile(src.as_ptr().cast::<c_char>(), len, c"fuzz.lw".as_ptr(), &mut rules, &mut err);
            check(s, err, "lw_rules_compile");
            lw_rules_free(rules);
        }
        let mut scanner = ptr::null_mut();
        let mut err = ptr::null_mut();
        let s = lw_scanner_new(builtin(), &mut scanner, &mut err);
        check(s, err, "lw_scanner_new");
        let mut n = 0usize;
        for line in events.split(|&b| b == b'\n').take(32) {
            for len in [line.len(), line.len().saturating_sub(k as usize % 7)] {
                let mut err = ptr::null_mut();
                let s = lw_scanner_scan_json(
                    scanner,
                    line.as_ptr().cast::<c_char>(),
                    len,
                    Some(count),
                    (&mut n as *mut usize).cast::<c_void>(),
                    &mut err,
                );
                check(s, err, "lw_scanner_scan_json");
            }
        }
        lw_scanner_free(scanner);
    }
});
