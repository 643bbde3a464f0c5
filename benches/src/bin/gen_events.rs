//! Writes the benchmark's process-creation events as JSON lines, for
//! measurements outside the compare binary (the Python package's frame
//! benchmark, say).
//!
//!     cargo run --release -p landwatch-benches --bin gen_events -- N [SEED] > events.jsonl
//!
//! The same N and SEED give the same lines as `compare --events N --seed
//! SEED` writes to target/compare/events.jsonl (seed 2026 unless given, as there).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [n] => n.parse::<usize>().ok().map(|n| (n, 2026)),
        [n, seed] => n.parse::<usize>().ok().zip(seed.parse::<u64>().ok()),
        _ => None,
    };
    let Some((n, seed)) = parsed else {
        eprintln!("usage: gen_events N [SEED]  (N events as JSON lines on stdout)");
        return ExitCode::from(2);
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let written = landwatch_benches::write_process_events(&mut out, n, seed).and_then(|attacks| {
        out.flush()?;
        Ok(attacks)
    });
    match written {
        Ok(attacks) => {
            eprintln!("{n} events, {attacks} of them attacks (seed {seed})");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_events: {e}");
            ExitCode::FAILURE
        }
    }
}
