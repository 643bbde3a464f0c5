//! Windows `.evtx` files, read with the `evtx` crate as the DFIR tools do.
//!
//! Each record is rendered to JSON (nested `Event.System`, `Event.EventData`,
//! `#attributes` objects), which the scanner's `evtx` schema reads, so a
//! record matches exactly as the same record exported to JSON would. The
//! line of a record is its position in the file (from 1); the record number
//! (`EventRecordID`) is the detection's `record`.

use std::io::{self, Read, Seek};
use std::path::Path;

use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};

use super::EventSink;

/// Why a record is skipped, as counted.
const UNREADABLE: &str = "unreadable EVTX record";

/// Reads one `.evtx` file, handing every record to `sink` as JSON. A file
/// the parser refuses is one skip (at line 0), not an error; the error is
/// for a file that cannot be opened.
pub fn read_evtx_file(path: &Path, sink: &mut dyn EventSink) -> io::Result<()> {
    let size = std::fs::metadata(path)?.len();
    match EvtxParser::from_path(path) {
        Ok(parser) => read(parser, size, sink),
        Err(e) => {
            unreadable_file(&e, sink);
            sink.progress(size);
            Ok(())
        }
    }
}

/// Reads an `.evtx` file held in memory (the parser seeks).
pub fn read_evtx_buffer(buffer: Vec<u8>, sink: &mut dyn EventSink) -> io::Result<()> {
    let size = buffer.len() as u64;
    match EvtxParser::from_buffer(buffer) {
        Ok(parser) => read(parser, size, sink),
        Err(e) => {
            unreadable_file(&e, sink);
            Ok(())
        }
    }
}

fn unreadable_file(e: &EvtxError, sink: &mut dyn EventSink) {
    sink.skip(0, "unreadable EVTX file", &chain(e));
}

fn read<T: Read + Seek>(parser: EvtxParser<T>, size: u64, sink: &mut dyn EventSink) -> io::Result<()> {
    let settings = ParserSettings::new().indent(false).separate_json_attributes(false);
    let mut parser = parser.with_configuration(settings);
    // Progress by record number: the header says where numbering ends.
    let next_id = parser.header().next_record_id;
    let mut first_id = None;
    let mut shown = 0u64;
    // The line is the record's position in the file, from 1; the record
    // number (EventRecordID) is read from the record itself.
    let mut position = 0u64;
    for record in parser.records_json_bytes() {
        if sink.stopped() {
            return Ok(());
        }
        position += 1;
        match record {
            Ok(r) => {
                sink.event(position, &r.data);
                let first = *first_id.get_or_insert(r.event_record_id);
                let span = next_id.saturating_sub(first).max(1);
                let done = r.event_record_id.saturating_sub(first) + 1;
                let at = (size as u128 * done.min(span) as u128 / span as u128) as u64;
                if at > shown {
                    sink.progress(at - shown);
                    shown = at;
                }
            }
            Err(e) => sink.skip(position, UNREADABLE, &chain(&e)),
        }
    }
    sink.progress(size.saturating_sub(shown));
    Ok(())
}

/// The error and its causes on one line: the evtx crate's top-level messages
/// alone ("Failed to parse record number 7") do not say what was wrong.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}
