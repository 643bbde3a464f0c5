//! What `landwatch.spark.correlate` needs of the core, on Arrow batches:
//! the correlation groups each row's event feeds (to split a stream by
//! group key), and the detections of one group correlated apart.
//!
//! Both read the rows as the frame path does (`frame::ArrowRows`), so an
//! event is the same event whichever of the three reads it.

use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use landwatch::{Event, EventTime};

use crate::detection::Detection;
use crate::errors::guard;
use crate::frame::{ArrowRows, Rejected};
use crate::scanner::{lock, Scanner};

/// Rejected rows listed (all are counted in the scanner's stats).
const MAX_ERRORS: usize = 100;

/// The groups of an Arrow stream's rows, one entry per (row, group):
/// row numbers, correlation indices, group keys, event times in
/// nanoseconds.
type Groups = (Vec<u64>, Vec<u32>, Vec<String>, Vec<i64>);

/// For every row of an Arrow stream (columns renamed by `names`), the
/// correlation groups its event feeds: as four parallel lists (the row's
/// number in the stream, the correlation's index in
/// `Rules._correlation_ids()`, the group key as the core folds it, the
/// event time in nanoseconds since the epoch), and the rows that could not
/// be read. Rows without a readable time, or feeding no correlation, give
/// nothing. No correlation state is touched.
#[pyfunction]
#[pyo3(signature = (scanner, data, names = None))]
pub fn _group_keys_arrow(
    scanner: &Bound<'_, Scanner>,
    data: &Bound<'_, PyAny>,
    names: Option<Vec<String>>,
) -> PyResult<(Groups, Rejected)> {
    let py = scanner.py();
    guard(|| {
        let rows = ArrowRows::new(data, names)?;
        let mut this = lock(scanner)?;
        let inner = &mut this.inner;
        let result: Result<(Groups, Rejected), String> = py.detach(move || {
            let mut out: Groups = Default::default();
            let mut rejected = Vec::new();
            rows.each_chunk(|chunk| {
                for (row, json) in chunk.events() {
                    match inner.groups_of(&Event::json(json)) {
                        Ok(g) => {
                            let Some(t) = g.time else { continue };
                            for group in g.groups {
                                out.0.push(row as u64);
                                out.1.push(group.correlation as u32);
                                out.2.push(group.key);
                                out.3.push(t.as_nanos());
                            }
                        }
                        Err(e) => {
                            if rejected.len() < MAX_ERRORS {
                                rejected.push((row, e.to_string()));
                            }
                        }
                    }
                }
            })?;
            Ok((out, rejected))
        });
        result.map_err(PyTypeError::new_err)
    })
}

/// Correlates the events of one group apart: every row of the Arrow stream
/// (the group's events, in the order the whole stream would process them:
/// by event time, ties in stream order) scanned as line `i + 1` of
/// `source`, the stream flushed, and the detections of correlation
/// `correlation` (an index) in group `key` returned; the others are
/// another group's, computed in full where that group is. `start`: where
/// first-seen learning starts, nanoseconds since the epoch (the whole
/// stream's first correlated event).
#[pyfunction]
#[pyo3(signature = (scanner, data, names, source, correlation, key, start = None))]
#[allow(clippy::too_many_arguments)]
pub fn _scan_group_arrow(
    scanner: &Bound<'_, Scanner>,
    data: &Bound<'_, PyAny>,
    names: Option<Vec<String>>,
    source: String,
    correlation: usize,
    key: String,
    start: Option<i64>,
) -> PyResult<Vec<Detection>> {
    let py = scanner.py();
    guard(|| {
        let rows = ArrowRows::new(data, names)?;
        let mut this = lock(scanner)?;
        let inner = &mut this.inner;
        let Some(id) = inner.rules().correlation_ids().get(correlation).map(|s| s.to_string()) else {
            return Err(PyValueError::new_err(format!("correlation: no correlation {correlation} in these rules")));
        };
        let source: Arc<str> = Arc::from(source);
        let result: Result<Vec<landwatch::Detection>, String> = py.detach(move || {
            if let Some(t) = start {
                inner.start_stream_at(EventTime::from_nanos(t));
            }
            let mut found = Vec::new();
            rows.each_chunk(|chunk| {
                for (row, json) in chunk.events() {
                    let ev = Event::json(json).at(Some(&source), row as u64 + 1);
                    // A row that cannot be read feeds no group: split
                    // by the same reading, it was never sent here.
                    if let Ok(d) = inner.scan(&ev) {
                        found.extend(d);
                    }
                }
            })?;
            found.extend(inner.flush());
            found.retain(|d| d.rule == id && d.group_key().as_deref() == Some(key.as_str()));
            Ok(found)
        });
        let found = result.map_err(PyTypeError::new_err)?;
        Ok(found.into_iter().map(Detection::new).collect())
    })
}
