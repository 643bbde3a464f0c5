//! Reading events: files, directories (recursively) and standard input.
//!
//! Three shapes of JSON (JSON Lines, one JSON array, or concatenated objects
//! such as pretty-printed exports) and Windows `.evtx` files, told apart by
//! their first bytes, not by their names, with the core's readers
//! ([`landwatch::read`]). Every event or record that cannot be read is
//! reported, counted and skipped; one bad record never ends a file.

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use landwatch::read::{self, EventSink};
use landwatch::{Event, ScanStats, Scanner, SourceId};

use crate::output::{Printer, Summary};
use crate::parallel::Pool;

/// One thing to read.
pub struct Input {
    /// As shown in output: the path, or `-` for standard input.
    pub name: String,
    path: Option<PathBuf>,
    size: u64,
}

/// Expands the command line's paths: `-` is standard input, a directory is
/// every `.evtx`, `.json`, `.jsonl` and `.ndjson` file under it (sorted, so
/// output order is stable). A path that cannot be read is an error.
pub fn expand(paths: &[String]) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            out.push(Input { name: "-".into(), path: None, size: 0 });
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|e| format!("cannot read {p}: {e}"))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            read::files_under(Path::new(p), &read::is_event_file, &mut files)
                .map_err(|e| format!("cannot read {p}: {e}"))?;
            if files.is_empty() {
                eprintln!("warning: {p}: no .evtx, .json, .jsonl or .ndjson files");
            }
            for path in files {
                let name = path.display().to_string();
                let size = std::fs::metadata(&path).map_err(|e| format!("cannot read {name}: {e}"))?.len();
                out.push(Input { name, path: Some(path), size });
            }
        } else {
            out.push(Input { name: p.clone(), path: Some(PathBuf::from(p)), size: meta.len() });
        }
    }
    Ok(out)
}

/// What scanning one input needs.
pub struct Sink<'a> {
    pub engine: &'a mut Engine,
    pub out: &'a mut Printer,
    pub summary: &'a mut Summary,
    pub progress: &'a Progress,
    /// The input's name, as detections cite it.
    pub file: Arc<str>,
    /// The scanner's source for this input, when several are read.
    pub source: Option<SourceId>,
}

/// Where events are scanned: here, or by a pool of threads.
pub enum Engine {
    Inline(Box<Scanner>),
    Pool(Box<Pool>),
}

impl Engine {
    /// The scanner that correlates.
    fn correlator(&mut self) -> &mut Scanner {
        match self {
            Engine::Inline(s) => s,
            Engine::Pool(p) => p.correlator(),
        }
    }

    /// A source for each of `n` inputs read one after another, so that
    /// correlations see their events in time order across inputs.
    pub fn open_sources(&mut self, n: usize) -> Vec<SourceId> {
        (0..n).map(|_| self.correlator().open_source()).collect()
    }

    /// Ends an input's source, printing what that lets through. The pool
    /// first prints everything of the input.
    pub fn close_source(&mut self, source: SourceId, out: &mut Printer, summary: &mut Summary) {
        if let Engine::Pool(p) = self {
            p.drain_all(out, summary);
        }
        let released = self.correlator().close_source(source);
        out.detections(&released, summary);
    }

    /// Prints what only the end of all input completes, and stops the
    /// threads; an error if some events were not scanned. The figures are
    /// the correlating scanner's.
    pub fn finish(self, out: &mut Printer, summary: &mut Summary) -> Result<ScanStats, String> {
        match self {
            Engine::Inline(mut scanner) => {
                out.detections(&scanner.flush(), summary);
                Ok(scanner.stats())
            }
            Engine::Pool(pool) => pool.finish(out, summary),
        }
    }
}

impl EventSink for Sink<'_> {
    /// Scans one event's JSON text; `line` is where it starts (or the EVTX
    /// record's position).
    fn event(&mut self, line: u64, bytes: &[u8]) {
        self.summary.events += 1;
        match &mut *self.engine {
            Engine::Pool(pool) => pool.push(&self.file, self.source, line, bytes, self.out, self.summary),
            Engine::Inline(scanner) => {
                let mut ev = Event::json(bytes).at(Some(&self.file), line);
                if let Some(s) = self.source {
                    ev = ev.from_source(s);
                }
                match scanner.scan(&ev) {
                    Ok(ds) => self.out.detections(&ds, self.summary),
                    Err(e) => self.summary.reject(&self.file, line, &e),
                }
            }
        }
    }

    /// An event the reader could not even cut out (a broken array, object or
    /// EVTX record): counted as read, and as skipped under `reason`.
    fn skip(&mut self, line: u64, reason: &'static str, e: &dyn std::fmt::Display) {
        self.summary.events += 1;
        self.summary.reject_because(&self.file, line, reason, e);
    }

    fn progress(&mut self, bytes: u64) {
        self.progress.inc(bytes);
    }
}

/// Scans one input to its end.
pub fn scan(input: &Input, sink: &mut Sink<'_>) -> io::Result<()> {
    sink.progress.file(&input.name);
    let Some(path) = &input.path else {
        let mut stdin = io::stdin().lock();
        let mut head = Vec::with_capacity(8);
        (&mut stdin).take(8).read_to_end(&mut head)?;
        if read::is_evtx(&head) {
            // The EVTX parser seeks, so standard input is read whole first.
            stdin.read_to_end(&mut head)?;
            return read::read_evtx_buffer(head, sink);
        }
        return read::read_json(io::Cursor::new(head).chain(stdin), sink);
    };
    read::read_file(path, sink)
}

/// A progress bar over the bytes of all inputs, drawn on standard error when
/// it is a terminal (and never for standard input, whose size is unknown).
pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn new(inputs: &[Input]) -> Progress {
        let total: u64 = inputs.iter().map(|i| i.size).sum();
        let show = io::stderr().is_terminal() && inputs.iter().all(|i| i.path.is_some()) && total > 0;
        if !show {
            return Progress(None);
        }
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta}) {msg}",
        ) {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }

    /// The bar, for output that must not tear it.
    pub fn bar(&self) -> Option<&ProgressBar> {
        self.0.as_ref()
    }

    fn file(&self, name: &str) {
        if let Some(b) = &self.0 {
            let short = Path::new(name).file_name().map_or(name.into(), |f| f.to_string_lossy());
            b.set_message(short.into_owned());
        }
    }

    fn inc(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
