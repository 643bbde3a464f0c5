//! Scanning files: JSON events (JSON Lines, arrays, concatenated objects)
//! and EVTX, read by the core's readers (`landwatch::read`, the ones the
//! command uses) on a thread of their own, and scanned batch by batch with
//! the GIL released as the Python iterator is advanced.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use landwatch::read::{self, EventSink};
use landwatch::Event;

use crate::detection::Detection;
use crate::errors::{self, guard, InternalError};
use crate::scanner::{fspath, lock, type_name, Scanner};

/// Events handed over at once, and their bytes.
const BATCH_EVENTS: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;
/// Batches read ahead of the scanner.
const READ_AHEAD: usize = 2;
/// Read errors an iterator lists (all are counted in the scanner's stats).
const MAX_ERRORS: usize = 1000;

/// One item the reader cut out of its input.
enum Item {
    /// An event's JSON text: `data[start..end]` of its batch.
    Event { line: u64, start: usize, end: usize },
    /// Something that could not be cut out as an event.
    Skip { line: u64, reason: &'static str, message: String },
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    items: Vec<Item>,
}

enum Msg {
    Batch(Batch),
    /// The end of the input: how reading it ended.
    Done(io::Result<()>),
}

/// Where the reading thread puts what it reads: batches sent to the
/// iterator, which scans them.
struct ChannelSink {
    tx: SyncSender<Msg>,
    batch: Batch,
    gone: bool,
}

impl ChannelSink {
    fn send(&mut self) {
        if self.batch.items.is_empty() || self.gone {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        if self.tx.send(Msg::Batch(batch)).is_err() {
            // The iterator was dropped: stop reading.
            self.gone = true;
        }
    }

    fn full(&self) -> bool {
        self.batch.items.len() >= BATCH_EVENTS || self.batch.data.len() >= BATCH_BYTES
    }
}

impl EventSink for ChannelSink {
    fn event(&mut self, line: u64, json: &[u8]) {
        let start = self.batch.data.len();
        self.batch.data.extend_from_slice(json);
        self.batch.items.push(Item::Event { line, start, end: self.batch.data.len() });
        if self.full() {
            self.send();
        }
    }

    fn skip(&mut self, line: u64, reason: &'static str, error: &dyn fmt::Display) {
        self.batch.items.push(Item::Skip { line, reason, message: error.to_string() });
        if self.full() {
            self.send();
        }
    }

    fn stopped(&self) -> bool {
        self.gone
    }
}

/// What the reading thread reads.
enum Input {
    /// A JSON file, its first bytes already read (to tell it from EVTX).
    JsonFile(Vec<u8>, File),
    Evtx(PathBuf),
    EvtxBuffer(Vec<u8>),
    /// A Python file object, read in chunks on the reading thread.
    JsonObject(PyReader),
}

/// Starts the reading thread; the receiving end of what it reads.
fn start(input: Input) -> PyResult<(Receiver<Msg>, JoinHandle<()>)> {
    let (tx, rx) = sync_channel(READ_AHEAD);
    let handle = std::thread::Builder::new()
        .name("landwatch-read".into())
        .spawn(move || {
            let mut sink = ChannelSink { tx, batch: Batch::default(), gone: false };
            let result = match input {
                Input::JsonFile(head, file) => read::read_json(io::Cursor::new(head).chain(file), &mut sink),
                Input::Evtx(path) => read::read_evtx_file(&path, &mut sink),
                Input::EvtxBuffer(buffer) => read::read_evtx_buffer(buffer, &mut sink),
                Input::JsonObject(reader) => read::read_json(reader, &mut sink),
            };
            sink.send();
            if !sink.gone {
                let _ = sink.tx.send(Msg::Done(result));
            }
        })
        .map_err(|e| errors::io_error("a reading thread", &e))?;
    Ok((rx, handle))
}

/// A Python file object as a `Read`: `read()` called with the GIL taken,
/// text encoded as UTF-8.
struct PyReader {
    file: Py<PyAny>,
    pending: Vec<u8>,
    at: usize,
}

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.pending.len() {
            let chunk = Python::attach(|py| -> PyResult<Vec<u8>> {
                let data = self.file.bind(py).call_method1("read", (1usize << 16,))?;
                if let Ok(b) = data.cast::<PyBytes>() {
                    Ok(b.as_bytes().to_vec())
                } else if let Ok(s) = data.cast::<PyString>() {
                    Ok(s.to_string_lossy().into_owned().into_bytes())
                } else if data.is_none() {
                    // A non-blocking stream with nothing ready: the end, here.
                    Ok(Vec::new())
                } else {
                    Err(PyTypeError::new_err(format!(
                        "read() of the file object returned {}, not bytes or str",
                        type_name(&data)
                    )))
                }
            })
            .map_err(|e| io::Error::other(e.to_string()))?;
            self.pending = chunk;
            self.at = 0;
            if self.pending.is_empty() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// An event that could not be read, as the iterator lists it.
struct ReadError {
    line: u64,
    reason: &'static str,
    message: String,
}

/// The state of one file's scan, advanced with the GIL released.
struct Progress {
    rx: Receiver<Msg>,
    thread: Option<JoinHandle<()>>,
    file: Option<Arc<str>>,
    ready: VecDeque<landwatch::Detection>,
    errors: Vec<ReadError>,
    error_count: u64,
    done: bool,
}

/// How a step ended, when it ended the input badly.
enum Failure {
    Io(io::Error),
    Panicked(String),
}

impl Progress {
    fn error(&mut self, line: u64, reason: &'static str, message: String) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(ReadError { line, reason, message });
        }
    }

    /// Takes the next batch and scans it; the end of the input sets `done`.
    fn step(&mut self, scanner: &mut landwatch::Scanner) -> Option<Failure> {
        match self.rx.recv() {
            Ok(Msg::Batch(batch)) => {
                for item in batch.items {
                    match item {
                        Item::Event { line, start, end } => {
                            let ev = Event::json(&batch.data[start..end]).at(self.file.as_ref(), line);
                            match scanner.scan(&ev) {
                                Ok(found) => self.ready.extend(found),
                                Err(e) => self.error(line, e.reason(), e.to_string()),
                            }
                        }
                        Item::Skip { line, reason, message } => {
                            scanner.reject_because(reason);
                            self.error(line, reason, message);
                        }
                    }
                }
                None
            }
            Ok(Msg::Done(result)) => {
                self.done = true;
                self.join();
                result.err().map(Failure::Io)
            }
            Err(_) => {
                // The thread ended without saying how: it panicked.
                self.done = true;
                match self.thread.take().map(JoinHandle::join) {
                    Some(Err(payload)) => {
                        let what = payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        Some(Failure::Panicked(what))
                    }
                    _ => Some(Failure::Panicked("the reading thread ended early".into())),
                }
            }
        }
    }

    fn join(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An iterator over the detections of one file, read and scanned as it is
/// advanced (with the GIL released while scanning). `errors` lists the
/// events that could not be read so far (at most 1000; `error_count` counts
/// them all; the scanner's `stats()` counts them too). The scanner is busy
/// only during each step, so it may be used between steps; the events of
/// the file and of other calls are one stream.
#[pyclass(module = "landwatch")]
pub struct ScanIter {
    scanner: Py<Scanner>,
    /// Behind a mutex only because a pyclass must be `Sync` (the channel's
    /// receiver is not); the iterator's own borrow already makes it
    /// exclusive, so it is never contended.
    progress: Mutex<Progress>,
}

impl ScanIter {
    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[pymethods]
impl ScanIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(mut slf: PyRefMut<'_, Self>) -> PyResult<Option<Detection>> {
        let py = slf.py();
        guard(|| loop {
            let progress = slf.progress.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(d) = progress.ready.pop_front() {
                return Ok(Some(Detection::new(d)));
            }
            if progress.done {
                return Ok(None);
            }
            let scanner = slf.scanner.clone_ref(py);
            let scanner = scanner.bind(py);
            let mut this = lock(scanner)?;
            let inner = &mut this.inner;
            let progress = slf.progress.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
            let failure = py.detach(|| progress.step(inner));
            drop(this);
            match failure {
                None => {}
                Some(Failure::Io(e)) => {
                    let name = progress.file.as_deref().unwrap_or("the file object").to_string();
                    return Err(errors::io_error(&name, &e));
                }
                Some(Failure::Panicked(what)) => {
                    return Err(InternalError::new_err(format!(
                        "internal error in landwatch (a bug; please report it): reading failed: {what}"
                    )));
                }
            }
        })
    }

    /// The events that could not be read so far: dicts of file, line,
    /// reason and message (the first 1000).
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let list = PyList::empty(py);
            let progress = self.progress();
            for e in &progress.errors {
                let d = PyDict::new(py);
                d.set_item("file", progress.file.as_deref())?;
                d.set_item("line", e.line)?;
                d.set_item("reason", e.reason)?;
                d.set_item("message", &e.message)?;
                list.append(d)?;
            }
            Ok(list)
        })
    }

    /// How many events could not be read so far.
    #[getter]
    fn error_count(&self) -> u64 {
        self.progress().error_count
    }

    fn __repr__(&self) -> String {
        let progress = self.progress();
        format!(
            "<landwatch scan of {}{}>",
            progress.file.as_deref().unwrap_or("a file object"),
            if progress.done { ", finished" } else { "" }
        )
    }
}

fn iter(scanner: &Bound<'_, Scanner>, input: Input, file: Option<String>) -> PyResult<ScanIter> {
    let (rx, thread) = start(input)?;
    Ok(ScanIter {
        scanner: scanner.clone().unbind(),
        progress: Mutex::new(Progress {
            rx,
            thread: Some(thread),
            file: file.map(Arc::from),
            ready: VecDeque::new(),
            errors: Vec::new(),
            error_count: 0,
            done: false,
        }),
    })
}

fn open(path: &Path) -> PyResult<(File, Vec<u8>)> {
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(|e| errors::io_error(&name, &e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(PyValueError::new_err(format!("{name} is a directory: give a file")));
    }
    let mut head = vec![0u8; read::EVTX_MAGIC.len()];
    let n = read::read_up_to(&mut file, &mut head).map_err(|e| errors::io_error(&name, &e))?;
    head.truncate(n);
    Ok((file, head))
}

/// A file object's name, when it has a str one.
fn object_name(source: &Bound<'_, PyAny>) -> Option<String> {
    let name = source.getattr("name").ok()?;
    name.cast::<PyString>().ok().map(|s| s.to_string_lossy().into_owned())
}

/// `Scanner.scan_jsonl`.
pub fn scan_json(scanner: &Bound<'_, Scanner>, source: &Bound<'_, PyAny>) -> PyResult<ScanIter> {
    let py = scanner.py();
    if let Some(path) = fspath(py, source)? {
        let name = path.display().to_string();
        let (file, head) = open(&path)?;
        if read::is_evtx(&head) {
            return Err(PyValueError::new_err(format!("{name} is an EVTX file: use scan_evtx")));
        }
        return iter(scanner, Input::JsonFile(head, file), Some(name));
    }
    if source.hasattr("read")? {
        let reader = PyReader { file: source.clone().unbind(), pending: Vec::new(), at: 0 };
        return iter(scanner, Input::JsonObject(reader), object_name(source));
    }
    Err(PyTypeError::new_err(format!(
        "source: expected a path or a file object, not {}",
        type_name(source)
    )))
}

/// `Scanner.scan_evtx`.
pub fn scan_evtx(scanner: &Bound<'_, Scanner>, source: &Bound<'_, PyAny>) -> PyResult<ScanIter> {
    let py = scanner.py();
    if let Some(path) = fspath(py, source)? {
        let name = path.display().to_string();
        let (_, head) = open(&path)?;
        if !read::is_evtx(&head) {
            return Err(PyValueError::new_err(format!("{name} is not an EVTX file (for JSON, use scan_jsonl)")));
        }
        return iter(scanner, Input::Evtx(path), Some(name));
    }
    if source.hasattr("read")? {
        let data = source.call_method0("read")?;
        let Ok(bytes) = data.cast::<PyBytes>() else {
            return Err(PyTypeError::new_err(format!(
                "source: an EVTX file object must be opened in binary mode (read() gave {})",
                type_name(&data)
            )));
        };
        let buffer = bytes.as_bytes().to_vec();
        if !read::is_evtx(&buffer) {
            return Err(PyValueError::new_err("the file object does not hold an EVTX file (for JSON, use scan_jsonl)"));
        }
        return iter(scanner, Input::EvtxBuffer(buffer), object_name(source));
    }
    Err(PyTypeError::new_err(format!(
        "source: expected a path or a binary file object, not {}",
        type_name(source)
    )))
}
