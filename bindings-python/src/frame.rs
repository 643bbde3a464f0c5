//! DataFrames to events: each row of a frame written as the JSON object
//! the core scans, column by column in bulk.
//!
//! Two ways in, picked by `landwatch/_frame.py`:
//! - the Arrow C stream interface (`__arrow_c_stream__`: polars frames,
//!   pyarrow tables, pandas through pyarrow), read here with arrow-rs
//!   straight from the producer's buffers, with the GIL released for the
//!   whole scan;
//! - plain Python columns (`Series.tolist()`, for pandas without pyarrow),
//!   converted a chunk of rows at a time with the GIL held, then scanned
//!   with it released.
//!
//! Either way a row is one event: a missing cell (null, NaN) is an absent
//! field, never a value; numbers and booleans are JSON numbers and
//! booleans, and a float with an integer value is written as that integer
//! (a pandas int column with missing values holds floats: `LogonType` 3.0
//! is the 3 the log wrote); timestamps are RFC 3339 text in UTC, dates
//! `YYYY-MM-DD`; structs are objects and lists arrays. A column name with
//! dots (`Event.System.Computer`, as `pandas.json_normalize` writes them)
//! is a path into nested objects, unless another column is named by one of
//! its prefixes. Row `i` of the frame is scanned as line `i + 1` of a
//! `source` the caller names (unique per frame), which is how the Python
//! side finds a detection's row again, and tells rows of this frame from
//! events an earlier call gave the same scanner.

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float16Type, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, TimeUnit};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyFloat, PyList, PyString};

use landwatch::Event;

use crate::detection::Detection;
use crate::errors::{self, guard};
use crate::event::{write_json_value, write_str, write_utf8};
use crate::scanner::{lock, type_name, Scanner};

/// Rows converted at once on the Python-columns path (with the GIL held)
/// before they are scanned (with it released).
const CHUNK_ROWS: usize = 2048;
/// Rejected rows whose reasons are listed (all are counted in the stats).
const MAX_ERRORS: usize = 100;

/// Where a column goes in the event: a field, or an object of fields.
enum Node<K = Vec<u8>> {
    Column(usize),
    Object(Vec<(K, Node<K>)>),
}

/// A key as JSON text, with its colon.
fn key(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 3);
    write_str(&mut k, name);
    k.push(b':');
    k
}

/// The event's shape from the column names: dotted names nest, unless a
/// prefix of one is itself a column (then it stays one literal key).
fn shape(names: &[String]) -> Result<Vec<(Vec<u8>, Node)>, String> {
    let all: HashSet<&str> = names.iter().map(String::as_str).collect();
    if all.len() != names.len() {
        let mut seen = HashSet::new();
        let dup = names.iter().find(|n| !seen.insert(n.as_str())).map_or("", String::as_str);
        return Err(format!("two columns are named '{dup}': an event cannot hold a field twice (rename one with column_map)"));
    }
    let mut top: Vec<(String, Node<String>)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let parts: Vec<&str> = name.split('.').collect();
        let nests = parts.len() > 1
            && parts.iter().all(|p| !p.is_empty())
            && (1..parts.len()).all(|n| !all.contains(parts[..n].join(".").as_str()));
        if !nests {
            top.push((name.clone(), Node::Column(i)));
            continue;
        }
        let mut level = &mut top;
        for (depth, part) in parts.iter().enumerate() {
            if depth + 1 == parts.len() {
                level.push((part.to_string(), Node::Column(i)));
                break;
            }
            let at = match level.iter().position(|(k, n)| k == part && matches!(n, Node::Object(_))) {
                Some(at) => at,
                None => {
                    level.push((part.to_string(), Node::Object(Vec::new())));
                    level.len() - 1
                }
            };
            level = match &mut level[at].1 {
                Node::Object(children) => children,
                Node::Column(_) => unreachable!("only objects are looked up"),
            };
        }
    }
    fn keyed(nodes: Vec<(String, Node<String>)>) -> Vec<(Vec<u8>, Node)> {
        nodes
            .into_iter()
            .map(|(k, n)| {
                let n = match n {
                    Node::Object(children) => Node::Object(keyed(children)),
                    Node::Column(i) => Node::Column(i),
                };
                (key(&k), n)
            })
            .collect()
    }
    // A top-level name equal to a nested object's name is a prefix of a
    // dotted name, which then did not nest: keys stay distinct.
    Ok(keyed(top))
}

/// Writes one object of the event: the fields whose cell `cell` writes
/// (it returns false, having written nothing, for a missing one). False
/// when the object came out empty.
fn write_object<E>(
    fields: &[(Vec<u8>, Node)],
    cell: &mut impl FnMut(usize, &mut Vec<u8>) -> Result<bool, E>,
    out: &mut Vec<u8>,
) -> Result<bool, E> {
    out.push(b'{');
    let mut any = false;
    for (k, node) in fields {
        let mark = out.len();
        if any {
            out.push(b',');
        }
        out.extend_from_slice(k);
        let wrote = match node {
            Node::Column(i) => cell(*i, out)?,
            Node::Object(children) => write_object(children, cell, out)?,
        };
        if wrote {
            any = true;
        } else {
            out.truncate(mark);
        }
    }
    out.push(b'}');
    Ok(any)
}

/// A float as the log most likely wrote it: an integer value as the
/// integer, else the shortest text that reads back the same. False for
/// NaN and the infinities, which JSON cannot hold: a missing value.
fn write_float(x: f64, out: &mut Vec<u8>) -> bool {
    if !x.is_finite() {
        return false;
    }
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        let _ = write!(out, "{}", x as i64);
    } else {
        let _ = serde_json::to_writer(&mut *out, &x);
    }
    true
}

fn write_text(s: &str, out: &mut Vec<u8>) {
    write_utf8(out, s.as_bytes());
}

/// An instant, nanoseconds from the epoch, as RFC 3339 text in UTC.
fn write_instant(nanos: i128, out: &mut Vec<u8>) -> bool {
    match jiff::Timestamp::from_nanosecond(nanos) {
        Ok(t) => {
            let _ = write!(out, "\"{t}\"");
            true
        }
        // Beyond the years -9999..=9999: no time a log holds.
        Err(_) => false,
    }
}

fn write_date(days: i64, out: &mut Vec<u8>) -> bool {
    match jiff::Timestamp::from_second(days.saturating_mul(86_400)) {
        Ok(t) => {
            let _ = write!(out, "\"{}\"", t.strftime("%Y-%m-%d"));
            true
        }
        Err(_) => false,
    }
}

/// Writes the cell of one row of an Arrow column; false, having written
/// nothing, when it is missing.
type Writer<'a> = Box<dyn Fn(usize, &mut Vec<u8>) -> bool + 'a>;

macro_rules! primitive {
    ($array:expr, $t:ty, |$v:ident, $out:ident| $write:expr) => {{
        let a = $array.as_primitive::<$t>();
        Box::new(move |i: usize, $out: &mut Vec<u8>| {
            if a.is_null(i) {
                return false;
            }
            let $v = a.value(i);
            $write
        })
    }};
}

macro_rules! int {
    ($array:expr, $t:ty) => {
        primitive!($array, $t, |v, out| {
            let _ = write!(out, "{v}");
            true
        })
    };
}

macro_rules! list {
    ($l:expr, $name:expr) => {{
        let l = $l;
        let values = writer(l.values().as_ref(), $name)?;
        let offsets = l.value_offsets();
        Box::new(move |i: usize, out: &mut Vec<u8>| {
            if l.is_null(i) {
                return false;
            }
            out.push(b'[');
            for (n, j) in (usize::try_from(offsets[i]).unwrap_or(0)..usize::try_from(offsets[i + 1]).unwrap_or(0)).enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                if !values(j, out) {
                    out.extend_from_slice(b"null");
                }
            }
            out.push(b']');
            true
        })
    }};
}

/// The writer of an Arrow column (`name` says which, in errors).
fn writer<'a>(array: &'a dyn Array, name: &str) -> Result<Writer<'a>, String> {
    Ok(match array.data_type() {
        DataType::Null => Box::new(|_, _| false),
        DataType::Boolean => {
            let a = array.as_boolean();
            Box::new(move |i, out| {
                if a.is_null(i) {
                    return false;
                }
                out.extend_from_slice(if a.value(i) { b"true" } else { b"false" });
                true
            })
        }
        DataType::Int8 => int!(array, Int8Type),
        DataType::Int16 => int!(array, Int16Type),
        DataType::Int32 => int!(array, Int32Type),
        DataType::Int64 => int!(array, Int64Type),
        DataType::UInt8 => int!(array, UInt8Type),
        DataType::UInt16 => int!(array, UInt16Type),
        DataType::UInt32 => int!(array, UInt32Type),
        DataType::UInt64 => int!(array, UInt64Type),
        DataType::Float16 => primitive!(array, Float16Type, |v, out| write_float(v.to_f64(), out)),
        DataType::Float32 => primitive!(array, Float32Type, |v, out| write_float(f64::from(v), out)),
        DataType::Float64 => primitive!(array, Float64Type, |v, out| write_float(v, out)),
        DataType::Decimal128(..) => {
            let a = array.as_primitive::<Decimal128Type>();
            Box::new(move |i, out| {
                if a.is_null(i) {
                    return false;
                }
                out.extend_from_slice(a.value_as_string(i).as_bytes());
                true
            })
        }
        DataType::Decimal256(..) => {
            let a = array.as_primitive::<Decimal256Type>();
            Box::new(move |i, out| {
                if a.is_null(i) {
                    return false;
                }
                out.extend_from_slice(a.value_as_string(i).as_bytes());
                true
            })
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            Box::new(move |i, out| !a.is_null(i) && { write_text(a.value(i), out); true })
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            Box::new(move |i, out| !a.is_null(i) && { write_text(a.value(i), out); true })
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            Box::new(move |i, out| !a.is_null(i) && { write_text(a.value(i), out); true })
        }
        // Bytes are read as text: an event field is text, whatever bytes
        // the producer kept.
        DataType::Binary => {
            let a = array.as_binary::<i32>();
            Box::new(move |i, out| !a.is_null(i) && { write_str(out, &String::from_utf8_lossy(a.value(i))); true })
        }
        DataType::LargeBinary => {
            let a = array.as_binary::<i64>();
            Box::new(move |i, out| !a.is_null(i) && { write_str(out, &String::from_utf8_lossy(a.value(i))); true })
        }
        DataType::BinaryView => {
            let a = array.as_binary_view();
            Box::new(move |i, out| !a.is_null(i) && { write_str(out, &String::from_utf8_lossy(a.value(i))); true })
        }
        // An instant whatever its zone: the event-time reader wants UTC.
        DataType::Timestamp(unit, _) => match unit {
            TimeUnit::Second => primitive!(array, TimestampSecondType, |v, out| write_instant(i128::from(v) * 1_000_000_000, out)),
            TimeUnit::Millisecond => primitive!(array, TimestampMillisecondType, |v, out| write_instant(i128::from(v) * 1_000_000, out)),
            TimeUnit::Microsecond => primitive!(array, TimestampMicrosecondType, |v, out| write_instant(i128::from(v) * 1_000, out)),
            TimeUnit::Nanosecond => primitive!(array, TimestampNanosecondType, |v, out| write_instant(i128::from(v), out)),
        },
        DataType::Date32 => primitive!(array, Date32Type, |v, out| write_date(i64::from(v), out)),
        DataType::Date64 => primitive!(array, Date64Type, |v, out| write_date(v.div_euclid(86_400_000), out)),
        DataType::Dictionary(..) => {
            let Some(d) = array.as_any_dictionary_opt() else {
                return Err(format!("column '{name}': a dictionary column arrow cannot read"));
            };
            let keys = d.normalized_keys();
            let values = writer(d.values().as_ref(), name)?;
            Box::new(move |i, out| !array.is_null(i) && values(keys[i], out))
        }
        DataType::Struct(_) => {
            let s = array.as_struct();
            let mut fields = Vec::new();
            for (field, column) in s.fields().iter().zip(s.columns()) {
                let path = format!("{name}.{}", field.name());
                fields.push((key(field.name()), writer(column.as_ref(), &path)?));
            }
            Box::new(move |i, out| {
                if s.is_null(i) {
                    return false;
                }
                out.push(b'{');
                let mut any = false;
                for (k, w) in &fields {
                    let mark = out.len();
                    if any {
                        out.push(b',');
                    }
                    out.extend_from_slice(k);
                    if w(i, out) {
                        any = true;
                    } else {
                        out.truncate(mark);
                    }
                }
                out.push(b'}');
                true
            })
        }
        DataType::List(_) => list!(array.as_list::<i32>(), name),
        DataType::LargeList(_) => list!(array.as_list::<i64>(), name),
        DataType::FixedSizeList(_, size) => {
            let l = array.as_fixed_size_list();
            let size = usize::try_from(*size).unwrap_or(0);
            let values = writer(l.values().as_ref(), name)?;
            Box::new(move |i, out| {
                if l.is_null(i) {
                    return false;
                }
                out.push(b'[');
                for n in 0..size {
                    if n > 0 {
                        out.push(b',');
                    }
                    if !values(i * size + n, out) {
                        out.extend_from_slice(b"null");
                    }
                }
                out.push(b']');
                true
            })
        }
        other => {
            return Err(format!(
                "column '{name}' holds {other}, which is not an event field landwatch reads \
                 (text, numbers, booleans, timestamps, dates, structs and lists are); convert it to str first"
            ))
        }
    })
}

/// The rows a scan rejected: the row and why, the first `MAX_ERRORS` of them.
pub(crate) type Rejected = Vec<(usize, String)>;

/// A chunk of rows written out: `data[start..end]` is row `row`'s event,
/// or the row could not be written (`end` is None; why is in `rejected`).
#[derive(Default)]
pub(crate) struct Chunk {
    data: Vec<u8>,
    rows: Vec<(usize, usize, Option<usize>)>,
}

impl Chunk {
    fn clear(&mut self) {
        self.data.clear();
        self.rows.clear();
    }
}

/// Scans the rows of a chunk in order; a row that could not be written
/// is counted as a rejected event at its place in the stream. `stateless`:
/// only the scanner's stateless half (matching), no correlation fed.
fn scan_rows(
    scanner: &mut landwatch::Scanner,
    source: Option<&Arc<str>>,
    chunk: &Chunk,
    stateless: bool,
    found: &mut Vec<landwatch::Detection>,
    rejected: &mut Rejected,
) {
    for &(row, start, end) in &chunk.rows {
        let Some(end) = end else {
            scanner.reject_unreadable();
            continue;
        };
        let ev = Event::json(&chunk.data[start..end]).at(source, row as u64 + 1);
        let result = if stateless { scanner.prepare(&ev).map(|p| p.into_detections()) } else { scanner.scan(&ev) };
        match result {
            Ok(d) => found.extend(d),
            Err(e) => {
                if rejected.len() < MAX_ERRORS {
                    rejected.push((row, e.to_string()));
                }
            }
        }
    }
}

/// The Arrow stream an object exports (`__arrow_c_stream__`), taken out
/// of its capsule.
fn arrow_stream(data: &Bound<'_, PyAny>) -> PyResult<ArrowArrayStreamReader> {
    let capsule = data.call_method0("__arrow_c_stream__")?;
    let Ok(capsule) = capsule.cast::<PyCapsule>() else {
        return Err(PyTypeError::new_err(format!(
            "__arrow_c_stream__ gave {}, not a PyCapsule",
            type_name(&capsule)
        )));
    };
    let ptr = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
    // SAFETY: the capsule is named "arrow_array_stream", so by the Arrow
    // PyCapsule interface it points to an FFI_ArrowArrayStream; the stream
    // is moved out and an empty (released) one left, so the capsule's
    // destructor releases nothing twice.
    let stream = unsafe { std::ptr::replace(ptr.cast::<FFI_ArrowArrayStream>().as_ptr(), FFI_ArrowArrayStream::empty()) };
    ArrowArrayStreamReader::try_new(stream).map_err(|e| PyValueError::new_err(format!("cannot read the Arrow stream: {e}")))
}

/// The rows of an Arrow stream, to be written out as events' JSON a chunk
/// at a time (with the GIL released: nothing here touches Python).
pub(crate) struct ArrowRows {
    reader: ArrowArrayStreamReader,
    names: Vec<String>,
    fields: Vec<(Vec<u8>, Node)>,
}

impl ArrowRows {
    /// The stream `data` exports, its columns renamed by `names` (all of
    /// them, in order; None keeps the stream's).
    pub(crate) fn new(data: &Bound<'_, PyAny>, names: Option<Vec<String>>) -> PyResult<ArrowRows> {
        let reader = arrow_stream(data)?;
        let schema = reader.schema();
        let names = match names {
            Some(n) if n.len() != schema.fields().len() => {
                return Err(PyValueError::new_err(format!(
                    "names: {} given for {} columns",
                    n.len(),
                    schema.fields().len()
                )))
            }
            Some(n) => n,
            None => schema.fields().iter().map(|f| f.name().clone()).collect(),
        };
        let fields = shape(&names).map_err(PyValueError::new_err)?;
        Ok(ArrowRows { reader, names, fields })
    }

    /// Writes every row, in order, handing each chunk to `each`. An error
    /// (a column of a type no event holds, a broken stream) is a message
    /// for TypeError.
    pub(crate) fn each_chunk(self, mut each: impl FnMut(&Chunk)) -> Result<(), String> {
        let mut row = 0;
        let mut chunk = Chunk::default();
        for batch in self.reader {
            let batch: RecordBatch = batch.map_err(|e| format!("cannot read the Arrow stream: {e}"))?;
            let writers = batch
                .columns()
                .iter()
                .zip(&self.names)
                .map(|(c, n)| writer(c.as_ref(), n))
                .collect::<Result<Vec<_>, _>>()?;
            for start in (0..batch.num_rows()).step_by(CHUNK_ROWS) {
                let end = (start + CHUNK_ROWS).min(batch.num_rows());
                chunk.clear();
                for i in start..end {
                    let mut cell = |c: usize, out: &mut Vec<u8>| Ok::<bool, ()>(writers[c](i, out));
                    let at = chunk.data.len();
                    let _ = write_object(&self.fields, &mut cell, &mut chunk.data);
                    chunk.rows.push((row + i - start, at, Some(chunk.data.len())));
                }
                each(&chunk);
                row += end - start;
            }
        }
        Ok(())
    }
}

impl Chunk {
    /// Each row of the chunk that could be written: its number in the
    /// stream, and its event's JSON.
    pub(crate) fn events(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.rows.iter().filter_map(|&(row, start, end)| Some((row, &self.data[start..end?])))
    }
}

/// Scans every row of an Arrow stream (a polars frame, a pyarrow table...)
/// as one event, in order, with the GIL released. `names` renames the
/// columns (all of them, in order); None keeps the stream's. Row `i` is
/// line `i + 1` of the file `source`. Returns the
/// detections and the rows the scanner rejected (also counted in its
/// stats). The caller flushes. `stateless`: only match each event (the
/// scanner's stateless half), leaving correlations out, for a scan of part
/// of a stream whose correlations run elsewhere.
#[pyfunction]
#[pyo3(signature = (scanner, data, names = None, source = None, stateless = false))]
pub fn _scan_arrow(
    scanner: &Bound<'_, Scanner>,
    data: &Bound<'_, PyAny>,
    names: Option<Vec<String>>,
    source: Option<String>,
    stateless: bool,
) -> PyResult<(Vec<Detection>, Rejected)> {
    let py = scanner.py();
    guard(|| {
        let source: Option<Arc<str>> = source.map(Arc::from);
        let rows = ArrowRows::new(data, names)?;
        let mut this = lock(scanner)?;
        let inner = &mut this.inner;
        let result: Result<(Vec<landwatch::Detection>, Rejected), String> = py.detach(move || {
            let mut found = Vec::new();
            let mut rejected = Vec::new();
            rows.each_chunk(|chunk| {
                scan_rows(inner, source.as_ref(), chunk, stateless, &mut found, &mut rejected)
            })?;
            Ok((found, rejected))
        });
        let (found, rejected) = result.map_err(PyTypeError::new_err)?;
        Ok((found.into_iter().map(Detection::new).collect(), rejected))
    })
}

/// Writes a top-level cell from a Python column: None, NaN and cells the
/// mask marks (pd.NA, NaT) are missing; a float with an integer value is
/// that integer; anything else as a dict's value is.
fn write_py_cell(py: Python<'_>, v: &Bound<'_, PyAny>, out: &mut Vec<u8>, name: &str, row: usize) -> PyResult<bool> {
    if v.is_none() {
        return Ok(false);
    }
    if let Ok(s) = v.cast::<PyString>() {
        crate::event::write_py_str(out, s);
        return Ok(true);
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Ok(write_float(f.value(), out));
    }
    write_json_value(py, v, out, &format!("column '{name}', row {row}"))?;
    Ok(true)
}

/// Scans a frame given as Python lists, one per column (`Series.tolist()`),
/// row by row as events. `missing`, when given, marks the missing cells of
/// each column (`Series.isna()`), which are absent fields. Returns what
/// `_scan_arrow` does.
#[pyfunction]
#[pyo3(signature = (scanner, names, columns, missing = None, source = None))]
pub fn _scan_columns(
    scanner: &Bound<'_, Scanner>,
    names: Vec<String>,
    columns: Vec<Bound<'_, PyList>>,
    missing: Option<Vec<Bound<'_, PyList>>>,
    source: Option<String>,
) -> PyResult<(Vec<Detection>, Rejected)> {
    let py = scanner.py();
    guard(|| {
        let source: Option<Arc<str>> = source.map(Arc::from);
        if names.len() != columns.len() {
            return Err(PyValueError::new_err(format!("names: {} given for {} columns", names.len(), columns.len())));
        }
        let rows = columns.first().map_or(0, |c| c.len());
        if columns.iter().any(|c| c.len() != rows) {
            return Err(PyValueError::new_err("columns: not all of the same length"));
        }
        let masks: Vec<Vec<bool>> = match missing {
            None => Vec::new(),
            Some(m) if m.len() != columns.len() || m.iter().any(|c| c.len() != rows) => {
                return Err(PyValueError::new_err("missing: one list of rows per column expected"))
            }
            Some(m) => m.iter().map(|c| c.extract::<Vec<bool>>()).collect::<PyResult<_>>()?,
        };
        let fields = shape(&names).map_err(PyValueError::new_err)?;
        let mut this = lock(scanner)?;
        let mut found = Vec::new();
        let mut rejected = Vec::new();
        let mut chunk = Chunk::default();
        for start in (0..rows).step_by(CHUNK_ROWS) {
            let end = (start + CHUNK_ROWS).min(rows);
            chunk.clear();
            for i in start..end {
                let mut cell = |c: usize, out: &mut Vec<u8>| -> PyResult<bool> {
                    if masks.get(c).is_some_and(|m| m[i]) {
                        return Ok(false);
                    }
                    let v = columns[c].get_item(i)?;
                    write_py_cell(py, &v, out, &names[c], i)
                };
                let at = chunk.data.len();
                match write_object(&fields, &mut cell, &mut chunk.data) {
                    Ok(_) => chunk.rows.push((i, at, Some(chunk.data.len()))),
                    // A cell no event can hold (a set, an object, nesting
                    // past the limit): the row is a rejected event, as a
                    // malformed line of a file is; the scan goes on.
                    Err(e) if e.is_instance_of::<PyTypeError>(py) || e.is_instance_of::<errors::EventError>(py) => {
                        chunk.data.truncate(at);
                        chunk.rows.push((i, at, None));
                        if rejected.len() < MAX_ERRORS {
                            rejected.push((i, e.value(py).to_string()));
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            let inner = &mut this.inner;
            let (c, f, r) = (&chunk, &mut found, &mut rejected);
            let source = source.as_ref();
            py.detach(move || scan_rows(inner, source, c, false, f, r));
        }
        Ok((found.into_iter().map(Detection::new).collect(), rejected))
    })
}
