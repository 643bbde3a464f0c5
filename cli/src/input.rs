//! Reading events: JSON Lines (one object a line), or one JSON array of
//! objects. Lines that cannot be read are reported, counted and skipped.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use landwatch::Scanner;
use serde_json::value::RawValue;

use crate::output::{Printer, Summary};

/// Scans one input (`-` is standard input) to its end.
pub fn scan_file(
    name: &str,
    scanner: &mut Scanner,
    out: &mut Printer,
    summary: &mut Summary,
) -> io::Result<()> {
    let reader: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(name)?)
    };
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    // A file whose first non-blank byte is '[' is one JSON array.
    let starts_array = loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break false;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break buf[i] == b'[',
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    if starts_array {
        let mut all = Vec::new();
        reader.read_to_end(&mut all)?;
        return scan_array(name, &all, scanner, out, summary);
    }
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        scan_one(name, number, &line, scanner, out, summary);
    }
    Ok(())
}

fn scan_one(
    name: &str,
    line: u64,
    bytes: &[u8],
    scanner: &mut Scanner,
    out: &mut Printer,
    summary: &mut Summary,
) {
    summary.events += 1;
    match scanner.scan_json(bytes) {
        Ok(detections) => {
            for d in &detections {
                out.detection(d, name, line, summary);
            }
        }
        Err(e) => summary.reject(name, line, &e),
    }
}

fn scan_array(
    name: &str,
    all: &[u8],
    scanner: &mut Scanner,
    out: &mut Printer,
    summary: &mut Summary,
) -> io::Result<()> {
    let items: Vec<&RawValue> = match serde_json::from_slice(all) {
        Ok(items) => items,
        Err(e) => {
            summary.events += 1;
            summary.reject(
                name,
                e.line() as u64,
                &landwatch::EventError::Json(format!("JSON array file: {e}")),
            );
            return Ok(());
        }
    };
    for item in items {
        let text = item.get();
        // The element's line: count newlines before it in the file.
        let offset = text.as_ptr() as usize - all.as_ptr() as usize;
        let line = memchr::memchr_iter(b'\n', &all[..offset]).count() as u64 + 1;
        scan_one(name, line, text.as_bytes(), scanner, out, summary);
    }
    Ok(())
}
