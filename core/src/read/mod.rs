//! Reading events and rules from files, as `landwatch scan` does and the
//! bindings do: the same readers, so that a file gives the same events
//! whoever reads it.
//!
//! Event inputs come in three shapes of JSON (JSON Lines, one JSON array, or
//! concatenated objects such as pretty-printed exports) and, with the `evtx`
//! feature, Windows `.evtx` files; they are told apart by their first bytes,
//! not by their names. A reader cuts its input into events and hands each
//! one's JSON text to an [`EventSink`]; what it cannot cut out (a broken
//! array, an unreadable EVTX record) it hands over as a skip, and goes on.
//! Rules are read from files and directories by [`load_rules`], through a
//! [`Recipe`]: the rule texts a rule set is built from, which can travel
//! to another process and build the same rules there.

#[cfg(feature = "evtx")]
mod evtx;
mod json;
mod recipe;
mod rules;

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

#[cfg(feature = "evtx")]
pub use evtx::{read_evtx_buffer, read_evtx_file};
pub use json::read_json;
pub use recipe::{Part, Recipe, SigmaOptions, RECIPE_FORMAT};
pub use rules::{load_rules, LoadError, LoadedRules};

/// The first bytes of every `.evtx` file.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// File names taken from a directory of events; a file named directly is
/// read whatever its name.
pub const EVENT_EXTENSIONS: &[&str] = &["evtx", "json", "jsonl", "ndjson"];

/// Where a reader puts what it reads.
pub trait EventSink {
    /// One event's JSON text. `line` is the line it starts on (from 1), or
    /// for EVTX the record's position in the file (from 1).
    fn event(&mut self, line: u64, json: &[u8]);
    /// Something that could not be cut out as an event, at `line` (0: the
    /// whole file), with a short stable `reason` for counting and the error.
    fn skip(&mut self, line: u64, reason: &'static str, error: &dyn fmt::Display);
    /// `bytes` more of the input were read (for a progress bar).
    fn progress(&mut self, _bytes: u64) {}
    /// True when nothing more is wanted (whoever reads the events has gone):
    /// readers then stop early.
    fn stopped(&self) -> bool {
        false
    }
}

/// Reads one file of events to its end: EVTX when it starts with
/// [`EVTX_MAGIC`], JSON otherwise. An error only when the file cannot be
/// opened or read (or is EVTX and the `evtx` feature is off).
pub fn read_file(path: &Path, sink: &mut dyn EventSink) -> io::Result<()> {
    let mut file = File::open(path)?;
    let mut head = [0u8; 8];
    let n = read_up_to(&mut file, &mut head)?;
    if &head[..n] == EVTX_MAGIC {
        drop(file);
        return read_evtx_path(path, sink);
    }
    read_json(io::Cursor::new(head[..n].to_vec()).chain(file), sink)
}

#[cfg(feature = "evtx")]
fn read_evtx_path(path: &Path, sink: &mut dyn EventSink) -> io::Result<()> {
    read_evtx_file(path, sink)
}

#[cfg(not(feature = "evtx"))]
fn read_evtx_path(path: &Path, _sink: &mut dyn EventSink) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{}: EVTX files need landwatch's `evtx` feature", path.display()),
    ))
}

/// Whether `head`, a file's first bytes, are those of an EVTX file.
pub fn is_evtx(head: &[u8]) -> bool {
    head.starts_with(EVTX_MAGIC)
}

/// Fills `buf` from `r` as far as `r` goes; the number of bytes read.
pub fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Every file under `dir` whose path `keep` accepts, recursively and in name
/// order (so that output order is stable from run to run).
pub fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for e in entries {
        if e.is_dir() {
            files_under(&e, keep, out)?;
        } else if keep(&e) {
            out.push(e);
        }
    }
    Ok(())
}

/// Whether a file found in a directory is one of events (by its extension,
/// ignoring case: [`EVENT_EXTENSIONS`]).
pub fn is_event_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EVENT_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}
