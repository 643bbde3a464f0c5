//! Loading rule files and directories: the landwatch rule language (`*.lw`)
//! and Sigma (`*.yml`, `*.yaml`), beside or instead of the built-in pack.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::recipe::{Recipe, SigmaOptions};
use crate::compile::Rules;
use crate::error::RuleErrors;
use crate::sigma;

/// What [`load_rules`] built, and the Sigma documents it had to leave out.
#[derive(Debug)]
pub struct LoadedRules {
    pub rules: Rules,
    /// Sigma rules and correlations loaded.
    pub sigma_loaded: usize,
    /// Sigma documents rejected, each with its file, line and reason.
    pub rejected: Vec<sigma::Rejection>,
}

/// Why rules could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// A path that could not be read.
    Io { path: String, error: io::Error },
    /// A rule path (file or directory) without any `*.lw` file.
    NoRuleFiles { path: String },
    /// A rule file that is not UTF-8: the line and byte offset of the first
    /// invalid byte.
    NotUtf8 { path: String, line: usize, offset: usize },
    /// Every error in the rules, each with its position.
    Rules(RuleErrors),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, error } => write!(f, "cannot read {path}: {error}"),
            LoadError::NoRuleFiles { path } => write!(f, "no *.lw rule files under {path}"),
            LoadError::NotUtf8 { path, line, offset } => {
                write!(f, "{path}:{line}:1: rule file is not UTF-8 (invalid byte at offset {offset})")
            }
            LoadError::Rules(errors) => write!(f, "{errors}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Builds rules from Sigma paths (files, or directories searched
/// recursively for `*.yml` and `*.yaml`) read with `options`, then the
/// built-in pack when `builtin`, then rule paths (files, or directories
/// searched recursively for `*.lw`), in that order (the order detections of
/// one event come in). Directories are read in name order. Rejected Sigma
/// documents are reported, not fatal; any error in a rule file is.
///
/// The files are read into a [`Recipe`] first and the rules built from it,
/// so that a recipe carried elsewhere builds what this built.
pub fn load_rules(
    paths: &[impl AsRef<Path>],
    sigma_paths: &[impl AsRef<Path>],
    options: &sigma::Options,
    builtin: bool,
) -> Result<LoadedRules, LoadError> {
    let sigma = SigmaOptions { normalize: options.normalize, placeholders: options.placeholders.clone() };
    Recipe::from_paths(paths, sigma_paths, sigma, builtin)?.build_with(options)
}

pub(super) fn io_error(path: &Path, error: io::Error) -> LoadError {
    LoadError::Io { path: path.display().to_string(), error }
}

pub(super) fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `path` itself when it is a file, else every file under it with one of
/// `exts`, in name order.
pub(super) fn collect(path: &Path, exts: &[&str]) -> Result<Vec<PathBuf>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|error| io_error(path, error))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    super::files_under(path, &|p| p.extension().is_some_and(|x| exts.iter().any(|w| x == *w)), &mut out)
        .map_err(|error| io_error(path, error))?;
    Ok(out)
}
