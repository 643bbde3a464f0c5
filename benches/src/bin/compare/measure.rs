//! Timing and memory: medians of runs; peak heap of an in-process row (a
//! counting allocator) or peak RSS of a child process (/usr/bin/time -v).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One run of one row.
#[derive(Clone, Copy, Default)]
pub struct Run {
    /// Scan time (end to end for a child process).
    pub seconds: f64,
    /// Rule load and compile time, in process only.
    pub compile: f64,
    /// Peak resident memory the run added, in bytes (None when unknown).
    pub peak: Option<u64>,
    pub detections: u64,
}

/// A row of the table: the median of its runs.
pub struct Row {
    pub name: String,
    pub events: usize,
    pub bytes: usize,
    pub run: Run,
    /// Why there are no figures, when there are none.
    pub note: Option<String>,
}

impl Row {
    pub fn new(name: &str, events: usize, bytes: usize, mut runs: Vec<Run>) -> Row {
        runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let run = runs.get(runs.len() / 2).copied().unwrap_or_default();
        Row {
            name: name.to_string(),
            events,
            bytes,
            run,
            note: None,
        }
    }

    pub fn failed(name: &str, note: String) -> Row {
        Row {
            name: name.to_string(),
            events: 0,
            bytes: 0,
            run: Run::default(),
            note: Some(note),
        }
    }

    pub fn events_per_sec(&self) -> f64 {
        if self.run.seconds > 0.0 {
            self.events as f64 / self.run.seconds
        } else {
            0.0
        }
    }
}

/// The global allocator, counting live heap bytes and their high-water
/// mark, so that a row's peak memory is its own: the RSS high-water mark
/// does not rise when a row reuses heap an earlier phase freed.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Peak heap bookkeeping around an in-process measurement.
pub struct Peak {
    base: usize,
}

impl Peak {
    /// Starts a new high-water mark at the current live heap.
    pub fn start() -> Peak {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        Peak { base }
    }

    /// Bytes the heap rose above its size at `start`, at most.
    pub fn added(&self) -> Option<u64> {
        Some(PEAK.load(Ordering::Relaxed).saturating_sub(self.base) as u64)
    }
}

/// Under a fresh peak mark, builds the engine with `setup` and runs `scan`
/// (which returns its detection count) on it; times both apart. The peak
/// covers both and is read before the engine is dropped.
pub fn in_process<S>(setup: impl FnOnce() -> S, scan: impl FnOnce(&mut S) -> u64) -> Run {
    let peak = Peak::start();
    let t = Instant::now();
    let mut engine = setup();
    let compile = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let detections = scan(&mut engine);
    let seconds = t.elapsed().as_secs_f64();
    let peak = peak.added();
    drop(engine);
    Run {
        seconds,
        compile,
        peak,
        detections,
    }
}

/// Runs `program args` with standard output to /dev/null, under
/// /usr/bin/time -v when present. Returns the run and the child's stderr.
pub fn child(program: &Path, args: &[String]) -> Result<(Run, String), String> {
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    let t = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let seconds = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!("{} failed ({}): {}", program.display(), out.status, tail(&stderr)));
    }
    let peak = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024);
    // landwatch's summary: "..., N detections ...".
    let detections = stderr
        .lines()
        .find(|l| l.starts_with("landwatch:"))
        .and_then(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| w.trim_end_matches(',') == "detections")?;
            words.get(at.checked_sub(1)?)?.parse().ok()
        })
        .unwrap_or(0);
    Ok((
        Run {
            seconds,
            compile: 0.0,
            peak,
            detections,
        },
        stderr,
    ))
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

/// `n` with thousands separators: 1,234,567.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
