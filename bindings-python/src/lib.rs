//! `landwatch._landwatch`: the Python bindings of landwatch.
//!
//! A thin layer over the `landwatch` crate: rules compile, events scan and
//! detections come out of the core; this crate only converts between
//! Python objects and the core's types. Every entry point runs under
//! [`errors::guard`], so a panic is `landwatch.InternalError`, never an
//! unwind into the interpreter. Long work (loading many rule files,
//! scanning files, restoring state) runs with the GIL released.

mod detection;
mod errors;
mod event;
mod files;
mod frame;
mod partition;
mod rules;
mod scanner;

use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use landwatch::read::{Recipe, SigmaOptions};

use crate::errors::guard;
use crate::rules::Rules;
use crate::scanner::{fspath, type_name};

/// Compiles rules written in the landwatch rule language.
///
/// `source` is the text of a rule file; `name` names it in errors (a path,
/// usually). Raises RuleError with the position of the first error and
/// every error in `errors`.
#[pyfunction]
#[pyo3(signature = (source, name = "<string>"))]
fn compile(py: Python<'_>, source: &str, name: &str) -> PyResult<Rules> {
    guard(|| Rules::build(py, Recipe::source(name, source)))
}

/// The built-in rule pack: living-off-the-land tool abuse and credential
/// misuse, rules and correlations.
#[pyfunction]
fn builtin(py: Python<'_>) -> PyResult<Rules> {
    guard(|| Rules::build(py, Recipe::builtin()))
}

/// Paths from a list (or one path) of str or os.PathLike.
fn paths(py: Python<'_>, v: Option<&Bound<'_, PyAny>>, arg: &str) -> PyResult<Vec<PathBuf>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    if let Some(p) = fspath(py, v)? {
        return Ok(vec![p]);
    }
    let mut out = Vec::new();
    let Ok(items) = v.try_iter() else {
        return Err(PyTypeError::new_err(format!("{arg}: expected a list of paths, not {}", type_name(v))));
    };
    for item in items {
        let item = item?;
        match fspath(py, &item)? {
            Some(p) => out.push(p),
            None => {
                return Err(PyTypeError::new_err(format!(
                    "{arg}: expected paths (str or os.PathLike), not {}",
                    type_name(&item)
                )))
            }
        }
    }
    Ok(out)
}

/// Loads rules from files and directories, as `landwatch scan --rules
/// PATH --sigma PATH` does.
///
/// `paths`: landwatch rule files, or directories searched recursively for
/// `*.lw`. `sigma`: Sigma rule files, or directories searched for `*.yml`
/// and `*.yaml`. `builtin`: add the built-in pack. `normalize`: Sigma
/// command-line selections also match the de-obfuscated normal form.
/// Sigma documents that cannot be loaded are listed in the result's
/// `rejected` and do not fail the load; with `strict=True` any of them
/// raises RuleError. Errors in rule files raise RuleError; unreadable paths
/// OSError.
#[pyfunction]
#[pyo3(signature = (paths = None, sigma = None, builtin = true, normalize = false, *, strict = false))]
fn load(
    py: Python<'_>,
    paths: Option<&Bound<'_, PyAny>>,
    sigma: Option<&Bound<'_, PyAny>>,
    builtin: bool,
    normalize: bool,
    strict: bool,
) -> PyResult<Rules> {
    guard(|| {
        let rule_paths = self::paths(py, paths, "paths")?;
        let sigma_paths = self::paths(py, sigma, "sigma")?;
        let options = SigmaOptions { normalize, ..Default::default() };
        // The files are read into a recipe (their texts), which is what the
        // rules are built from and what `Rules.recipe()` gives back.
        let recipe = py.detach(|| Recipe::from_paths(&rule_paths, &sigma_paths, options, builtin));
        let recipe = recipe.map_err(|e| errors::load_error(py, &e))?;
        let rules = Rules::build(py, recipe)?;
        if strict && !rules.rejections().is_empty() {
            let errors = rules
                .rejections()
                .iter()
                .map(|r| landwatch::RuleError {
                    file: r.file.clone(),
                    line: r.line,
                    column: 1,
                    rule: r.rule.clone(),
                    message: r.reason.clone(),
                    source_line: String::new(),
                })
                .collect();
            return Err(errors::rule_errors(py, &landwatch::RuleErrors(errors)));
        }
        Ok(rules)
    })
}

/// A command line in the normal form rules match against: carets, quotes
/// and other obfuscation removed, switches unified, lowercase.
#[pyfunction]
fn normalize_command_line(text: &str) -> PyResult<String> {
    guard(|| Ok(landwatch::normalize::command_line(text).normal))
}

/// The text of the PowerShell `-EncodedCommand` payloads of a command
/// line, decoded (several joined by newlines), or None when it has none.
#[pyfunction]
fn decode_command_line(text: &str) -> PyResult<Option<String>> {
    guard(|| Ok(landwatch::normalize::command_line(text).decoded))
}

/// Panics inside the guard: for the tests that check a panic becomes
/// InternalError. Not part of the API.
#[pyfunction]
fn _panic(message: &str) -> PyResult<()> {
    guard(|| panic!("{message}"))
}

#[pymodule]
fn _landwatch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(builtin, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_command_line, m)?)?;
    m.add_function(wrap_pyfunction!(decode_command_line, m)?)?;
    m.add_function(wrap_pyfunction!(_panic, m)?)?;
    m.add_function(wrap_pyfunction!(frame::_scan_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(frame::_scan_columns, m)?)?;
    m.add_function(wrap_pyfunction!(partition::_group_keys_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(partition::_scan_group_arrow, m)?)?;
    m.add_class::<Rules>()?;
    m.add_class::<scanner::Scanner>()?;
    m.add_class::<detection::Detection>()?;
    m.add_class::<files::ScanIter>()?;
    m.add("LandwatchError", py.get_type::<errors::LandwatchError>())?;
    m.add("RuleError", py.get_type::<errors::RuleError>())?;
    m.add("EventError", py.get_type::<errors::EventError>())?;
    m.add("StateError", py.get_type::<errors::StateError>())?;
    m.add("InternalError", py.get_type::<errors::InternalError>())?;
    Ok(())
}
