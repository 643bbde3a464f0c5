//! The command-line normal form.

/// A command line in normal form, with any text decoded from it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Normalized {
    pub normal: String,
    pub decoded: Option<String>,
}

/// Normalizes a command line as written in an event.
pub fn command_line(raw: &str) -> Normalized {
    Normalized { normal: raw.to_lowercase(), decoded: None }
}

/// Normalizes a rule's pattern for matching against the normal form.
pub fn pattern(p: &str) -> String {
    p.to_lowercase()
}
