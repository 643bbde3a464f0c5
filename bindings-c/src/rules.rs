//! `lw_rules`: a compiled rule set, immutable, shared by threads.

use std::ffi::{c_char, c_int, CStr, CString};
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{c_string, lw_error};
use crate::{guard, lw_status};

/// Compiled rules. Immutable: any number of threads may read one `lw_rules`
/// (and make scanners from it) at once. Freed with `lw_rules_free`; a
/// scanner holds its own reference, so the rules may be freed before the
/// scanners made from them.
pub struct lw_rules {
    pub(crate) inner: Arc<lw::Rules>,
    /// The Sigma documents `lw_rules_load` skipped, as "file:line: reason".
    skipped: Vec<CString>,
}

fn rule_error(errors: &lw::RuleErrors) -> lw_error {
    let Some(first) = errors.0.first() else {
        return lw_error::new(lw_status::LW_ERR_RULE, "the rules did not compile".into());
    };
    let mut message = format!("{}:{}:{}: {}", first.file, first.line, first.column, first.message);
    if let Some(rule) = &first.rule {
        message.push_str(&format!(" (in rule {rule})"));
    }
    if errors.0.len() > 1 {
        message.push_str(&format!(" (and {} more errors)", errors.0.len() - 1));
    }
    lw_error::new(lw_status::LW_ERR_RULE, message).at(first.line, first.column)
}

/// A failed load: the whole report as the message (every error, as the
/// command prints them), and the first error's position, which
/// `lw_error_line`/`lw_error_column` promise for rule errors.
fn load_error(e: lw::read::LoadError) -> lw_error {
    let (line, column) = match &e {
        lw::read::LoadError::Rules(errors) => errors.0.first().map_or((0, 0), |first| (first.line, first.column)),
        lw::read::LoadError::NotUtf8 { line, .. } => (*line, 1),
        lw::read::LoadError::Io { .. } | lw::read::LoadError::NoRuleFiles { .. } => (0, 0),
    };
    lw_error::new(lw_status::LW_ERR_RULE, e.to_string()).at(line, column)
}

/// Hands compiled rules to the caller.
///
/// # Safety
/// `out` points to writable storage for one pointer.
unsafe fn give(out: *mut *mut lw_rules, rules: lw::Rules, skipped: Vec<CString>) {
    // SAFETY: the caller's contract.
    unsafe { *out = Box::into_raw(Box::new(lw_rules { inner: Arc::new(rules), skipped })) };
}

/// Compiles rules written in the landwatch rule language.
///
/// `src`: the text, `len` bytes (UTF-8; need not be NUL-terminated).
/// `name`: names the source in errors (a path, usually); NULL for
/// "<string>". On success `*out` is the rules, owned by the caller (free
/// with `lw_rules_free`). On failure `*out` is left alone and `*err` (when
/// `err` is not NULL) says why: LW_ERR_RULE with the line and column,
/// LW_ERR_ARG for a NULL `src` or `out`, or text that is not UTF-8.
///
/// # Safety
/// `src` points to `len` readable bytes; `name` is NULL or a NUL-terminated
/// string; `out` points to storage for one pointer; `err` is NULL or does.
#[no_mangle]
pub unsafe extern "C" fn lw_rules_compile(
    src: *const c_char,
    len: usize,
    name: *const c_char,
    out: *mut *mut lw_rules,
    err: *mut *mut lw_error,
) -> lw_status {
    // SAFETY: the caller's contract on err (and, inside, on the rest).
    unsafe {
        guard(err, || {
            if src.is_null() || out.is_null() {
                return Err(lw_error::arg("lw_rules_compile: src and out must not be NULL"));
            }
            let bytes = std::slice::from_raw_parts(src.cast::<u8>(), len);
            let text = std::str::from_utf8(bytes).map_err(|e| {
                lw_error::new(lw_status::LW_ERR_ARG, format!("lw_rules_compile: the rule text is not UTF-8: {e}"))
            })?;
            let name = if name.is_null() { "<string>".into() } else { CStr::from_ptr(name).to_string_lossy() };
            let rules = lw::RulesBuilder::new().add_source(&name, text).build().map_err(|e| rule_error(&e))?;
            give(out, rules, Vec::new());
            Ok(())
        })
    }
}

/// The built-in rule pack (living-off-the-land tool abuse and credential
/// misuse), compiled. `*out` as for `lw_rules_compile`.
///
/// # Safety
/// `out` points to storage for one pointer; `err` is NULL or does.
#[no_mangle]
pub unsafe extern "C" fn lw_rules_builtin(out: *mut *mut lw_rules, err: *mut *mut lw_error) -> lw_status {
    // SAFETY: as lw_rules_compile.
    unsafe {
        guard(err, || {
            if out.is_null() {
                return Err(lw_error::arg("lw_rules_builtin: out must not be NULL"));
            }
            let rules = lw::RulesBuilder::new().add_builtin().build().map_err(|e| rule_error(&e))?;
            give(out, rules, Vec::new());
            Ok(())
        })
    }
}

/// Loads rules from files and directories, as `landwatch scan --rules
/// --sigma` does: `*.lw` files are the rule language, `*.yml` / `*.yaml`
/// files Sigma, and a directory is searched recursively for both.
/// `include_builtin` non-zero adds the built-in pack. Sigma documents that
/// cannot be loaded are skipped (as the command does), and listed by
/// `lw_rules_skipped`; errors in rule files, and unreadable paths, fail the
/// load with LW_ERR_RULE (with the line and column of a rule error).
///
/// # Safety
/// `paths` points to `n` NUL-terminated strings (it may be NULL when `n`
/// is 0); `out` and `err` as for `lw_rules_compile`.
#[no_mangle]
pub unsafe extern "C" fn lw_rules_load(
    paths: *const *const c_char,
    n: usize,
    include_builtin: c_int,
    out: *mut *mut lw_rules,
    err: *mut *mut lw_error,
) -> lw_status {
    // SAFETY: as lw_rules_compile.
    unsafe {
        guard(err, || {
            if out.is_null() || (paths.is_null() && n > 0) {
                return Err(lw_error::arg("lw_rules_load: out (and paths, when n > 0) must not be NULL"));
            }
            let mut rule_paths = Vec::new();
            let mut sigma_paths = Vec::new();
            for i in 0..n {
                let p = *paths.add(i);
                if p.is_null() {
                    return Err(lw_error::arg(&format!("lw_rules_load: paths[{i}] is NULL")));
                }
                let path = PathBuf::from(CStr::from_ptr(p).to_string_lossy().into_owned());
                let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
                match ext.as_deref() {
                    Some("yml") | Some("yaml") => sigma_paths.push(path),
                    _ if path.is_dir() => {
                        rule_paths.push(path.clone());
                        sigma_paths.push(path);
                    }
                    _ => rule_paths.push(path),
                }
            }
            let loaded = lw::read::load_rules(&rule_paths, &sigma_paths, &lw::sigma::Options::default(), include_builtin != 0)
                .map_err(load_error)?;
            let skipped = loaded.rejected.iter().map(|r| c_string(&r.to_string())).collect();
            give(out, loaded.rules, skipped);
            Ok(())
        })
    }
}

/// How many rules and correlations there are; 0 for NULL.
///
/// # Safety
/// The argument is NULL or an object of this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lw_rules_count(rules: *const lw_rules) -> usize {
    // SAFETY: NULL or rules this library made, not yet freed.
    unsafe { rules.as_ref() }.map_or(0, |r| r.inner.len())
}

/// How many Sigma documents `lw_rules_load` skipped because landwatch
/// cannot run them (unsupported modifiers, logsources outside Windows
/// event logs...); 0 for NULL and for rules not loaded from files.
///
/// # Safety
/// `rules` is NULL or rules from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lw_rules_skipped_count(rules: *const lw_rules) -> usize {
    // SAFETY: the caller's contract.
    unsafe { rules.as_ref() }.map_or(0, |r| r.skipped.len())
}

/// Skipped document `i` (from 0) as "file:line: reason", valid as long as
/// the rules; NULL when `i` is not below the count.
///
/// # Safety
/// As lw_rules_skipped_count.
#[no_mangle]
pub unsafe extern "C" fn lw_rules_skipped(rules: *const lw_rules, i: usize) -> *const c_char {
    // SAFETY: the caller's contract.
    match unsafe { rules.as_ref() }.and_then(|r| r.skipped.get(i)) {
        Some(s) => s.as_ptr(),
        None => std::ptr::null(),
    }
}

/// Frees rules. NULL is allowed. Scanners made from them keep working.
///
/// # Safety
/// `rules` is NULL or rules from this library, not freed before.
#[no_mangle]
pub unsafe extern "C" fn lw_rules_free(rules: *mut lw_rules) {
    if !rules.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { Box::from_raw(rules) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{lw_error_column, lw_error_free, lw_error_line, lw_error_message};
    use std::ptr;

    const RULE: &str = "rule t.whoami {\n    title: \"whoami\"\n    level: low\n    on: process\n    when: Image endswith '\\whoami.exe'\n}\n";

    #[test]
    fn compile_count_free() {
        let mut rules = ptr::null_mut();
        let status = unsafe { lw_rules_compile(RULE.as_ptr().cast(), RULE.len(), c"t.lw".as_ptr(), &mut rules, ptr::null_mut()) };
        assert_eq!(status, lw_status::LW_OK);
        assert_eq!(unsafe { lw_rules_count(rules) }, 1);
        unsafe { lw_rules_free(rules) };
    }

    #[test]
    fn a_bad_rule_says_where() {
        let src = "rule t.bad {\n    title: \"x\"\n    level: severe\n}\n";
        let (mut rules, mut err) = (ptr::null_mut(), ptr::null_mut());
        let status = unsafe { lw_rules_compile(src.as_ptr().cast(), src.len(), c"bad.lw".as_ptr(), &mut rules, &mut err) };
        assert_eq!(status, lw_status::LW_ERR_RULE);
        assert!(rules.is_null() && !err.is_null());
        assert_eq!(unsafe { lw_error_line(err) }, 3);
        assert!(unsafe { lw_error_column(err) } >= 1);
        let message = unsafe { CStr::from_ptr(lw_error_message(err)) }.to_string_lossy().into_owned();
        assert!(message.starts_with("bad.lw:3:"), "{message}");
        unsafe { lw_error_free(err) };
    }

    #[test]
    fn null_and_non_utf8_arguments_are_errors() {
        let mut err = ptr::null_mut();
        let status = unsafe { lw_rules_compile(ptr::null(), 0, ptr::null(), ptr::null_mut(), &mut err) };
        assert_eq!(status, lw_status::LW_ERR_ARG);
        unsafe { lw_error_free(err) };
        let mut rules = ptr::null_mut();
        let bytes = b"rule \xff";
        let status = unsafe { lw_rules_compile(bytes.as_ptr().cast(), bytes.len(), ptr::null(), &mut rules, ptr::null_mut()) };
        assert_eq!(status, lw_status::LW_ERR_ARG);
        assert!(rules.is_null());
    }

    #[test]
    fn builtin_and_load() {
        let mut builtin = ptr::null_mut();
        assert_eq!(unsafe { lw_rules_builtin(&mut builtin, ptr::null_mut()) }, lw_status::LW_OK);
        let n = unsafe { lw_rules_count(builtin) };
        assert!(n > 50);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/rules\0");
        let paths = [dir.as_ptr().cast::<c_char>()];
        let mut loaded = ptr::null_mut();
        assert_eq!(unsafe { lw_rules_load(paths.as_ptr(), 1, 0, &mut loaded, ptr::null_mut()) }, lw_status::LW_OK);
        assert_eq!(unsafe { lw_rules_count(loaded) }, n);
        unsafe { lw_rules_free(loaded) };
        unsafe { lw_rules_free(builtin) };
        let missing = [c"/nonexistent/rules.lw".as_ptr()];
        let (mut none, mut err) = (ptr::null_mut(), ptr::null_mut());
        assert_eq!(unsafe { lw_rules_load(missing.as_ptr(), 1, 0, &mut none, &mut err) }, lw_status::LW_ERR_RULE);
        assert!(none.is_null());
        assert_eq!(unsafe { lw_error_line(err) }, 0);
        unsafe { lw_error_free(err) };
    }

    #[test]
    fn a_bad_rule_file_says_where() {
        let dir = std::env::temp_dir().join(format!("lw-c-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.lw");
        std::fs::write(&file, "rule t.bad {\n    title: \"x\"\n    level: severe\n}\n").unwrap();
        let path = std::ffi::CString::new(file.to_str().unwrap()).unwrap();
        let paths = [path.as_ptr()];
        let (mut none, mut err) = (ptr::null_mut(), ptr::null_mut());
        let status = unsafe { lw_rules_load(paths.as_ptr(), 1, 0, &mut none, &mut err) };
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(status, lw_status::LW_ERR_RULE);
        assert!(none.is_null());
        assert_eq!(unsafe { lw_error_line(err) }, 3);
        assert_eq!(unsafe { lw_error_column(err) }, 12);
        let message = unsafe { CStr::from_ptr(lw_error_message(err)) }.to_string_lossy().into_owned();
        assert!(message.contains("bad.lw:3:12"), "{message}");
        unsafe { lw_error_free(err) };
    }
}
