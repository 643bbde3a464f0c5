//! Side by side: landwatch (library and CLI), rsigma, sigma-rust and two
//! floors, on the same machine, in the same run, on the same generated
//! Sysmon events and the same SigmaHQ process_creation rules.
//!
//! ```text
//! cargo run --release -p landwatch-benches --bin compare -- [--events N] [--runs K]
//! ```
//!
//! Options: `--events N` (default 1,000,000), `--runs K` (median of K,
//! default 3), `--sigma-rust-events M` (default 2,000), `--rules DIR`,
//! `--out DIR` (default `target/compare`), `--landwatch PATH` (the CLI
//! binary; default: built with `cargo build --release -p landwatch-cli`),
//! `--cli-arg ARG` (repeatable, passed to `landwatch scan`, e.g. a thread
//! count), `--seed S`.

mod agree;
mod engines;
mod measure;
mod rules;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use measure::{Row, Run};

#[global_allocator]
static ALLOC: measure::Counting = measure::Counting;

struct Options {
    events: usize,
    runs: usize,
    sigma_rust_events: usize,
    rules: PathBuf,
    out: PathBuf,
    landwatch: Option<PathBuf>,
    cli_args: Vec<String>,
    seed: u64,
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `target/` (the directory holding the profile directory of this binary).
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn parse_args() -> Result<Options, String> {
    let root = workspace_root();
    let mut o = Options {
        events: 1_000_000,
        runs: 3,
        sigma_rust_events: 2_000,
        rules: root.join("../shared/corpus/sigma/rules/windows/process_creation"),
        out: target_dir().join("compare"),
        landwatch: None,
        cli_args: Vec::new(),
        seed: 2026,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        let number = |v: String| v.replace(['_', ','], "").parse::<usize>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--events" => o.events = number(value()?)?,
            "--runs" => o.runs = number(value()?)?.max(1),
            "--sigma-rust-events" => o.sigma_rust_events = number(value()?)?,
            "--seed" => o.seed = number(value()?)? as u64,
            "--rules" => o.rules = PathBuf::from(value()?),
            "--out" => o.out = PathBuf::from(value()?),
            "--landwatch" => o.landwatch = Some(PathBuf::from(value()?)),
            "--cli-arg" => o.cli_args.push(value()?),
            "-h" | "--help" => {
                return Err("usage: compare [--events N] [--runs K] [--sigma-rust-events M] [--rules DIR] [--out DIR] [--landwatch PATH] [--cli-arg ARG]... [--seed S]".into())
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    Ok(o)
}

/// The events file, generated unless one with the same count and seed exists.
fn events_file(o: &Options) -> Result<PathBuf, String> {
    std::fs::create_dir_all(&o.out).map_err(|e| format!("cannot create {}: {e}", o.out.display()))?;
    let path = o.out.join("events.jsonl");
    let meta_path = o.out.join("events.jsonl.meta");
    let meta = format!("generator=sysmon-v2 events={} seed={}\n", o.events, o.seed);
    if path.exists() && std::fs::read_to_string(&meta_path).ok().as_deref() == Some(meta.as_str()) {
        return Ok(path);
    }
    eprintln!("generating {} events into {}", o.events, path.display());
    let tmp = o.out.join("events.jsonl.tmp");
    let file = std::fs::File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let attacks = landwatch_benches::write_process_events(&mut w, o.events, o.seed)
        .and_then(|n| std::io::Write::flush(&mut w).map(|()| n))
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    drop(w);
    std::fs::rename(&tmp, &path).map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    std::fs::write(&meta_path, meta).map_err(|e| format!("cannot write {}: {e}", meta_path.display()))?;
    eprintln!("  {attacks} attack events");
    Ok(path)
}

/// The release CLI, built (or checked up to date) with cargo.
fn cli_binary(o: &Options) -> Result<PathBuf, String> {
    if let Some(p) = &o.landwatch {
        return Ok(p.clone());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building the CLI: cargo build --release -p landwatch-cli");
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "landwatch-cli"])
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("cargo build --release -p landwatch-cli failed".into());
    }
    let bin = target_dir().join("release").join("landwatch");
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{} not found after the build; give --landwatch PATH", bin.display()))
    }
}

fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

fn fmt_int(n: f64) -> String {
    measure::thousands(n.round() as usize)
}

fn table(rows: &[Row], floor_eps: f64) -> String {
    let mut s = String::from(
        "| row | events | seconds | events/s | MB/s | peak memory | detections | vs serde_json floor |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        if let Some(note) = &r.note {
            s.push_str(&format!("| {} | - | - | - | - | - | - | {} |\n", r.name, note));
            continue;
        }
        let eps = r.events_per_sec();
        let mbs = if r.run.seconds > 0.0 { r.bytes as f64 / 1e6 / r.run.seconds } else { 0.0 };
        let peak = r.run.peak.map_or("-".to_string(), |b| format!("{:.1} MB", b as f64 / 1e6));
        let det = if r.name.starts_with("floor") { "-".to_string() } else { fmt_int(r.run.detections as f64) };
        let ratio = if eps > 0.0 { floor_eps / eps } else { 0.0 };
        let ratio = if ratio >= 10.0 { format!("{ratio:.0}x slower") } else { format!("{ratio:.2}x") };
        s.push_str(&format!(
            "| {} | {} | {:.3} | {} | {:.1} | {} | {} | {} |\n",
            r.name,
            fmt_int(r.events as f64),
            r.run.seconds,
            fmt_int(eps),
            mbs,
            peak,
            det,
            ratio
        ));
    }
    s
}

fn median_compile(runs: &[Run]) -> f64 {
    let mut c: Vec<f64> = runs.iter().map(|r| r.compile).collect();
    c.sort_by(f64::total_cmp);
    c.get(c.len() / 2).copied().unwrap_or(0.0)
}

fn run() -> Result<(), String> {
    let o = parse_args()?;
    if !o.rules.is_dir() {
        return Err(format!("Sigma rules not found at {} (give --rules DIR)", o.rules.display()));
    }
    let events_path = events_file(&o)?;
    let cli = cli_binary(&o);
    eprintln!("loading rules from {}", o.rules.display());
    let (files, counts) = rules::shared_rules(&o.rules)?;
    let rule_dir = o.out.join("rules");
    rules::write_rule_dir(&files, &rule_dir)?;
    let bytes = std::fs::read(&events_path).map_err(|e| format!("cannot read {}: {e}", events_path.display()))?;
    let lines = split_lines(&bytes);
    let total_bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let sr_events = o.sigma_rust_events.min(lines.len());
    let sr_lines = &lines[..sr_events];
    let sr_bytes: usize = sr_lines.iter().map(|l| l.len() + 1).sum();

    let mut cli_args = vec!["scan".to_string(), "--no-builtin".into(), "--sigma".into()];
    cli_args.push(rule_dir.display().to_string());
    cli_args.extend(["--format".to_string(), "jsonl".into()]);
    cli_args.extend(o.cli_args.iter().cloned());
    cli_args.push(events_path.display().to_string());

    let names = [
        "landwatch library (`Scanner::scan_json` per pre-read line)",
        "landwatch CLI end to end (`landwatch scan --format jsonl FILE > /dev/null`)",
        "rsigma-eval 0.23.0 (serde_json `Value` + `Engine::evaluate`)",
        "sigma-rust 0.7.0 (`event_from_json` + `Rule::is_match` per rule)",
        "floor: serde_json map per line, read CommandLine",
        "floor: memchr line count of the file (I/O)",
    ];
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); names.len()];
    let mut errors: Vec<Option<String>> = vec![None; names.len()];
    let (mut lw_hits, mut rs_hits, mut sr_hits) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..o.runs {
        eprintln!("run {}/{}", k + 1, o.runs);
        match engines::landwatch(&files, &lines, &mut lw_hits) {
            Ok(r) => runs[0].push(r),
            Err(e) => errors[0] = Some(e),
        }
        match &cli {
            Ok(bin) => match measure::child(bin, &cli_args) {
                Ok((r, _)) => runs[1].push(r),
                Err(e) => errors[1] = Some(e),
            },
            Err(e) => errors[1] = Some(e.clone()),
        }
        runs[2].push(engines::rsigma(&files, &lines, &mut rs_hits));
        runs[3].push(engines::sigma_rust(&files, sr_lines, &mut sr_hits));
        runs[4].push(engines::serde_floor(&lines));
        match engines::memchr_floor(&events_path) {
            Ok(r) => runs[5].push(r),
            Err(e) => errors[5] = Some(e),
        }
        eprintln!(
            "  landwatch {:.2} s, rsigma {:.2} s, sigma-rust {:.2} s, serde {:.2} s",
            runs[0].last().map_or(0.0, |r| r.seconds),
            runs[2].last().map_or(0.0, |r| r.seconds),
            runs[3].last().map_or(0.0, |r| r.seconds),
            runs[4].last().map_or(0.0, |r| r.seconds)
        );
    }
    let compile = [median_compile(&runs[0]), median_compile(&runs[2]), median_compile(&runs[3])];
    let rows: Vec<Row> = names
        .iter()
        .zip(runs)
        .zip(errors)
        .enumerate()
        .map(|(i, ((name, r), err))| match err {
            Some(e) => Row::failed(name, e),
            None if i == 3 => Row::new(name, sr_events, sr_bytes, r),
            None => Row::new(name, lines.len(), total_bytes, r),
        })
        .collect();
    let floor_eps = rows[4].events_per_sec();

    let titles: HashMap<&str, String> = files
        .iter()
        .flat_map(|f| f.landwatch.iter().map(|(r, _)| (r.id.strip_prefix("sigma.").unwrap_or(&r.id), r.title.clone())))
        .collect();
    let title = |id: &str| titles.get(id).cloned().unwrap_or_else(|| "?".to_string());
    let all_ids: BTreeSet<String> = files.iter().flat_map(|f| f.ids.iter().cloned()).collect();
    let sr_ids: BTreeSet<String> = files
        .iter()
        .filter(|f| f.sigma_rust.is_some())
        .flat_map(|f| f.ids.iter().cloned())
        .collect();
    let lw_rs = agree::compare(("landwatch", "rsigma"), &lw_hits, &rs_hits, lines.len(), &all_ids);
    let lw_sr = agree::compare(("landwatch", "sigma-rust"), &lw_hits, &sr_hits, sr_events, &sr_ids);

    let mut report = format!(
        "Rules: {} Sigma files under {}; landwatch loads {}, rsigma-eval {}, both {} (every engine gets these {}); sigma-rust parses {} of them (its rows and agreement use those).\n\n",
        counts.files,
        o.rules.display(),
        counts.landwatch,
        counts.rsigma,
        counts.shared,
        counts.shared,
        counts.sigma_rust
    );
    for (engine, rejects) in [
        ("landwatch", &counts.landwatch_rejects),
        ("rsigma-eval", &counts.rsigma_rejects),
        ("sigma-rust (of the shared files)", &counts.sigma_rust_rejects),
    ] {
        if !rejects.is_empty() {
            report.push_str(&format!("Not loaded by {engine}: {}.\n\n", rejects.join(", ")));
        }
    }
    report.push_str(&format!(
        "Events: {} generated Sysmon process-creation lines ({:.1} MB, seed {}); sigma-rust on the first {}. Median of {} runs, one thread each.\n\n",
        fmt_int(lines.len() as f64),
        total_bytes as f64 / 1e6,
        o.seed,
        fmt_int(sr_events as f64),
        o.runs
    ));
    report.push_str(&table(&rows, floor_eps));
    report.push_str(&format!(
        "\nRule load and compile (in process, median): landwatch {:.3} s, rsigma-eval {:.3} s, sigma-rust {:.3} s. Peak memory: for in-process rows, the peak of live heap over the row above its start (compiled rules and scan state; the pre-read lines are excluded); for the CLI, the process's maximum RSS (/usr/bin/time -v).\n\n",
        compile[0], compile[1], compile[2]
    ));
    report.push_str(&agree::render(&lw_rs, &lines, &title, 10));
    report.push('\n');
    report.push_str(&agree::render(&lw_sr, &lines, &title, 10));
    println!("{report}");
    let md = o.out.join("compare.md");
    std::fs::write(&md, &report).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    eprintln!("(also written to {})", md.display());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}
