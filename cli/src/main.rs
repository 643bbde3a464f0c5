//! `landwatch`: scan event logs for living-off-the-land tool abuse.

mod input;
mod output;
mod parallel;
mod rules;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use landwatch::{ScanOptions, Schema, TimeMissing, Zones};

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
    /// Output format: an aligned table, JSON Lines, or a CSV timeline.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Network zones and business hours (TOML) for the correlations that
    /// read them: `[zones]` name = ["CIDR", ...], `[business_hours]`.
    #[arg(long, value_name = "FILE")]
    zones: Option<String>,
    /// How far out of time order events may arrive and still be correlated
    /// as if sorted (500ms, 60s, 5m, 2h, 1d).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    lateness: Duration,
    /// A field (dotted path in JSON) holding the event time, read before
    /// the schema's own (UtcTime, TimeCreated, SystemTime, @timestamp).
    #[arg(long, value_name = "NAME")]
    time_field: Option<String>,
    /// What an event without a readable time gets: skip (correlations skip
    /// it, counted) or previous (the last event's time).
    #[arg(long, value_enum, default_value_t = TimeMissingArg::Skip)]
    time_missing: TimeMissingArg,
    /// The most contributing events a correlated detection lists.
    #[arg(long, default_value_t = 32)]
    max_events: usize,
    /// Scanning threads; 0 (the default) uses every core.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// With several threads, print detections as threads finish rather than
    /// in event-time order (the default, whatever --threads). Correlation
    /// rules are still fed in input order.
    #[arg(long)]
    unordered: bool,
    /// The run's figures on standard error at the end: a summary line for
    /// people (text), or one JSON object on one line (json: read, scanned,
    /// rejected, rejected_by_reason, late, no_time, evicted, forced,
    /// detections, correlated, detections_by_rule, detections_by_level,
    /// seconds), in place of the summary.
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    stats: StatsFormat,
    /// Input files or directories (every .evtx, .json, .jsonl and .ndjson
    /// file under them); `-` or nothing reads standard input.
    files: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Jsonl,
    Csv,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatsFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TimeMissingArg {
    Skip,
    Previous,
}

fn parse_schema(s: &str) -> Result<Schema, String> {
    s.parse()
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    landwatch::parse_duration(s)
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
    let zones = match &args.zones {
        None => None,
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read {path}: {e}");
                    return ExitCode::from(2);
                }
            };
            match Zones::from_toml(&text) {
                Ok(z) => Some(Arc::new(z)),
                Err(e) => {
                    eprintln!("error: {path}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    // The built-in pack's zone and off-hours rules stay silent without a
    // zone file, as documented; rules the user gave are warned about.
    let given = |r: &&landwatch::RuleInfo| !r.origin.file.starts_with("builtin:");
    let need_zones: Vec<&str> = rules.needing_zones().filter(given).map(|r| r.id.as_str()).collect();
    if !need_zones.is_empty() && zones.is_none() {
        eprintln!("warning: without --zones FILE these correlations never fire (they read network zones): {}", need_zones.join(", "));
    }
    let need_hours: Vec<&str> = rules.needing_business_hours().filter(given).map(|r| r.id.as_str()).collect();
    if !need_hours.is_empty() && !zones.as_ref().is_some_and(|z| z.has_business_hours()) {
        eprintln!("warning: without [business_hours] in --zones FILE these correlations never fire: {}", need_hours.join(", "));
    }
    let options = ScanOptions {
        schema: args.schema,
        lateness: args.lateness,
        time_field: args.time_field.clone(),
        time_missing: match args.time_missing {
            TimeMissingArg::Skip => TimeMissing::Skip,
            TimeMissingArg::Previous => TimeMissing::Previous,
        },
        ordered: !args.unordered,
        max_events: args.max_events.max(1),
        ..ScanOptions::default()
    };
    let started = Instant::now();
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let rules = Arc::new(rules);
    let progress = input::Progress::new(&inputs);
    let mut out = output::Printer::new(args.format);
    let mut summary = output::Summary::default();
    summary.progress = progress.bar().cloned();
    if std::io::stdout().is_terminal() {
        out.progress = progress.bar().cloned();
    }
    let correlates = rules.correlation_count() > 0;
    let mut engine = if threads > 1 {
        input::Engine::Pool(Box::new(parallel::Pool::new(rules, &options, zones, threads, !args.unordered)))
    } else {
        let mut scanner = landwatch::Scanner::with_options(rules, options);
        if let Some(z) = zones {
            scanner = scanner.with_zones(z);
        }
        input::Engine::Inline(Box::new(scanner))
    };
    // Inputs read one after another are ordered against each other by
    // event time: each is a source of the correlating scanner.
    let sources = if correlates && inputs.len() > 1 {
        engine.open_sources(inputs.len())
    } else {
        Vec::new()
    };
    for (k, i) in inputs.iter().enumerate() {
        let source = sources.get(k).copied();
        let mut sink = input::Sink {
            engine: &mut engine,
            out: &mut out,
            summary: &mut summary,
            progress: &progress,
            file: i.name.as_str().into(),
            source,
        };
        if let Err(e) = input::scan(i, &mut sink) {
            progress.finish();
            eprintln!("error: cannot read {}: {e}", i.name);
            return ExitCode::from(2);
        }
        if let Some(s) = source {
            engine.close_source(s, &mut out, &mut summary);
        }
    }
    let finished = engine.finish(&mut out, &mut summary);
    progress.finish();
    let stats = match finished {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    out.finish();
    summary.print(started.elapsed(), &stats, args.stats);
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
                "ok: {} rules compile, {} of them correlations ({} patterns in {} automata, {} regexes, {} always evaluated)",
                s.rules, s.correlations, s.patterns, s.inputs, s.regexes, s.always_evaluated
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
        for (c, _) in &loaded.correlations {
            if printed > 0 {
                println!();
            }
            print!("{}", landwatch::dsl::print_correlation(c));
            printed += 1;
        }
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
