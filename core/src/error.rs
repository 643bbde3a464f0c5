//! Errors as values: every rule error names the file, line, column and rule,
//! and renders like rustc with the source line and a caret under the spot.

use std::fmt;

/// A position in a rule source: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The line and column of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }
}

/// One error in a rule: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    /// The source name given to the builder (usually a file path).
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The rule's id, where the error is inside a rule whose id was read.
    pub rule: Option<String>,
    pub message: String,
    /// The source line the error points into, for the caret display.
    pub source_line: String,
}

impl RuleError {
    /// An error at byte `offset` of `text`.
    pub fn at(
        file: &str,
        text: &str,
        offset: usize,
        rule: Option<&str>,
        message: impl Into<String>,
    ) -> RuleError {
        let pos = Position::of_offset(text, offset);
        let source_line = text.lines().nth(pos.line - 1).unwrap_or("").to_string();
        RuleError {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            rule: rule.map(str::to_string),
            message: message.into(),
            source_line,
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if let Some(rule) = &self.rule {
            write!(f, "in rule {rule}: ")?;
        }
        f.write_str(&self.message)?;
        if !self.source_line.is_empty() || self.line > 0 {
            let gutter = self.line.to_string();
            let pad = " ".repeat(gutter.len());
            // Tabs keep their width so the caret lines up.
            let lead: String = self
                .source_line
                .chars()
                .take(self.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{pad} |\n{gutter} | {}\n{pad} | {lead}^",
                self.source_line
            )?;
        }
        Ok(())
    }
}

/// Every error found while building a rule set. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl From<RuleError> for RuleErrors {
    fn from(e: RuleError) -> Self {
        RuleErrors(vec![e])
    }
}

/// Why an event could not be read. The scan goes on; callers count these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("invalid UTF-8 at byte {0}")]
    Utf8(usize),
    #[error("not a JSON object")]
    NotAnObject,
    #[error("nesting deeper than {0} levels")]
    TooDeep(usize),
    #[error("an event larger than {0} bytes")]
    TooLarge(usize),
}

impl EventError {
    /// A short, stable name for counting rejections by reason.
    pub fn reason(&self) -> &'static str {
        match self {
            EventError::Json(_) => "malformed JSON",
            EventError::Utf8(_) => "invalid UTF-8",
            EventError::NotAnObject => "not an object",
            EventError::TooDeep(_) => "nested too deep",
            EventError::TooLarge(_) => "too large",
        }
    }
}
