//! `landwatch.Scanner`: one stream of events against shared rules, with
//! the stream's correlation state.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyString};

use landwatch::{Event, ScanOptions, Schema, TimeMissing, Zones};

use crate::detection::Detection;
use crate::errors::{self, guard};
use crate::event::event_bytes;
use crate::files::{self, ScanIter};
use crate::rules::Rules;

/// The options of `Rules.scanner` and `Scanner.restore`, read from Python.
pub struct Options {
    scan: ScanOptions,
    zones: Option<Arc<Zones>>,
}

impl Options {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        py: Python<'_>,
        schema: Option<&Bound<'_, PyAny>>,
        zones: Option<&Bound<'_, PyAny>>,
        lateness: Option<&Bound<'_, PyAny>>,
        time_field: Option<String>,
        time_missing: Option<&Bound<'_, PyAny>>,
        ordered: bool,
        max_events: usize,
    ) -> PyResult<Options> {
        let mut scan = ScanOptions { time_field, ordered, max_events: max_events.max(1), ..ScanOptions::default() };
        if let Some(s) = schema.filter(|s| !s.is_none()) {
            let s = str_arg(s, "schema")?;
            scan.schema = s.parse::<Schema>().map_err(|e| PyValueError::new_err(format!("schema: {e}")))?;
        }
        if let Some(l) = lateness.filter(|l| !l.is_none()) {
            scan.lateness = duration(l, "lateness")?;
        }
        if let Some(t) = time_missing.filter(|t| !t.is_none()) {
            scan.time_missing = match str_arg(t, "time_missing")?.as_str() {
                "skip" => TimeMissing::Skip,
                "previous" => TimeMissing::Previous,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "time_missing: '{other}' (expected 'skip' or 'previous')"
                    )))
                }
            };
        }
        let zones = match zones.filter(|z| !z.is_none()) {
            None => None,
            Some(z) => Some(Arc::new(read_zones(py, z)?)),
        };
        Ok(Options { scan, zones })
    }
}

fn str_arg(v: &Bound<'_, PyAny>, arg: &str) -> PyResult<String> {
    match v.cast::<PyString>() {
        Ok(s) => Ok(s.to_string_lossy().into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!("{arg}: expected str, not {}", type_name(v)))),
    }
}

pub(crate) fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type().name().map_or_else(|_| "an unknown type".to_string(), |n| n.to_string())
}

/// "60s", "5m", "500ms", "0", or seconds as an int or float.
fn duration(v: &Bound<'_, PyAny>, arg: &str) -> PyResult<Duration> {
    if v.cast::<PyBool>().is_ok() {
        return Err(PyTypeError::new_err(format!("{arg}: expected a str such as '60s' or seconds, not bool")));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return landwatch::parse_duration(&s.to_string_lossy()).map_err(|e| PyValueError::new_err(format!("{arg}: {e}")));
    }
    if v.cast::<PyInt>().is_ok() || v.cast::<PyFloat>().is_ok() {
        let secs: f64 = v.extract()?;
        return Duration::try_from_secs_f64(secs)
            .map_err(|_| PyValueError::new_err(format!("{arg}: {secs} is not a number of seconds (0 or more)")));
    }
    Err(PyTypeError::new_err(format!(
        "{arg}: expected a str such as '60s' or seconds, not {}",
        type_name(v)
    )))
}

/// A path (`os.PathLike`, or a str naming a file) to a zones TOML file, or
/// the TOML text itself (a str with a newline or `=` in it).
fn read_zones(py: Python<'_>, z: &Bound<'_, PyAny>) -> PyResult<Zones> {
    let (text, name) = if let Ok(s) = z.cast::<PyString>() {
        let s = s.to_string_lossy().into_owned();
        if s.contains('\n') || s.contains('=') {
            (s, "zones".to_string())
        } else {
            read_text(&s)?
        }
    } else if let Some(p) = fspath(py, z)? {
        read_text(&p.to_string_lossy())?
    } else {
        return Err(PyTypeError::new_err(format!(
            "zones: expected a path, TOML text or None, not {}",
            type_name(z)
        )));
    };
    Zones::from_toml(&text).map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

fn read_text(path: &str) -> PyResult<(String, String)> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok((t, path.to_string())),
        Err(e) => Err(errors::io_error(path, &e)),
    }
}

/// The path of an `os.PathLike` (or a str); None for anything else.
pub(crate) fn fspath(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(PathBuf::from(s.to_string_lossy().into_owned())));
    }
    if !v.hasattr("__fspath__")? {
        return Ok(None);
    }
    let os = py.import("os")?;
    let p = os.call_method1("fspath", (v,))?;
    if let Ok(s) = p.cast::<PyString>() {
        return Ok(Some(PathBuf::from(s.to_string_lossy().into_owned())));
    }
    if let Ok(b) = p.cast::<PyBytes>() {
        return Ok(Some(PathBuf::from(String::from_utf8_lossy(b.as_bytes()).into_owned())));
    }
    Ok(None)
}

/// Scans one stream of events against shared `Rules`, keeping the
/// stream's correlation state (groups, events waiting for the lateness).
///
/// Make it with `Rules.scanner()`. One scanner per stream and per thread:
/// a scanner used by two threads at once raises RuntimeError rather than
/// mixing their streams. Events of successive calls (`scan`, `scan_jsonl`,
/// `scan_evtx`) are one stream, in the order given; correlations order them
/// by event time within the lateness. Call `flush()` at the end of the
/// stream for the correlations still waiting.
#[pyclass(module = "landwatch")]
pub struct Scanner {
    pub(crate) inner: landwatch::Scanner,
    rules: Py<Rules>,
}

impl Scanner {
    pub fn new(rules: Py<Rules>, shared: &Arc<landwatch::Rules>, options: Options) -> Scanner {
        let mut inner = landwatch::Scanner::with_options(Arc::clone(shared), options.scan);
        if let Some(z) = options.zones {
            inner = inner.with_zones(z);
        }
        Scanner { inner, rules }
    }
}

/// The scanner, borrowed for one call; RuntimeError while another thread
/// (or an unfinished iterator's step) has it.
pub(crate) fn lock<'py>(slf: &Bound<'py, Scanner>) -> PyResult<PyRefMut<'py, Scanner>> {
    slf.try_borrow_mut().map_err(|_| {
        PyRuntimeError::new_err(
            "this Scanner is in use by another thread: a scanner reads one stream; make one per thread with rules.scanner()",
        )
    })
}

fn detections(found: Vec<landwatch::Detection>) -> Vec<Detection> {
    found.into_iter().map(Detection::new).collect()
}

#[pymethods]
impl Scanner {
    /// Scans one event and returns the detections it completes: its own
    /// stateless ones, then correlations completed by the events it let
    /// through the lateness.
    ///
    /// `event`: a dict (keys: field names or JSON keys, nested dicts for
    /// nested objects), or the event's JSON text as str or bytes; a dict
    /// gives the detections its `json.dumps` text gives. `file` and `line`
    /// say where it was read from; detections carry them back. A malformed
    /// event raises EventError and is counted in `stats()`; the scanner
    /// stays usable.
    #[pyo3(signature = (event, *, file = None, line = None))]
    fn scan(slf: &Bound<'_, Self>, event: &Bound<'_, PyAny>, file: Option<String>, line: Option<u64>) -> PyResult<Vec<Detection>> {
        let py = slf.py();
        guard(|| {
            let bytes = match event_bytes(py, event, "event") {
                Ok(b) => b,
                Err(e) => {
                    // A dict too deep to write out is a rejected event, as
                    // its JSON text would be; a wrong type is no event.
                    if e.is_instance_of::<errors::EventError>(py) {
                        lock(slf)?.inner.reject_unreadable();
                    }
                    return Err(e);
                }
            };
            let mut this = lock(slf)?;
            let file: Option<Arc<str>> = file.map(Arc::from);
            let scanner = &mut this.inner;
            let bytes: &[u8] = &bytes;
            let result = py.detach(|| {
                let mut ev = Event::json(bytes);
                if file.is_some() || line.is_some() {
                    ev = ev.at(file.as_ref(), line.unwrap_or(0));
                }
                scanner.scan(&ev)
            });
            match result {
                Ok(found) => Ok(detections(found)),
                Err(e) => Err(errors::event_error(py, &e)),
            }
        })
    }

    /// Scans a file of JSON events, as `landwatch scan` reads one: JSON
    /// Lines, one JSON array, or concatenated (pretty-printed) objects.
    ///
    /// `source`: a path (str or os.PathLike) or a file object open for
    /// reading (text or binary; read in the background as the iterator
    /// goes). Returns an iterator over the detections, read and scanned
    /// lazily with the GIL released; events that cannot be read are counted
    /// in `stats()` and listed in the iterator's `errors`, not raised. An
    /// EVTX file raises ValueError (use `scan_evtx`).
    fn scan_jsonl(slf: &Bound<'_, Self>, source: &Bound<'_, PyAny>) -> PyResult<ScanIter> {
        guard(|| files::scan_json(slf, source))
    }

    /// Scans Windows `.evtx` files as `landwatch scan` reads them: every
    /// record rendered to JSON by the `evtx` crate and read with the `evtx`
    /// schema (under `schema="auto"`), the line being the record's position
    /// in the file.
    ///
    /// `source`: a path, or a binary file object (read whole). Returns an
    /// iterator over the detections, like `scan_jsonl`; damaged records are
    /// counted, not raised. A file that is not EVTX raises ValueError.
    fn scan_evtx(slf: &Bound<'_, Self>, source: &Bound<'_, PyAny>) -> PyResult<ScanIter> {
        guard(|| files::scan_evtx(slf, source))
    }

    /// Ends the stream: the detections of every event still waiting for the
    /// lateness to pass. The scanner stays usable.
    fn flush(slf: &Bound<'_, Self>) -> PyResult<Vec<Detection>> {
        guard(|| {
            let mut this = lock(slf)?;
            Ok(detections(this.inner.flush()))
        })
    }

    /// The scanner's counters, under the names `landwatch scan --stats
    /// json` uses: read, scanned, rejected, rejected_by_reason (a dict),
    /// late, no_time, evicted, forced, detections, correlated,
    /// detections_by_rule and detections_by_level (dicts); and as before
    /// events (= read), evaluations, no_value, expired, and the groups,
    /// state_bytes and pending held now.
    fn stats<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let py = slf.py();
        guard(|| {
            let (stats, accounting) = {
                let this = lock(slf)?;
                (this.inner.stats(), this.inner.accounting())
            };
            let d = PyDict::new(py);
            let to_json = |v: serde_json::Result<serde_json::Value>| v.map_err(|e| PyRuntimeError::new_err(e.to_string()));
            for value in [to_json(serde_json::to_value(stats))?, to_json(serde_json::to_value(accounting))?] {
                let serde_json::Value::Object(map) = value else { continue };
                for (k, v) in map {
                    match v {
                        serde_json::Value::Object(counts) => {
                            let inner = PyDict::new(py);
                            for (name, n) in counts {
                                inner.set_item(name, n.as_u64())?;
                            }
                            d.set_item(k, inner)?;
                        }
                        v => d.set_item(k, v.as_u64())?,
                    }
                }
            }
            Ok(d)
        })
    }

    /// The correlation state (groups, waiting events, counters) as bytes,
    /// for `Scanner.restore` to continue the stream later.
    fn save<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyBytes>> {
        let py = slf.py();
        guard(|| {
            let this = lock(slf)?;
            let scanner = &this.inner;
            let blob = py.detach(|| scanner.save_state());
            Ok(PyBytes::new(py, &blob))
        })
    }

    /// A scanner of `rules` that goes on from state saved by `save()`: the
    /// stream cut in two gives the detections of one pass. The options are
    /// not in the saved state: give the ones the saved scanner had. State
    /// saved with other correlations, of another format version, or damaged
    /// raises StateError.
    #[staticmethod]
    #[pyo3(signature = (rules, data, schema = None, zones = None, lateness = None, *, time_field = None, time_missing = None, ordered = false, max_events = 32))]
    #[allow(clippy::too_many_arguments)]
    fn restore(
        rules: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        schema: Option<&Bound<'_, PyAny>>,
        zones: Option<&Bound<'_, PyAny>>,
        lateness: Option<&Bound<'_, PyAny>>,
        time_field: Option<String>,
        time_missing: Option<&Bound<'_, PyAny>>,
        ordered: bool,
        max_events: usize,
    ) -> PyResult<Scanner> {
        let py = rules.py();
        guard(|| {
            let Ok(rules) = rules.cast::<Rules>() else {
                return Err(PyTypeError::new_err(format!("rules: expected landwatch.Rules, not {}", type_name(rules))));
            };
            let Ok(data) = data.cast::<PyBytes>() else {
                return Err(PyTypeError::new_err(format!("data: expected bytes, not {}", type_name(data))));
            };
            let options = Options::parse(py, schema, zones, lateness, time_field, time_missing, ordered, max_events)?;
            let mut scanner = Scanner::new(rules.clone().unbind(), &rules.get().inner, options);
            let bytes = data.as_bytes();
            let inner = &mut scanner.inner;
            py.detach(|| inner.restore_state(bytes)).map_err(|e| errors::state_error(&e))?;
            Ok(scanner)
        })
    }

    /// The rules this scanner reads.
    #[getter]
    fn rules(&self, py: Python<'_>) -> Py<Rules> {
        self.rules.clone_ref(py)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> String {
        match slf.try_borrow() {
            Ok(this) => {
                let s = this.inner.stats();
                format!(
                    "<Scanner {} events, {} rejected, {} detections; {} correlation groups, {} waiting>",
                    s.events, s.rejected, s.detections, s.groups, s.pending
                )
            }
            Err(_) => "<Scanner (in use)>".to_string(),
        }
    }
}
