//! `lw_scanner`: one stream of events against shared rules, with the
//! stream's correlation state.

use std::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use crate::detection::lw_detection;
use crate::error::lw_error;
use crate::rules::lw_rules;
use crate::{guard, lw_status};

/// A scanner: one stream, its correlation state, its counters. Used by one
/// thread at a time (make one per thread from shared `lw_rules`). Holds
/// its own reference to the rules. Freed with `lw_scanner_free`.
pub struct lw_scanner {
    // None only if a panic struck while the zones were being set.
    inner: Option<lw::Scanner>,
}

fn live(s: &mut lw_scanner) -> Result<&mut lw::Scanner, lw_error> {
    s.inner.as_mut().ok_or_else(|| lw_error::new(lw_status::LW_ERR_STATE, "this scanner was broken by an internal error; make a new one".into()))
}

/// The scanner's counters.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct lw_stats {
    /// Events given to the scanner.
    pub read: u64,
    /// Events scanned (read minus rejected).
    pub scanned: u64,
    /// Events that could not be read (malformed JSON, not an object...).
    pub rejected: u64,
    /// Events later than the lateness, left out of correlations.
    pub late: u64,
    /// Detections given to callbacks.
    pub detections: u64,
    /// Correlation groups held now.
    pub groups: u64,
    /// Events waiting for the lateness to pass.
    pub pending: u64,
    /// Events a correlation would read but without a readable time, left
    /// out of correlations.
    pub no_time: u64,
    /// Correlation groups evicted to stay within the state caps.
    pub evicted: u64,
    /// Events released before the lateness passed (too many waiting).
    pub forced: u64,
    /// Of the detections, correlated ones.
    pub correlated: u64,
}

/// Called once per detection; return non-zero to stop giving the rest of
/// this call's detections (they are dropped; the scan itself is done).
pub type lw_on_detection = Option<unsafe extern "C" fn(d: *const lw_detection, user: *mut c_void) -> c_int>;

/// Gives each detection to `cb` until it asks to stop.
///
/// # Safety
/// `cb` is a function that may be called with `user`.
unsafe fn deliver(found: &[lw::Detection], cb: lw_on_detection, user: *mut c_void) {
    let Some(cb) = cb else { return };
    for d in found {
        let det = lw_detection::new(d);
        // SAFETY: the caller's contract on cb and user; det lives across the call.
        if unsafe { cb(&det, user) } != 0 {
            break;
        }
    }
}

/// Makes a scanner over `rules`, with the default options (schema "auto",
/// lateness 60 s). `*out` is the caller's, freed with `lw_scanner_free`.
///
/// # Safety
/// `rules` is NULL or live rules; `out` points to storage for one
/// pointer; `err` is NULL or does.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_new(rules: *const lw_rules, out: *mut *mut lw_scanner, err: *mut *mut lw_error) -> lw_status {
    // SAFETY: the caller's contract.
    unsafe {
        guard(err, || {
            let Some(rules) = rules.as_ref() else {
                return Err(lw_error::arg("lw_scanner_new: rules must not be NULL"));
            };
            if out.is_null() {
                return Err(lw_error::arg("lw_scanner_new: out must not be NULL"));
            }
            let inner = lw::Scanner::new(Arc::clone(&rules.inner));
            *out = Box::into_raw(Box::new(lw_scanner { inner: Some(inner) }));
            Ok(())
        })
    }
}

/// Makes a scanner over `rules` with options: a TOML table, `len` bytes,
/// of any of these keys (the `landwatch scan` flags of the same names;
/// a key left out keeps its default):
///
///     schema = "auto"          # auto, sysmon, security, ecs, evtx
///     lateness = "60s"         # how late an event may come and still correlate
///     time_field = "ts"        # a field read for the event time first
///     time_missing = "skip"    # or "previous": the last event's time
///     ordered = false          # hold stateless detections back too, in time order
///     max_events = 32          # contributing events a correlation lists
///     max_groups = 1000000     # correlation groups held (oldest evicted)
///     max_state_bytes = 268435456
///     max_pending = 1000000    # events waiting for the lateness
///
/// An unknown key or a bad value gives LW_ERR_ARG naming it. `*out` as for
/// `lw_scanner_new`.
///
/// # Safety
/// `rules` is NULL or live rules; `options` points to `len` bytes; `out`
/// points to storage for one pointer; `err` is NULL or does.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_new_with(
    rules: *const lw_rules,
    options: *const c_char,
    len: usize,
    out: *mut *mut lw_scanner,
    err: *mut *mut lw_error,
) -> lw_status {
    // SAFETY: the caller's contract.
    unsafe {
        guard(err, || {
            let (Some(rules), false, false) = (rules.as_ref(), options.is_null(), out.is_null()) else {
                return Err(lw_error::arg("lw_scanner_new_with: rules, options and out must not be NULL"));
            };
            let text = std::str::from_utf8(std::slice::from_raw_parts(options.cast::<u8>(), len))
                .map_err(|e| lw_error::arg(&format!("lw_scanner_new_with: the options are not UTF-8: {e}")))?;
            let opts = crate::options::parse(text).map_err(|e| lw_error::arg(&format!("scanner options: {e}")))?;
            let inner = lw::Scanner::with_options(Arc::clone(&rules.inner), opts);
            *out = Box::into_raw(Box::new(lw_scanner { inner: Some(inner) }));
            Ok(())
        })
    }
}

/// Gives the scanner its network zones and business hours: the TOML of
/// `landwatch scan --zones`, `len` bytes. LW_ERR_ARG when it does not read.
///
/// # Safety
/// `s` is NULL or a live scanner not used by another thread; `toml`
/// points to `len` bytes; `err` is NULL or points to storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_set_zones(s: *mut lw_scanner, toml: *const c_char, len: usize, err: *mut *mut lw_error) -> lw_status {
    // SAFETY: the caller's contract.
    unsafe {
        guard(err, || {
            let (Some(s), false) = (s.as_mut(), toml.is_null()) else {
                return Err(lw_error::arg("lw_scanner_set_zones: scanner and toml must not be NULL"));
            };
            let text = std::str::from_utf8(std::slice::from_raw_parts(toml.cast::<u8>(), len))
                .map_err(|e| lw_error::arg(&format!("lw_scanner_set_zones: not UTF-8: {e}")))?;
            let zones = lw::Zones::from_toml(text).map_err(|e| lw_error::arg(&format!("zones: {e}")))?;
            live(s)?;
            s.inner = s.inner.take().map(|inner| inner.with_zones(Arc::new(zones)));
            Ok(())
        })
    }
}

/// Scans one event: `json` is its JSON text, `len` bytes (it may hold NUL;
/// it need not be NUL-terminated). Each detection it completes goes to
/// `cb` (NULL: counted, not given). A malformed event (bad JSON, invalid
/// UTF-8, not an object) gives LW_ERR_INPUT, is counted as rejected, and
/// leaves the scanner usable.
///
/// # Safety
/// `s` is NULL or a live scanner not used by another thread; `json`
/// points to `len` bytes; `cb` may be called with `user`; `err` is NULL or
/// points to storage for one pointer.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_scan_json(
    s: *mut lw_scanner,
    json: *const c_char,
    len: usize,
    cb: lw_on_detection,
    user: *mut c_void,
    err: *mut *mut lw_error,
) -> lw_status {
    // SAFETY: the caller's contract.
    unsafe {
        guard(err, || {
            let (Some(s), false) = (s.as_mut(), json.is_null()) else {
                return Err(lw_error::arg("lw_scanner_scan_json: scanner and json must not be NULL"));
            };
            let bytes = std::slice::from_raw_parts(json.cast::<u8>(), len);
            let found = live(s)?.scan_json(bytes).map_err(|e| lw_error::new(lw_status::LW_ERR_INPUT, e.to_string()))?;
            deliver(&found, cb, user);
            Ok(())
        })
    }
}

/// Ends the stream: the detections of the events still waiting for the
/// lateness go to `cb`. The scanner stays usable.
///
/// # Safety
/// As lw_scanner_scan_json.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_flush(s: *mut lw_scanner, cb: lw_on_detection, user: *mut c_void, err: *mut *mut lw_error) -> lw_status {
    // SAFETY: the caller's contract.
    unsafe {
        guard(err, || {
            let Some(s) = s.as_mut() else {
                return Err(lw_error::arg("lw_scanner_flush: scanner must not be NULL"));
            };
            let found = live(s)?.flush();
            deliver(&found, cb, user);
            Ok(())
        })
    }
}

/// The scanner's counters into `*out` (zeros for a NULL scanner).
/// `read == scanned + rejected`.
///
/// # Safety
/// `s` is NULL or a live scanner; `out` is NULL or points to an lw_stats.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_stats(s: *const lw_scanner, out: *mut lw_stats) {
    // SAFETY: the caller's contract.
    let Some(out) = (unsafe { out.as_mut() }) else { return };
    let stats = unsafe { s.as_ref() }.and_then(|s| s.inner.as_ref()).map(|s| (s.stats(), s.accounting()));
    *out = match stats {
        Some((st, a)) => lw_stats {
            read: a.read,
            scanned: a.scanned,
            rejected: a.rejected,
            late: st.late,
            detections: st.detections,
            groups: st.groups,
            pending: st.pending,
            no_time: a.no_time,
            evicted: a.evicted,
            forced: a.forced,
            correlated: a.correlated,
        },
        None => lw_stats::default(),
    };
}

/// Every event accounted for, as one JSON object with the keys
/// `landwatch scan --stats json` prints: read, scanned, rejected,
/// rejected_by_reason (reason -> count), late, no_time, evicted, forced,
/// detections, correlated, detections_by_rule (rule id -> count),
/// detections_by_level. Written as `snprintf` does: at most `cap - 1`
/// bytes and a NUL into `buf` (nothing when `cap` is 0 or `buf` NULL);
/// returns the text's length without the NUL, so a return `>= cap` means
/// call again with a buffer of return + 1 bytes. 0 for a NULL or broken
/// scanner.
///
/// # Safety
/// `s` is NULL or a live scanner not used by another thread; `buf` is NULL
/// or points to `cap` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_stats_json(s: *const lw_scanner, buf: *mut c_char, cap: usize) -> usize {
    // SAFETY: the caller's contract.
    let Some(scanner) = (unsafe { s.as_ref() }).and_then(|s| s.inner.as_ref()) else { return 0 };
    let text = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scanner.accounting().to_json()));
    let Ok(text) = text else { return 0 };
    if !buf.is_null() && cap > 0 {
        let n = text.len().min(cap - 1);
        // SAFETY: buf has cap >= n + 1 writable bytes; text has n.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), buf, n);
            *buf.add(n) = 0;
        }
    }
    text.len()
}

/// The scanner's correlation state as bytes, for `lw_scanner_restore`.
/// `*buf` (`*len` bytes) is the caller's, freed with `lw_buffer_free(buf,
/// len)`.
///
/// # Safety
/// `s` is NULL or a live scanner not used by another thread; `buf` and
/// `len` point to storage; `err` is NULL or points to storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_save(s: *const lw_scanner, buf: *mut *mut u8, len: *mut usize, err: *mut *mut lw_error) -> lw_status {
    // SAFETY: the caller's contract.
    unsafe {
        guard(err, || {
            let (Some(s), false, false) = (s.as_ref(), buf.is_null(), len.is_null()) else {
                return Err(lw_error::arg("lw_scanner_save: scanner, buf and len must not be NULL"));
            };
            let Some(inner) = s.inner.as_ref() else {
                return Err(lw_error::new(lw_status::LW_ERR_STATE, "this scanner was broken by an internal error".into()));
            };
            let blob = inner.save_state().into_boxed_slice();
            *len = blob.len();
            *buf = Box::into_raw(blob).cast::<u8>();
            Ok(())
        })
    }
}

/// Frees a buffer from `lw_scanner_save`, with the length it gave. NULL is
/// allowed.
///
/// # Safety
/// `buf` is NULL or a buffer from lw_scanner_save with its `len`, not freed
/// before.
#[no_mangle]
pub unsafe extern "C" fn lw_buffer_free(buf: *mut u8, len: usize) {
    if !buf.is_null() {
        // SAFETY: the caller's contract: a boxed slice of `len` bytes.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buf, len)) });
    }
}

/// A scanner of `rules` that goes on from state saved by
/// `lw_scanner_save`. State saved with other correlations, of another
/// format version, or damaged gives LW_ERR_STATE.
///
/// # Safety
/// `rules` is NULL or live rules; `buf` points to `len` bytes; `out`
/// points to storage for one pointer; `err` is NULL or does.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_restore(
    rules: *const lw_rules,
    buf: *const u8,
    len: usize,
    out: *mut *mut lw_scanner,
    err: *mut *mut lw_error,
) -> lw_status {
    // SAFETY: the caller's contract.
    unsafe {
        guard(err, || {
            let (Some(rules), false, false) = (rules.as_ref(), buf.is_null(), out.is_null()) else {
                return Err(lw_error::arg("lw_scanner_restore: rules, buf and out must not be NULL"));
            };
            let mut inner = lw::Scanner::new(Arc::clone(&rules.inner));
            inner
                .restore_state(std::slice::from_raw_parts(buf, len))
                .map_err(|e| lw_error::new(lw_status::LW_ERR_STATE, e.to_string()))?;
            *out = Box::into_raw(Box::new(lw_scanner { inner: Some(inner) }));
            Ok(())
        })
    }
}

/// Frees a scanner (its state is lost: `lw_scanner_save` first to keep
/// it). NULL is allowed.
///
/// # Safety
/// `s` is NULL or a scanner from this library, not freed before.
#[no_mangle]
pub unsafe extern "C" fn lw_scanner_free(s: *mut lw_scanner) {
    if !s.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { Box::from_raw(s) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{lw_rules_builtin, lw_rules_free};
    use std::ptr;

    unsafe extern "C" fn collect(d: *const lw_detection, user: *mut c_void) -> c_int {
        let rules = unsafe { &mut *user.cast::<Vec<String>>() };
        let rule = unsafe { std::ffi::CStr::from_ptr(crate::detection::lw_detection_rule(d)) };
        rules.push(rule.to_string_lossy().into_owned());
        0
    }

    #[test]
    fn scan_the_example_and_outlive_the_rules() {
        let mut rules = ptr::null_mut();
        assert_eq!(unsafe { lw_rules_builtin(&mut rules, ptr::null_mut()) }, lw_status::LW_OK);
        let mut s = ptr::null_mut();
        assert_eq!(unsafe { lw_scanner_new(rules, &mut s, ptr::null_mut()) }, lw_status::LW_OK);
        unsafe { lw_rules_free(rules) };
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/msp-intrusion.jsonl")).unwrap();
        let mut found: Vec<String> = Vec::new();
        let user = (&mut found as *mut Vec<String>).cast::<c_void>();
        for line in text.lines() {
            let st = unsafe { lw_scanner_scan_json(s, line.as_ptr().cast(), line.len(), Some(collect), user, ptr::null_mut()) };
            assert_eq!(st, lw_status::LW_OK);
        }
        assert_eq!(unsafe { lw_scanner_flush(s, Some(collect), user, ptr::null_mut()) }, lw_status::LW_OK);
        assert!(found.iter().any(|r| r == "lotl.certutil_download"));
        let bad = b"{\"EventID\": ";
        let mut err = ptr::null_mut();
        assert_eq!(unsafe { lw_scanner_scan_json(s, bad.as_ptr().cast(), bad.len(), None, ptr::null_mut(), &mut err) }, lw_status::LW_ERR_INPUT);
        unsafe { crate::error::lw_error_free(err) };
        let mut stats = lw_stats::default();
        unsafe { lw_scanner_stats(s, &mut stats) };
        assert_eq!(stats.read, text.lines().count() as u64 + 1);
        assert_eq!(stats.rejected, 1);
        assert_eq!(stats.detections, found.len() as u64);
        assert_eq!(stats.read, stats.scanned + stats.rejected);
        let need = unsafe { lw_scanner_stats_json(s, ptr::null_mut(), 0) };
        let mut text = vec![0 as c_char; need + 1];
        assert_eq!(unsafe { lw_scanner_stats_json(s, text.as_mut_ptr(), text.len()) }, need);
        let json = unsafe { std::ffi::CStr::from_ptr(text.as_ptr()) }.to_str().unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["read"], stats.read);
        assert_eq!(v["rejected_by_reason"]["malformed JSON"], 1);
        assert_eq!(v["detections_by_rule"]["lotl.certutil_download"], 1);
        let mut short = [1 as c_char; 8];
        assert_eq!(unsafe { lw_scanner_stats_json(s, short.as_mut_ptr(), short.len()) }, need);
        assert_eq!(short[7], 0);
        let (mut buf, mut len) = (ptr::null_mut(), 0);
        assert_eq!(unsafe { lw_scanner_save(s, &mut buf, &mut len, ptr::null_mut()) }, lw_status::LW_OK);
        let mut again = ptr::null_mut();
        let mut rules = ptr::null_mut();
        assert_eq!(unsafe { lw_rules_builtin(&mut rules, ptr::null_mut()) }, lw_status::LW_OK);
        assert_eq!(unsafe { lw_scanner_restore(rules, buf, len, &mut again, ptr::null_mut()) }, lw_status::LW_OK);
        let mut err = ptr::null_mut();
        let junk = b"junk";
        let mut none = ptr::null_mut();
        assert_eq!(unsafe { lw_scanner_restore(rules, junk.as_ptr(), junk.len(), &mut none, &mut err) }, lw_status::LW_ERR_STATE);
        assert!(none.is_null());
        unsafe {
            crate::error::lw_error_free(err);
            lw_buffer_free(buf, len);
            lw_scanner_free(again);
            lw_rules_free(rules);
            lw_scanner_free(s);
        }
    }
}
