//! The landwatch rule language: a nom parser from source to [`crate::ast`],
//! and a printer from the ast back to source. `docs/rule-language.md` is the
//! reference for rule authors.

mod condition;
mod correlate;
mod lexer;
mod parser;
mod printer;

use crate::ast::{Correlation, Rule};
use crate::error::RuleErrors;

/// Where a rule was read from: the source name and the position of its `rule` keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// What one source defines: its rules and its correlations, each in the
/// order written, with where each starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub rules: Vec<(Rule, Origin)>,
    pub correlations: Vec<(Correlation, Origin)>,
}

/// Parses every rule and correlation in `text`; `file` names the source in
/// errors. On error, parsing resumes at the next rule or correlation, and
/// every error found is returned.
pub fn parse(file: &str, text: &str) -> Result<Parsed, RuleErrors> {
    if let Err(message) = crate::limits::check_source(text.len()) {
        return Err(crate::error::RuleError::at(file, "", 0, None, message).into());
    }
    parser::parse_file(file, text)
}

/// Prints one rule as source that parses back to the same ast.
pub fn print_rule(rule: &Rule) -> String {
    printer::rule(rule)
}

/// Prints rules separated by blank lines.
pub fn print_rules(rules: &[Rule]) -> String {
    rules.iter().map(print_rule).collect::<Vec<_>>().join("\n")
}

/// Prints one correlation as source that parses back to the same ast.
///
/// The ast must be one the DSL can write: ids, labels and group key names
/// in the shape the parser reads, steps (two or more in a sequence), a
/// non-empty threshold, and windows in whole milliseconds. A window with a
/// finer part (only other loaders make one) is printed rounded up to the
/// next millisecond, so it does not parse back to the same ast.
pub fn print_correlation(correlation: &Correlation) -> String {
    printer::correlation(correlation)
}

/// Prints what a source defines: its rules, then its correlations, separated
/// by blank lines. Origins are not printed.
pub fn print(parsed: &Parsed) -> String {
    let rules = parsed.rules.iter().map(|(r, _)| print_rule(r));
    let correlations = parsed.correlations.iter().map(|(c, _)| print_correlation(c));
    rules.chain(correlations).collect::<Vec<_>>().join("\n")
}
