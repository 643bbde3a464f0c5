//! `landwatch`: scan event logs for living-off-the-land tool abuse.

mod files;
mod input;
mod output;
mod parallel;
mod rules;

use std::io::IsTerminal;
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
    /// Scan events (JSON Lines, a JSON array, concatenated JSON objects, or
    /// Windows .evtx files; directories recursively) and print detections.
    Scan(ScanArgs),
    /// Parse and compile rule files; print every error.
    Check {
        #[command(flatten)]
        sigma: rules::SigmaArgs,
        /// Rule files or directories (searched recursively for *.lw).
        paths: Vec<String>,
    },
    /// Print Sigma rules in the landwatch rule language.
    Convert {
        /// Sigma YAML files.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// List the built-in rules.
    Rules,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Rule file or directory (recursive *.lw); repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<String>,
    #[command(flatten)]
    sigma: rules::SigmaArgs,
    /// Sigma rules also match their positive selections on the command
    /// line's normal form (obfuscation undone); filters stay raw.
    #[arg(long)]
    normalize: bool,
    /// Do not load the built-in rule pack.
    #[arg(long)]
    no_builtin: bool,
    /// How events are shaped (auto, sysmon, security, ecs, evtx).
    #[arg(long, default_value = "auto", value_parser = parse_schema)]
    schema: Schema,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Scanning threads; 0 (the default) uses every core.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// With several threads, print detections as threads finish rather than
    /// in input order (the default order is the input's, whatever --threads).
    #[arg(long)]
    unordered: bool,
    /// Input files or directories (every .evtx, .json, .jsonl and .ndjson
    /// file under them); `-` or nothing reads standard input.
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
        Command::Check { sigma, paths } => check(&paths, &sigma),
        Command::Convert { files } => convert(&files),
        Command::Rules => list_rules(),
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    let rules = match rules::load(&args.rules, &args.sigma, args.normalize, !args.no_builtin) {
        Ok((r, report)) => {
            for rej in &report.rejected {
                eprintln!("{rej}");
            }
            if !args.sigma.sigma.is_empty() {
                eprintln!("{} Sigma rules loaded, {} rejected", report.loaded, report.rejected.len());
            }
            if args.sigma.strict && !report.rejected.is_empty() {
                return ExitCode::from(2);
            }
            r
        }
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
    let inputs = match input::expand(&files) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let rules = std::sync::Arc::new(rules);
    let progress = input::Progress::new(&inputs);
    let mut out = output::Printer::new(args.format);
    let mut summary = output::Summary::default();
    summary.progress = progress.bar().cloned();
    if std::io::stdout().is_terminal() {
        out.progress = progress.bar().cloned();
    }
    let mut engine = if threads > 1 {
        input::Engine::Pool(Box::new(parallel::Pool::new(rules, args.schema, threads, !args.unordered)))
    } else {
        input::Engine::Inline(Box::new(landwatch::Scanner::new(rules).with_schema(args.schema)))
    };
    for i in &inputs {
        let mut sink = input::Sink {
            engine: &mut engine,
            out: &mut out,
            summary: &mut summary,
            progress: &progress,
        };
        if let Err(e) = input::scan(i, &mut sink) {
            progress.finish();
            eprintln!("error: cannot read {}: {e}", i.name);
            return ExitCode::from(2);
        }
    }
    let finished = engine.finish(&mut out, &mut summary);
    progress.finish();
    if let Err(e) = finished {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    out.finish();
    summary.print(started.elapsed());
    ExitCode::SUCCESS
}

fn check(paths: &[String], sigma: &rules::SigmaArgs) -> ExitCode {
    if paths.is_empty() && sigma.sigma.is_empty() {
        eprintln!("error: give rule files, directories or --sigma PATH");
        return ExitCode::from(2);
    }
    match rules::load(paths, sigma, false, false) {
        Ok((r, report)) => {
            let s = r.summary();
            for rej in &report.rejected {
                println!("{rej}");
            }
            println!(
                "ok: {} rules compile ({} patterns in {} automata, {} regexes, {} always evaluated)",
                s.rules, s.patterns, s.inputs, s.regexes, s.always_evaluated
            );
            if !sigma.sigma.is_empty() {
                println!("{} rules loaded, {} rejected", report.loaded, report.rejected.len());
            }
            if sigma.strict && !report.rejected.is_empty() {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}

fn convert(files: &[String]) -> ExitCode {
    let mut printed = 0;
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {f}: {e}");
                return ExitCode::from(2);
            }
        };
        let loaded = landwatch::sigma::load(f, &text);
        for rej in &loaded.rejected {
            eprintln!("{rej}");
        }
        for (rule, _) in &loaded.rules {
            if printed > 0 {
                println!();
            }
            print!("{}", landwatch::dsl::print_rule(rule));
            printed += 1;
        }
        // TODO(merge): print correlations with dsl::print_correlation
        // (each of loaded.correlations, as the rules above, counted in printed).
    }
    if printed == 0 {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
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
