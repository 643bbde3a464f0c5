//! `landwatch`: scan event logs for living-off-the-land tool abuse.

mod input;
mod output;
mod rules;

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use landwatch::Schema;

#[derive(Parser)]
#[command(name = "landwatch", version, about = "Find living-off-the-land tool abuse and credential misuse in Windows event logs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan JSON Lines events (or a JSON array file) and print detections.
    Scan(ScanArgs),
    /// Parse and compile rule files; print every error.
    Check {
        /// Rule files or directories (searched recursively for *.lw).
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// List the built-in rules.
    Rules,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Rule file or directory (recursive *.lw); repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<String>,
    /// Do not load the built-in rule pack.
    #[arg(long)]
    no_builtin: bool,
    /// How events are shaped.
    #[arg(long, default_value = "auto", value_parser = parse_schema)]
    schema: Schema,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Input files; `-` or nothing reads standard input.
    files: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Jsonl,
}

fn parse_schema(s: &str) -> Result<Schema, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Check { paths } => check(&paths),
        Command::Rules => list_rules(),
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    let rules = match rules::load(&args.rules, !args.no_builtin) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let files = if args.files.is_empty() {
        vec!["-".to_string()]
    } else {
        args.files
    };
    // Refuse unreadable paths before printing anything.
    for f in &files {
        if f != "-" {
            if let Err(e) = std::fs::metadata(f) {
                eprintln!("error: cannot read {f}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let started = Instant::now();
    let mut scanner = landwatch::Scanner::new(std::sync::Arc::new(rules)).with_schema(args.schema);
    let mut out = output::Printer::new(args.format);
    let mut summary = output::Summary::default();
    for f in &files {
        if let Err(e) = input::scan_file(f, &mut scanner, &mut out, &mut summary) {
            eprintln!("error: cannot read {f}: {e}");
            return ExitCode::from(2);
        }
    }
    for d in scanner.flush() {
        out.detection(&d, "-", 0, &mut summary);
    }
    out.finish();
    summary.print(started.elapsed());
    ExitCode::SUCCESS
}

fn check(paths: &[String]) -> ExitCode {
    match rules::load(paths, false) {
        Ok(r) => {
            let s = r.summary();
            println!(
                "ok: {} rules compile ({} patterns in {} automata, {} regexes, {} always evaluated)",
                s.rules, s.patterns, s.inputs, s.regexes, s.always_evaluated
            );
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}

fn list_rules() -> ExitCode {
    match landwatch::RulesBuilder::new().add_builtin().build() {
        Ok(rules) => {
            output::print_rule_list(&rules);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
