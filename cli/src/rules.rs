//! Loading rule files and directories for `scan` and `check`.

use landwatch::read::LoadError;
use landwatch::Rules;

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
    match landwatch::read::load_rules(paths, &sigma.sigma, &options, builtin) {
        Ok(l) => Ok((l.rules, SigmaReport { loaded: l.sigma_loaded, rejected: l.rejected })),
        Err(LoadError::Rules(errs)) => {
            let n = errs.0.len();
            Err(format!(
                "{errs}\nerror: {n} error{} in rules",
                if n == 1 { "" } else { "s" }
            ))
        }
        Err(LoadError::NotUtf8 { path, line, offset }) => Err(format!(
            "{path}:{line}:1: error: rule file is not UTF-8 (invalid byte at offset {offset})"
        )),
        Err(e) => Err(format!("error: {e}")),
    }
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
