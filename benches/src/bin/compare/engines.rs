//! The in-process rows: each engine scanning the same pre-read lines.
//! Every scan records its detections as (line index, rule id) pairs, with
//! rule ids as the YAML `id` (landwatch's `sigma.` prefix removed).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::measure::{in_process, Run};
use crate::rules::{landwatch_rules, rsigma_engine, RuleFile};

pub type Hits = Vec<(u32, String)>;

/// landwatch's library path: `Scanner::scan_json` on each line. Rules are
/// compiled inside the measurement (their memory counts; their time is
/// `Run::compile`).
pub fn landwatch(files: &[RuleFile], lines: &[&[u8]], hits: &mut Hits) -> Result<Run, String> {
    hits.clear();
    let mut error = None;
    let run = in_process(
        || landwatch_rules(files).map(|r| landwatch::Scanner::new(Arc::new(r))),
        |scanner| {
            let scanner = match scanner {
                Ok(s) => s,
                Err(e) => {
                    error = Some(format!("landwatch rules: {e}"));
                    return 0;
                }
            };
            let mut n = 0;
            for (i, line) in lines.iter().enumerate() {
                // An unreadable line is counted by the scanner and skipped.
                if let Ok(detections) = scanner.scan_json(line) {
                    for d in detections {
                        n += 1;
                        let id = d.rule.strip_prefix("sigma.").map_or(d.rule.clone(), str::to_string);
                        hits.push((i as u32, id));
                    }
                }
            }
            n
        },
    );
    error.map_or(Ok(run), Err)
}

/// rsigma: each line parsed into a `serde_json::Value` (its JSON input path),
/// then `Engine::evaluate`.
pub fn rsigma(files: &[RuleFile], lines: &[&[u8]], hits: &mut Hits) -> Run {
    hits.clear();
    in_process(
        || rsigma_engine(files),
        |engine| {
            let mut n = 0;
            for (i, line) in lines.iter().enumerate() {
                let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
                    continue;
                };
                let event = rsigma_eval::JsonEvent::borrow(&value);
                for r in engine.evaluate(&event) {
                    if r.is_detection() {
                        n += 1;
                        hits.push((i as u32, r.header.rule_id.clone().unwrap_or_default()));
                    }
                }
            }
            n
        },
    )
}

/// sigma-rust: each line parsed into its `Event`, then every rule's
/// `is_match` (it has no cross-rule index).
pub fn sigma_rust(files: &[RuleFile], lines: &[&[u8]], hits: &mut Hits) -> Run {
    hits.clear();
    in_process(
        || {
            // Parsed again so that its load cost and memory are its own.
            files
                .iter()
                .filter(|f| f.sigma_rust.is_some())
                .filter_map(|f| sigma_rust::rule_from_yaml(&f.text).ok())
                .collect::<Vec<_>>()
        },
        |rules| {
            let mut n = 0;
            for (i, line) in lines.iter().enumerate() {
                let Ok(text) = std::str::from_utf8(line) else { continue };
                let Ok(event) = sigma_rust::event_from_json(text) else { continue };
                for rule in rules.iter() {
                    if rule.is_match(&event) {
                        n += 1;
                        hits.push((i as u32, rule.id.clone().unwrap_or_default()));
                    }
                }
            }
            n
        },
    )
}

/// The parse floor: each line into a serde_json map, CommandLine read.
/// Its detection count is the number of CommandLine values seen.
pub fn serde_floor(lines: &[&[u8]]) -> Run {
    in_process(
        || (),
        |_| {
            let mut n = 0;
            for line in lines {
                let Ok(map) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) else {
                    continue;
                };
                n += u64::from(map.get("CommandLine").and_then(|v| v.as_str()).is_some());
            }
            n
        },
    )
}

/// The I/O floor: the file read in 1 MiB blocks, newlines counted with memchr.
/// Its detection count is the line count.
pub fn memchr_floor(path: &Path) -> Result<Run, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut result = Ok(());
    let run = in_process(
        || vec![0u8; 1 << 20],
        |buf| {
            let mut n = 0u64;
            loop {
                match file.read(buf) {
                    Ok(0) => break,
                    Ok(k) => n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        result = Err(format!("cannot read {}: {e}", path.display()));
                        break;
                    }
                }
            }
            n
        },
    );
    result.map(|()| run)
}
