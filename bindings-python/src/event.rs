//! Python events to the JSON text the core scans.
//!
//! A `bytes` or `str` event is handed over as it is. A `dict` is written out
//! as the JSON text `json.dumps` would give for it (keys in the dict's
//! order, floats as Python writes them) and scanned by the same path, so a
//! dict and its JSON text give the same detections. Values may be `str`,
//! `int`, `float`, `bool`, `None`, `dict`, `list` or `tuple`; a
//! `datetime.datetime` or `date` is written as its ISO 8601 text (what the
//! event-time reader reads; a naive one is taken as UTC). NaN and the
//! infinities, which JSON cannot hold, become `null`: an absent field.

use std::borrow::Cow;
use std::fmt::Write as _;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

use crate::errors;

/// The deepest nesting of dicts and lists converted. Deeper (or cyclic)
/// structures are an `EventError`: `json.dumps` gives up sooner, at
/// Python's recursion limit.
pub const MAX_DEPTH: usize = 1000;

/// An event's JSON text: borrowed from a `bytes` object, or written out.
pub fn event_bytes<'a>(py: Python<'_>, event: &'a Bound<'_, PyAny>, arg: &str) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = event.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(s) = event.cast::<PyString>() {
        return Ok(Cow::Owned(s.to_string_lossy().into_owned().into_bytes()));
    }
    if let Ok(d) = event.cast::<PyDict>() {
        let mut out = Vec::with_capacity(256);
        return match write_dict(py, d, &mut out, 0) {
            Ok(()) => Ok(Cow::Owned(out)),
            Err(Failed::Py(e)) => Err(e),
            Err(Failed::Type { path, message }) => {
                // The path was collected innermost first.
                let mut at = String::from(arg);
                for step in path.iter().rev() {
                    at.push_str(step);
                }
                Err(PyTypeError::new_err(format!("{at}: {message}")))
            }
        };
    }
    if let Ok(b) = event.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "{arg}: expected a dict, a JSON str or bytes, not {}",
        type_name(event)
    )))
}

/// One value (a DataFrame cell, say) written as JSON, as a dict's values
/// are; a value JSON cannot hold is a TypeError that names `at` (the
/// column and row).
pub fn write_json_value(py: Python<'_>, v: &Bound<'_, PyAny>, out: &mut Vec<u8>, at: &str) -> PyResult<()> {
    match write_value(py, v, out, 1) {
        Ok(()) => Ok(()),
        Err(Failed::Py(e)) => Err(e),
        Err(Failed::Type { path, message }) => {
            let mut at = at.to_string();
            for step in path.iter().rev() {
                at.push_str(step);
            }
            Err(PyTypeError::new_err(format!("{at}: {message}")))
        }
    }
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type().name().map_or_else(|_| "an unknown type".to_string(), |n| n.to_string())
}

pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A Python str as a JSON string: its UTF-8 bytes as Python encodes them,
/// copied as they are when nothing needs escaping (the common case), else
/// escaped. A str Python cannot encode (a lone surrogate) has it replaced.
pub(crate) fn write_py_str(out: &mut Vec<u8>, s: &Bound<'_, PyString>) {
    match s.encode_utf8() {
        Ok(b) => write_utf8(out, b.as_bytes()),
        Err(_) => write_str(out, &s.to_string_lossy()),
    }
}

/// UTF-8 text as a JSON string: copied as it is when nothing needs
/// escaping (the common case), else escaped.
pub(crate) fn write_utf8(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.iter().all(|&c| c >= 0x20 && c != b'"' && c != b'\\') {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        write_str(out, &String::from_utf8_lossy(bytes));
    }
}

fn too_deep(py: Python<'_>) -> Failed {
    Failed::Py(errors::event_error_because(py, "nested too deep", &format!("nesting deeper than {MAX_DEPTH} levels (or a cycle)")))
}

/// Why a dict could not be written: a Python error, or a value of a type
/// JSON cannot hold, with where it was (built only on the way out, so that
/// converting costs nothing for it).
enum Failed {
    Py(PyErr),
    Type { path: Vec<String>, message: String },
}

impl From<PyErr> for Failed {
    fn from(e: PyErr) -> Failed {
        Failed::Py(e)
    }
}

impl Failed {
    fn type_error(message: String) -> Failed {
        Failed::Type { path: Vec::new(), message }
    }

    /// The same failure, one step further out.
    fn at(self, step: impl FnOnce() -> String) -> Failed {
        match self {
            Failed::Type { mut path, message } => {
                path.push(step());
                Failed::Type { path, message }
            }
            e => e,
        }
    }
}

/// A dict key as Python writes it in a subscript: `['Image']`.
fn key_step(key: &str) -> String {
    format!("['{}']", key.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn write_dict(py: Python<'_>, d: &Bound<'_, PyDict>, out: &mut Vec<u8>, depth: usize) -> Result<(), Failed> {
    if depth >= MAX_DEPTH {
        return Err(too_deep(py));
    }
    out.push(b'{');
    let mut first = true;
    for (k, v) in d.iter() {
        let Ok(k) = k.cast::<PyString>() else {
            return Err(Failed::type_error(format!("keys must be str, not {}", type_name(&k))));
        };
        if !first {
            out.push(b',');
        }
        first = false;
        write_py_str(out, k);
        out.push(b':');
        write_value(py, &v, out, depth + 1).map_err(|e| e.at(|| key_step(&k.to_string_lossy())))?;
    }
    out.push(b'}');
    Ok(())
}

fn write_items<'py>(
    py: Python<'py>,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), Failed> {
    if depth >= MAX_DEPTH {
        return Err(too_deep(py));
    }
    out.push(b'[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_value(py, &v, out, depth + 1).map_err(|e| e.at(|| format!("[{i}]")))?;
    }
    out.push(b']');
    Ok(())
}

fn write_value(py: Python<'_>, v: &Bound<'_, PyAny>, out: &mut Vec<u8>, depth: usize) -> Result<(), Failed> {
    if let Ok(s) = v.cast::<PyString>() {
        write_py_str(out, s);
    } else if v.is_none() {
        out.extend_from_slice(b"null");
    } else if let Ok(b) = v.cast::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
    } else if v.cast::<PyInt>().is_ok() {
        write_int(py, v, out)?;
    } else if let Ok(f) = v.cast::<PyFloat>() {
        let x = f.value();
        if x.is_finite() {
            // As json.dumps writes it: float.__repr__ (not a subclass's).
            let text = py.get_type::<PyFloat>().call_method1("__repr__", (v,))?;
            out.extend_from_slice(text.cast::<PyString>().map_err(PyErr::from)?.to_string_lossy().as_bytes());
        } else {
            out.extend_from_slice(b"null");
        }
    } else if let Ok(d) = v.cast::<PyDict>() {
        write_dict(py, d, out, depth)?;
    } else if let Ok(l) = v.cast::<PyList>() {
        write_items(py, l.iter(), out, depth)?;
    } else if let Ok(t) = v.cast::<PyTuple>() {
        write_items(py, t.iter(), out, depth)?;
    } else if is_date(py, v)? {
        let text = v.call_method0("isoformat")?;
        write_str(out, &text.cast::<PyString>().map_err(PyErr::from)?.to_string_lossy());
    } else if let Ok(i) = v.extract::<i64>() {
        // Integers that are not `int` (numpy's, say) but convert losslessly.
        let _ = write!(Utf8(out), "{i}");
    } else {
        return Err(Failed::type_error(format!(
            "cannot convert {} to JSON (expected str, int, float, bool, None, dict, list, tuple or datetime)",
            type_name(v)
        )));
    }
    Ok(())
}

/// An `int` as its decimal digits, however large (JSON has no limit; the
/// scanner reads the text).
fn write_int(py: Python<'_>, v: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    if let Ok(i) = v.extract::<i64>() {
        let _ = write!(Utf8(out), "{i}");
    } else if let Ok(u) = v.extract::<u64>() {
        let _ = write!(Utf8(out), "{u}");
    } else {
        // int.__repr__, not str(): a subclass may override __str__.
        let text = py.get_type::<PyInt>().call_method1("__repr__", (v,))?;
        out.extend_from_slice(text.cast::<PyString>().map_err(PyErr::from)?.to_string_lossy().as_bytes());
    }
    Ok(())
}

/// Whether `v` is a `datetime.date` (or `datetime.datetime`).
fn is_date(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<bool> {
    static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let date = DATE.import(py, "datetime", "date")?;
    v.is_instance(date)
}

/// `fmt::Write` into a byte buffer.
struct Utf8<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Utf8<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
