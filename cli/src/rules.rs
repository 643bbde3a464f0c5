//! Loading rule files and directories for `scan` and `check`.

use std::path::{Path, PathBuf};

use landwatch::{Rules, RulesBuilder};

/// Sigma rules read from files and directories, and the documents rejected.
#[derive(Default)]
pub struct SigmaReport {
    pub loaded: usize,
    pub rejected: Vec<landwatch::sigma::Rejection>,
}

/// The Sigma options `scan` and `check` share.
#[derive(clap::Args)]
pub struct SigmaArgs {
    /// Sigma rule file or directory (recursive *.yml); repeatable.
    #[arg(long = "sigma", value_name = "PATH")]
    pub sigma: Vec<String>,
    /// Fail (exit 2) when any Sigma rule is rejected.
    #[arg(long)]
    pub strict: bool,
    /// YAML map of values for Sigma `expand` placeholders (name: [values]).
    #[arg(long, value_name = "FILE")]
    sigma_placeholders: Option<String>,
    /// YAML file extending (or replacing) the Sigma logsource table.
    #[arg(long, value_name = "FILE")]
    sigma_logsources: Option<String>,
}

/// Builds rules from `paths` (files, or directories searched recursively for
/// `*.lw`), Sigma paths (`*.yml`, `*.yaml`) read with their options (and
/// `normalize`), and optionally the built-in pack. The error is the text to
/// print: every rule error, or the path that could not be read.
pub fn load(
    paths: &[String],
    sigma: &SigmaArgs,
    normalize: bool,
    builtin: bool,
) -> Result<(Rules, SigmaReport), String> {
    let options = sigma_options(sigma, normalize)?;
    let mut builder = RulesBuilder::new();
    let mut report = SigmaReport::default();
    for p in &sigma.sigma {
        let mut files = Vec::new();
        collect(Path::new(p), &["yml", "yaml"], &mut files).map_err(|e| format!("error: cannot read {p}: {e}"))?;
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| format!("error: cannot read {}: {e}", f.display()))?;
            let mut loaded = landwatch::sigma::load_with(&f.display().to_string(), &text, &options);
            report.loaded += loaded.rules.len() + loaded.correlations.len();
            report.rejected.append(&mut loaded.rejected);
            builder = builder.add_sigma(loaded);
        }
    }
    if builtin {
        builder = builder.add_builtin();
    }
    for p in paths {
        let mut files = Vec::new();
        collect(Path::new(p), &["lw"], &mut files).map_err(|e| format!("error: cannot read {p}: {e}"))?;
        if files.is_empty() {
            return Err(format!("error: no *.lw rule files under {p}"));
        }
        for f in files {
            let bytes = std::fs::read(&f)
                .map_err(|e| format!("error: cannot read {}: {e}", f.display()))?;
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    return Err(format!(
                        "{}:{}:1: error: rule file is not UTF-8 (invalid byte at offset {})",
                        f.display(),
                        line_of(e.as_bytes(), e.utf8_error().valid_up_to()),
                        e.utf8_error().valid_up_to()
                    ))
                }
            };
            builder = builder.add_source(&f.display().to_string(), &text);
        }
    }
    let rules = builder.build().map_err(|errs| {
        let n = errs.0.len();
        format!(
            "{errs}\nerror: {n} error{} in rules",
            if n == 1 { "" } else { "s" }
        )
    })?;
    Ok((rules, report))
}

/// Sigma options from the command line: `--normalize`, a placeholder file
/// and a logsource table file.
fn sigma_options(args: &SigmaArgs, normalize: bool) -> Result<landwatch::sigma::Options, String> {
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("error: cannot read {p}: {e}"));
    let placeholders = match args.sigma_placeholders.as_deref() {
        None => Default::default(),
        Some(p) => landwatch::sigma::placeholders(&read(p)?).map_err(|e| format!("error: {p}: {e}"))?,
    };
    let logsources = match args.sigma_logsources.as_deref() {
        None => Default::default(),
        Some(p) => landwatch::schema::logsource::LogSourceTable::from_yaml(&read(p)?)
            .map_err(|e| format!("error: {p}: {e}"))?,
    };
    Ok(landwatch::sigma::Options { placeholders, normalize, logsources })
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn collect(path: &Path, exts: &[&str], out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    crate::files::under(path, &|p| p.extension().is_some_and(|x| exts.iter().any(|w| x == *w)), out)
}
