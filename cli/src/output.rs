//! Printing detections (an aligned table or JSON Lines) and the run summary.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::Duration;

use indicatif::ProgressBar;
use landwatch::{Detection, EventError, Level, Rules};
use serde::Serialize;

use crate::Format;

/// Bad lines reported one by one before only counting.
const MAX_REPORTED_REJECTIONS: u64 = 100;

pub struct Printer {
    format: Format,
    colour: bool,
    out: BufWriter<io::Stdout>,
    header_done: bool,
    /// Set when a progress bar shares the terminal with standard output:
    /// each detection is then written whole, with the bar lifted.
    pub progress: Option<ProgressBar>,
}

#[derive(Serialize)]
struct JsonDetection<'a> {
    rule: &'a str,
    title: &'a str,
    level: Level,
    tags: &'a [String],
    file: &'a str,
    line: u64,
    evidence: &'a [landwatch::Evidence],
}

impl Printer {
    pub fn new(format: Format) -> Printer {
        Printer {
            format,
            colour: io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            out: BufWriter::new(io::stdout()),
            header_done: false,
            progress: None,
        }
    }

    pub fn detection(&mut self, d: &Detection, file: &str, line: u64, summary: &mut Summary) {
        *summary.by_level.entry(d.level).or_default() += 1;
        // A closed pipe (`| head`) ends output quietly; the scan still counts.
        let write = |p: &mut Printer| {
            let _ = match p.format {
                Format::Jsonl => p.jsonl(d, file, line),
                Format::Table => p.row(d, file, line),
            };
        };
        match self.progress.clone() {
            Some(bar) => bar.suspend(|| {
                write(self);
                let _ = self.out.flush();
            }),
            None => write(self),
        }
    }

    /// One event's scan: its detections, or why it was skipped.
    pub fn result(&mut self, r: &Result<Vec<Detection>, EventError>, file: &str, line: u64, summary: &mut Summary) {
        match r {
            Ok(detections) => {
                for d in detections {
                    self.detection(d, file, line, summary);
                }
            }
            Err(e) => summary.reject(file, line, e),
        }
    }

    fn jsonl(&mut self, d: &Detection, file: &str, line: u64) -> io::Result<()> {
        let j = JsonDetection {
            rule: &d.rule,
            title: &d.title,
            level: d.level,
            tags: &d.tags,
            file,
            line,
            evidence: &d.evidence,
        };
        serde_json::to_writer(&mut self.out, &j).map_err(io::Error::other)?;
        self.out.write_all(b"\n")
    }

    fn row(&mut self, d: &Detection, file: &str, line: u64) -> io::Result<()> {
        if !self.header_done {
            self.header_done = true;
            writeln!(
                self.out,
                "{:<13} {:<36} {:<32} TITLE / EVIDENCE",
                "LEVEL", "RULE", "WHERE"
            )?;
        }
        let level = format!("{:<13}", d.level.as_str());
        let level = if self.colour {
            let code = match d.level {
                Level::Critical => "1;31",
                Level::High => "31",
                Level::Medium => "33",
                Level::Low => "36",
                Level::Informational => "2",
            };
            format!("\x1b[{code}m{level}\x1b[0m")
        } else {
            level
        };
        let place = format!("{file}:{line}");
        writeln!(self.out, "{level} {:<36} {:<32} {}", d.rule, place, d.title)?;
        for e in d.evidence.iter().take(4) {
            let shown: String = e.matched.chars().take(80).collect();
            writeln!(
                self.out,
                "{:<13} {:<36} {:<32}   {} [{}..{}] {:?}",
                "", "", "", e.field, e.start, e.end, shown
            )?;
        }
        Ok(())
    }

    pub fn finish(&mut self) {
        let _ = self.out.flush();
    }
}

#[derive(Default)]
pub struct Summary {
    pub events: u64,
    pub rejected: BTreeMap<&'static str, u64>,
    pub by_level: BTreeMap<Level, u64>,
    reported: u64,
    /// The progress bar that messages must not tear, when one is drawn.
    pub progress: Option<ProgressBar>,
}

impl Summary {
    pub fn reject(&mut self, file: &str, line: u64, e: &EventError) {
        self.reject_because(file, line, e.reason(), e);
    }

    /// Counts a skipped event under `reason`, reporting the first ones.
    pub fn reject_because(&mut self, file: &str, line: u64, reason: &'static str, e: &dyn std::fmt::Display) {
        *self.rejected.entry(reason).or_default() += 1;
        self.reported += 1;
        let message = if self.reported <= MAX_REPORTED_REJECTIONS {
            format!("{file}:{line}: skipped: {e}")
        } else if self.reported == MAX_REPORTED_REJECTIONS + 1 {
            "(further skipped events are only counted)".to_string()
        } else {
            return;
        };
        match &self.progress {
            Some(bar) => bar.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    pub fn print(&self, elapsed: Duration) {
        let rejected: u64 = self.rejected.values().sum();
        let detections: u64 = self.by_level.values().sum();
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.events as f64 / secs
        } else {
            0.0
        };
        let mut s = format!(
            "landwatch: {} events read, {} rejected",
            self.events, rejected
        );
        if rejected > 0 {
            let parts: Vec<String> = self
                .rejected
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s.push_str(&format!(", {detections} detections"));
        if detections > 0 {
            let parts: Vec<String> = self
                .by_level
                .iter()
                .rev()
                .map(|(l, n)| format!("{n} {l}"))
                .collect();
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s.push_str(&format!(", {secs:.3} s, {rate:.0} events/s"));
        eprintln!("{s}");
    }
}

pub fn print_rule_list(rules: &Rules) {
    let mut out = BufWriter::new(io::stdout());
    let _ = writeln!(out, "{:<40} {:<13} {:<50} TITLE", "ID", "LEVEL", "TAGS");
    for r in rules.iter() {
        let _ = writeln!(
            out,
            "{:<40} {:<13} {:<50} {}",
            r.id,
            r.level.as_str(),
            r.tags.join(","),
            r.title
        );
    }
    let _ = writeln!(out, "{} rules", rules.len());
    let _ = out.flush();
}
