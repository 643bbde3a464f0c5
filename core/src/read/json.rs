//! JSON events: JSON Lines (one object a line), one JSON array of objects,
//! or objects one after another across lines (pretty-printed exports, such as
//! `evtx_dump -o json`). Lines or objects that cannot be read are handed on
//! (a malformed line, for the scanner to reject) or skipped (a broken array
//! or object), and reading goes on.

use std::io::{self, BufRead, BufReader, Read};

use serde_json::value::RawValue;

use super::EventSink;
use crate::error::EventError;
use crate::limits::MAX_EVENT_BYTES;

/// Reads one JSON input to its end, handing every event to `sink`. The
/// shape is told from the first line that is not blank: `[` starts an
/// array, a value that goes on past its line starts a stream of objects,
/// anything else is JSON Lines. An error only when reading fails.
pub fn read_json(reader: impl Read, sink: &mut dyn EventSink) -> io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    let mut seen_event = false;
    while !sink.stopped() {
        line.clear();
        let (n, too_long) = read_line(&mut reader, &mut line)?;
        if n == 0 {
            break;
        }
        sink.progress(n as u64);
        number += 1;
        if too_long {
            seen_event = true;
            sink.skip(number, "too large", &EventError::TooLarge(MAX_EVENT_BYTES));
            continue;
        }
        let Some(first) = line.iter().position(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        if !seen_event && (line[first] == b'[' || is_unfinished(&line)) {
            // One array, or objects spanning lines: read the rest, parse as a stream.
            let mut all = std::mem::take(&mut line);
            let more = reader.read_to_end(&mut all)?;
            sink.progress(more as u64);
            if all[first] == b'[' {
                read_array(number, &all, sink);
            } else {
                read_stream(number, &all, sink);
            }
            return Ok(());
        }
        seen_event = true;
        sink.event(number, &line);
    }
    Ok(())
}

/// Reads one line (with its newline) into `line`, keeping at most
/// [`MAX_EVENT_BYTES`] of it: a longer line is read to its end and dropped,
/// and the answer says so. The bytes read, and whether the line was too long.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<(usize, bool)> {
    let (mut read, mut too_long) = (0usize, false);
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((read, too_long));
        }
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            let part = available.get(..take).unwrap_or(available);
            // The newline does not count towards the event's size.
            let content = line.len() + take - usize::from(done);
            if content > MAX_EVENT_BYTES {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(part);
            }
        }
        reader.consume(take);
        read += take;
        if done {
            return Ok((read, too_long));
        }
    }
}

/// True when the line is the start of a JSON value that goes on past it.
fn is_unfinished(line: &[u8]) -> bool {
    matches!(serde_json::from_slice::<serde::de::IgnoredAny>(line), Err(e) if e.is_eof())
}

/// Turns byte offsets into line numbers, moving forward only.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.text.len());
        if offset > self.offset {
            self.line += memchr::memchr_iter(b'\n', &self.text[self.offset..offset]).count() as u64;
            self.offset = offset;
        }
        self.line
    }
}

fn offset_in(all: &[u8], part: &str) -> usize {
    part.as_ptr() as usize - all.as_ptr() as usize
}

fn read_array(first_line: u64, all: &[u8], sink: &mut dyn EventSink) {
    let items: Vec<&RawValue> = match serde_json::from_slice(all) {
        Ok(items) => items,
        Err(e) => {
            let line = first_line + e.line().saturating_sub(1) as u64;
            let err = EventError::Json(format!("JSON array file: {e}"));
            sink.skip(line, err.reason(), &err);
            return;
        }
    };
    let mut lines = Lines { text: all, offset: 0, line: first_line };
    for item in items {
        if sink.stopped() {
            return;
        }
        let line = lines.at(offset_in(all, item.get()));
        sink.event(line, item.get().as_bytes());
    }
}

/// Values one after another. After a malformed one the stream resumes at the
/// next line that starts with `{`, so one broken object costs one rejection.
fn read_stream(first_line: u64, all: &[u8], sink: &mut dyn EventSink) {
    let mut lines = Lines { text: all, offset: 0, line: first_line };
    let mut start = 0;
    while start < all.len() && !sink.stopped() {
        let mut stream = serde_json::Deserializer::from_slice(&all[start..]).into_iter::<&RawValue>();
        let failed = loop {
            match stream.next() {
                None => break None,
                Some(Ok(_)) if sink.stopped() => return,
                Some(Ok(v)) => {
                    let line = lines.at(offset_in(all, v.get()));
                    sink.event(line, v.get().as_bytes());
                }
                Some(Err(e)) => break Some(e),
            }
        };
        let Some(e) = failed else { return };
        // Where the bad value began: just past the last good one.
        let bad = start + stream.byte_offset();
        let bad = bad + all[bad..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        let line = lines.at(bad);
        let err = EventError::Json(e.to_string());
        sink.skip(line, err.reason(), &err);
        start = match memchr::memmem::find(&all[bad..], b"\n{") {
            Some(i) => bad + i + 1,
            None => all.len(),
        };
    }
}
