//! The landwatch rule language: a nom parser from source to [`crate::ast`],
//! and a printer from the ast back to source. `docs/rule-language.md` is the
//! reference for rule authors.

mod condition;
mod lexer;
mod parser;
mod printer;

use crate::ast::Rule;
use crate::error::RuleErrors;

/// Where a rule was read from: the source name and the position of its `rule` keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// Parses every rule in `text`; `file` names the source in errors. On error,
/// parsing resumes at the next rule, and every error found is returned.
pub fn parse(file: &str, text: &str) -> Result<Vec<(Rule, Origin)>, RuleErrors> {
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
