//! The exceptions the package raises, the conversion of every core error
//! into one of them, and the guard that turns a panic into
//! `landwatch.InternalError` instead of letting it unwind into the
//! interpreter.

use std::io;
use std::panic::{self, AssertUnwindSafe};

use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError, PyPermissionError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

pyo3::create_exception!(
    landwatch,
    LandwatchError,
    PyException,
    "The base of every exception landwatch raises."
);
pyo3::create_exception!(
    landwatch,
    RuleError,
    LandwatchError,
    "Rules that do not compile. `message`, `file`, `line`, `column` and `rule` \
     describe the first error; `errors` lists every one as a dict with the same keys; \
     str() renders them all with the source line and a caret."
);
pyo3::create_exception!(
    landwatch,
    EventError,
    LandwatchError,
    "An event that cannot be read (malformed JSON, not an object, invalid UTF-8). \
     `reason` is a short stable name for counting. The scanner counts it and stays usable."
);
pyo3::create_exception!(
    landwatch,
    StateError,
    LandwatchError,
    "Saved scanner state that cannot be restored: not landwatch state, another format \
     version, saved with other correlation rules, or damaged."
);
pyo3::create_exception!(
    landwatch,
    InternalError,
    LandwatchError,
    "A bug in landwatch: a panic caught at the boundary instead of crossing into Python."
);

/// Runs `f`, turning a panic into `InternalError`. Every entry point of the
/// module goes through it.
pub fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "a panic without a message".to_string()
            };
            Err(InternalError::new_err(format!(
                "internal error in landwatch (a bug; please report it): {what}"
            )))
        }
    }
}

/// One rule error as a dict: message, file, line, column, rule.
fn rule_error_dict<'py>(py: Python<'py>, e: &landwatch::RuleError) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("message", &e.message)?;
    d.set_item("file", &e.file)?;
    d.set_item("line", e.line)?;
    d.set_item("column", e.column)?;
    d.set_item("rule", e.rule.as_deref())?;
    Ok(d)
}

/// `RuleError` for every error found while building rules.
pub fn rule_errors(py: Python<'_>, errors: &landwatch::RuleErrors) -> PyErr {
    let err = RuleError::new_err(errors.to_string());
    let fill = || -> PyResult<()> {
        let value = err.value(py);
        let list = PyList::empty(py);
        for e in &errors.0 {
            list.append(rule_error_dict(py, e)?)?;
        }
        let first = errors.0.first();
        value.setattr("message", first.map(|e| e.message.as_str()))?;
        value.setattr("file", first.map(|e| e.file.as_str()))?;
        value.setattr("line", first.map(|e| e.line))?;
        value.setattr("column", first.map(|e| e.column))?;
        value.setattr("rule", first.and_then(|e| e.rule.as_deref()))?;
        value.setattr("errors", list)?;
        Ok(())
    };
    match fill() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// `EventError` for an event the scanner rejected, with its reason.
pub fn event_error(py: Python<'_>, e: &landwatch::EventError) -> PyErr {
    event_error_because(py, e.reason(), &e.to_string())
}

/// `EventError` with a reason and message of the binding's own (an event
/// that could not even be converted to JSON).
pub fn event_error_because(py: Python<'_>, reason: &str, message: &str) -> PyErr {
    let err = EventError::new_err(message.to_string());
    match err.value(py).setattr("reason", reason) {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// `StateError` for a blob that cannot be restored.
pub fn state_error(e: &landwatch::StateError) -> PyErr {
    StateError::new_err(e.to_string())
}

/// The OSError subclass Python would raise for `error`, naming `path`.
pub fn io_error(path: &str, error: &io::Error) -> PyErr {
    let message = format!("cannot read {path}: {error}");
    match error.kind() {
        io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
        _ => PyOSError::new_err(message),
    }
}

/// The exception for rules that could not be loaded from files.
pub fn load_error(py: Python<'_>, e: &landwatch::read::LoadError) -> PyErr {
    use landwatch::read::LoadError;
    match e {
        LoadError::Io { path, error } => io_error(path, error),
        LoadError::NoRuleFiles { path } => {
            PyFileNotFoundError::new_err(format!("no *.lw rule files under {path}"))
        }
        LoadError::NotUtf8 { path, line, offset } => {
            let error = landwatch::RuleError {
                file: path.clone(),
                line: *line,
                column: 1,
                rule: None,
                message: format!("rule file is not UTF-8 (invalid byte at offset {offset})"),
                source_line: String::new(),
            };
            rule_errors(py, &landwatch::RuleErrors(vec![error]))
        }
        LoadError::Rules(errors) => rule_errors(py, errors),
    }
}
