//! `lw_detection`: one detection, lent to the callback.

use std::ffi::{c_char, CString};

use crate::error::c_string;

/// A detection, valid only during the `lw_on_detection` callback that
/// receives it (copy what you keep). Its strings are UTF-8 and
/// NUL-terminated.
pub struct lw_detection {
    rule: CString,
    title: CString,
    level: CString,
    tags: Vec<CString>,
}

impl lw_detection {
    pub(crate) fn new(d: &lw::Detection) -> lw_detection {
        lw_detection {
            rule: c_string(&d.rule),
            title: c_string(&d.title),
            level: c_string(d.level.as_str()),
            tags: d.tags.iter().map(|t| c_string(t)).collect(),
        }
    }
}

/// The rule's (or correlation's) id; "" for NULL.
///
/// # Safety
/// `d` is NULL or the detection a callback received, during that callback.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_rule(d: *const lw_detection) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(c"".as_ptr(), |d| d.rule.as_ptr())
}

/// The rule's title; "" for NULL.
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_title(d: *const lw_detection) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(c"".as_ptr(), |d| d.title.as_ptr())
}

/// "informational", "low", "medium", "high" or "critical"; "" for NULL.
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_level(d: *const lw_detection) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(c"".as_ptr(), |d| d.level.as_ptr())
}

/// How many tags the rule has (0 for NULL).
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_tag_count(d: *const lw_detection) -> usize {
    // SAFETY: the caller's contract.
    unsafe { d.as_ref() }.map_or(0, |d| d.tags.len())
}

/// Tag `i` (from 0); NULL when `i` is not below the count.
///
/// # Safety
/// As lw_detection_rule.
#[no_mangle]
pub unsafe extern "C" fn lw_detection_tag(d: *const lw_detection, i: usize) -> *const c_char {
    // SAFETY: the caller's contract.
    match unsafe { d.as_ref() }.and_then(|d| d.tags.get(i)) {
        Some(t) => t.as_ptr(),
        None => std::ptr::null(),
    }
}
