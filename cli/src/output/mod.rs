//! Printing detections (an aligned table, JSON Lines, or a CSV timeline)
//! and the run summary.

mod csv;
mod json;
mod table;

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::Duration;

use indicatif::ProgressBar;
use landwatch::{Accounting, Detection, EventError, Level, Rules, ScanStats};

use crate::{Format, StatsFormat};

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

    pub fn detections(&mut self, ds: &[Detection], summary: &mut Summary) {
        for d in ds {
            self.detection(d, summary);
        }
    }

    pub fn detection(&mut self, d: &Detection, summary: &mut Summary) {
        *summary.by_level.entry(d.level).or_default() += 1;
        match summary.by_rule.get_mut(d.rule.as_str()) {
            Some(n) => *n += 1,
            None => {
                summary.by_rule.insert(d.rule.clone(), 1);
            }
        }
        if d.correlation.is_some() {
            summary.correlated += 1;
        }
        // A closed pipe (`| head`) ends output quietly; the scan still counts.
        let write = |p: &mut Printer| {
            let _ = match p.format {
                Format::Jsonl => json::write(&mut p.out, d),
                Format::Table => table::write(p, d),
                Format::Csv => csv::write(p, d),
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

    pub fn finish(&mut self) {
        let _ = self.out.flush();
    }
}

/// Where a detection's event was read: `file:line`.
fn place(d: &Detection) -> String {
    match (&d.file, d.line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        (Some(f), None) => f.to_string(),
        (None, Some(l)) => format!("-:{l}"),
        (None, None) => "-".into(),
    }
}

/// One line saying what made a detection: the group and measure of a
/// correlation, the evidence of a rule.
fn details(d: &Detection) -> String {
    if let Some(c) = &d.correlation {
        let mut s = String::new();
        if !c.group.is_empty() {
            let g: Vec<String> = c.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&g.join(" "));
            s.push_str("; ");
        }
        s.push_str(&format!("count {}", c.count));
        if let Some(v) = c.value {
            s.push_str(&format!(", value {v}"));
        }
        if !c.values.is_empty() {
            s.push_str(&format!(", values {}", c.values.join(", ")));
        }
        s.push_str(&format!(
            "; {} to {}; {} events",
            c.window.start,
            c.window.end,
            c.events.len() as u64 + c.events_omitted
        ));
        return s;
    }
    let parts: Vec<String> = d
        .evidence
        .iter()
        .take(4)
        .map(|e| format!("{} ~ {:?}", e.field, e.matched.chars().take(80).collect::<String>()))
        .collect();
    parts.join("; ")
}

/// The run's figures, counted on the reading thread whatever the thread
/// count: every event the readers cut out (`events`), every rejection,
/// whether the reader or a scanner made it, under its reason, and every
/// detection printed.
#[derive(Default)]
pub struct Summary {
    pub events: u64,
    pub rejected: BTreeMap<&'static str, u64>,
    pub by_level: BTreeMap<Level, u64>,
    pub by_rule: BTreeMap<String, u64>,
    pub correlated: u64,
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

    /// Every event accounted for, in the shape the bindings report;
    /// `stats` are the correlating scanner's.
    pub fn accounting(&self, stats: &ScanStats) -> Accounting {
        let rejected: u64 = self.rejected.values().sum();
        let mut a = Accounting {
            read: self.events,
            scanned: self.events.saturating_sub(rejected),
            rejected,
            rejected_by_reason: self.rejected.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            detections: self.by_level.values().sum(),
            correlated: self.correlated,
            detections_by_rule: self.by_rule.clone(),
            detections_by_level: self.by_level.iter().map(|(l, n)| (l.as_str().to_string(), *n)).collect(),
            ..Accounting::default()
        };
        a.correlation(stats);
        a
    }

    /// The run's figures on standard error: a line or two for people, or
    /// one JSON object on one line (the accounting, plus `seconds`).
    pub fn print(&self, elapsed: Duration, stats: &ScanStats, format: StatsFormat) {
        match format {
            StatsFormat::Text => self.print_text(elapsed, stats),
            StatsFormat::Json => {
                let mut value = serde_json::to_value(self.accounting(stats)).unwrap_or_default();
                if let serde_json::Value::Object(map) = &mut value {
                    map.insert("seconds".into(), serde_json::json!(elapsed.as_secs_f64()));
                }
                eprintln!("{value}");
            }
        }
    }

    fn print_text(&self, elapsed: Duration, stats: &ScanStats) {
        let rejected: u64 = self.rejected.values().sum();
        let detections: u64 = self.by_level.values().sum();
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { self.events as f64 / secs } else { 0.0 };
        let mut s = format!("landwatch: {} events read, {} rejected", self.events, rejected);
        if rejected > 0 {
            let parts: Vec<String> = self.rejected.iter().map(|(r, n)| format!("{n} {r}")).collect();
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s.push_str(&format!(", {detections} detections"));
        if detections > 0 {
            let mut parts: Vec<String> = self.by_level.iter().rev().map(|(l, n)| format!("{n} {l}")).collect();
            if self.correlated > 0 {
                parts.push(format!("{} correlated", self.correlated));
            }
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s.push_str(&format!(", {secs:.3} s, {rate:.0} events/s"));
        eprintln!("{s}");
        let notes: Vec<String> = [
            (stats.no_time, "without a readable time"),
            (stats.late, "later than the allowed lateness"),
            (stats.forced, "released before the lateness passed (too many waiting)"),
            (stats.evicted, "correlation groups evicted to stay within the caps"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !notes.is_empty() {
            eprintln!("landwatch: correlation: {}", notes.join(", "));
        }
    }
}

pub fn print_rule_list(rules: &Rules) {
    let mut out = BufWriter::new(io::stdout());
    let _ = writeln!(out, "{:<40} {:<13} {:<12} {:<50} TITLE", "ID", "LEVEL", "KIND", "TAGS");
    for r in rules.iter() {
        let _ = writeln!(
            out,
            "{:<40} {:<13} {:<12} {:<50} {}",
            r.id,
            r.level.as_str(),
            r.kind.as_str(),
            r.tags.join(","),
            r.title
        );
    }
    let _ = writeln!(out, "{} rules ({} correlations)", rules.len(), rules.correlation_count());
    let _ = out.flush();
}
