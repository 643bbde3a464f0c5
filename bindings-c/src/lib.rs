//! liblandwatch: the C API of landwatch.
//!
//! A thin layer over the `landwatch` crate for plugins written in C (SIEM
//! and log-shipper filters), shaped like libyara and Hyperscan: compile
//! rules once (`lw_rules`, immutable, shared by threads), scan each stream
//! with a scanner of its own, get detections through a callback. Every
//! object is created by one `lw_*_new`/`lw_*_compile` function and freed
//! by its `lw_*_free`; every failing call returns a status and, when the
//! caller asks, an `lw_error` saying why. Nothing panics across the
//! boundary: a panic inside is caught and returned as `LW_ERR_INTERNAL`.
//!
//! One object per file: [`error`] (`lw_error`), [`rules`] (`lw_rules`),
//! [`scanner`] (`lw_scanner`), [`detection`] (`lw_detection`).

#![allow(non_camel_case_types)]

pub mod detection;
pub mod error;
mod options;
pub mod rules;
pub mod scanner;

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use error::lw_error;
pub use detection::lw_detection;
pub use rules::lw_rules;
pub use scanner::{lw_on_detection, lw_scanner, lw_stats};

/// What a call did.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lw_status {
    /// It worked.
    LW_OK = 0,
    /// Rules did not compile or load (the error has the position).
    LW_ERR_RULE,
    /// An event could not be read: malformed JSON, invalid UTF-8, not an object.
    LW_ERR_INPUT,
    /// An argument was NULL, or otherwise not what the function takes.
    LW_ERR_ARG,
    /// Saved scanner state could not be restored.
    LW_ERR_STATE,
    /// A bug inside landwatch (a caught panic); the error says where.
    LW_ERR_INTERNAL,
}

/// The library's version, as "MAJOR.MINOR.PATCH": a static string, never
/// freed.
#[no_mangle]
pub extern "C" fn lw_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Runs `f`, turning a panic into `LW_ERR_INTERNAL` with its message in
/// `*err` (when `err` is not NULL).
///
/// # Safety
/// `err` is NULL or points to writable storage for one pointer.
pub(crate) unsafe fn guard(err: *mut *mut lw_error, f: impl FnOnce() -> Result<(), lw_error>) -> lw_status {
    let outcome = catch_unwind(AssertUnwindSafe(f));
    let failure = match outcome {
        Ok(Ok(())) => return lw_status::LW_OK,
        Ok(Err(e)) => e,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            lw_error::new(lw_status::LW_ERR_INTERNAL, format!("internal error (a bug in landwatch): {what}"))
        }
    };
    let status = failure.status;
    // SAFETY: the caller's contract on `err`.
    unsafe { error::give(err, failure) };
    status
}

/// Panics inside the boundary's guard, for the C tests that check a panic
/// comes back as `LW_ERR_INTERNAL` with a message. Not part of the API:
/// left out of the header (the tests declare it themselves).
///
/// # Safety
/// `err` is NULL or points to writable storage for one pointer.
#[doc(hidden)]
#[no_mangle]
pub unsafe extern "C" fn lw_internal_test_panic(err: *mut *mut lw_error) -> lw_status {
    // SAFETY: the caller's contract on `err`.
    unsafe { guard(err, || panic!("lw_internal_test_panic was called")) }
}
