//! `lw_error`: why a call failed, with the position a rule author needs.

use std::ffi::{c_char, CString};

use crate::lw_status;

/// An error: its message (UTF-8, NUL-terminated) and, for rule errors,
/// the line and column (from 1) of the first one. Made by a failing call
/// when its `err` argument is not NULL; the caller owns it and frees it
/// with `lw_error_free`.
pub struct lw_error {
    pub(crate) status: lw_status,
    message: CString,
    line: usize,
    column: usize,
}

impl lw_error {
    /// An error without a position. A NUL inside the message (which C
    /// could not read past) is replaced.
    pub(crate) fn new(status: lw_status, message: String) -> lw_error {
        lw_error { status, message: c_string(&message), line: 0, column: 0 }
    }

    pub(crate) fn at(mut self, line: usize, column: usize) -> lw_error {
        self.line = line;
        self.column = column;
        self
    }

    pub(crate) fn arg(what: &str) -> lw_error {
        lw_error::new(lw_status::LW_ERR_ARG, what.to_string())
    }
}

/// Text as a C string: a NUL inside it (which C could not read past)
/// is replaced. Text without one (all but never) is copied once, into a
/// buffer of the right size; only text with one pays for the replacing.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|_| CString::new(s.replace('\0', "\u{fffd}")).unwrap_or_default())
}

/// Hands `e` to the caller through `err`, or drops it when `err` is NULL.
///
/// # Safety
/// `err` is NULL or points to writable storage for one pointer.
pub(crate) unsafe fn give(err: *mut *mut lw_error, e: lw_error) {
    if !err.is_null() {
        // SAFETY: the caller's contract.
        unsafe { *err = Box::into_raw(Box::new(e)) };
    }
}

/// The error's message: UTF-8, NUL-terminated, valid until `lw_error_free`.
/// "" for NULL.
///
/// # Safety
/// The argument is NULL or an object of this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lw_error_message(e: *const lw_error) -> *const c_char {
    // SAFETY: NULL or an error this library made and the caller still owns.
    match unsafe { e.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// The line (from 1) of a rule error; 0 when the error has no position
/// (or for NULL).
///
/// # Safety
/// The argument is NULL or an object of this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lw_error_line(e: *const lw_error) -> usize {
    // SAFETY: as lw_error_message.
    unsafe { e.as_ref() }.map_or(0, |e| e.line)
}

/// The column (from 1) of a rule error; 0 when it has none (or for NULL).
///
/// # Safety
/// The argument is NULL or an object of this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lw_error_column(e: *const lw_error) -> usize {
    // SAFETY: as lw_error_message.
    unsafe { e.as_ref() }.map_or(0, |e| e.column)
}

/// The status the failing call returned; LW_ERR_ARG for NULL.
///
/// # Safety
/// The argument is NULL or an object of this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lw_error_status(e: *const lw_error) -> lw_status {
    // SAFETY: as lw_error_message.
    unsafe { e.as_ref() }.map_or(lw_status::LW_ERR_ARG, |e| e.status)
}

/// Frees an error. NULL is allowed (nothing happens).
///
/// # Safety
/// `e` is NULL or an error from this library, not freed before.
#[no_mangle]
pub unsafe extern "C" fn lw_error_free(e: *mut lw_error) {
    if !e.is_null() {
        // SAFETY: the caller's contract: ours, and freed once.
        drop(unsafe { Box::from_raw(e) });
    }
}
