//! The built-in rule pack: `core/rules/*.lw`, embedded at compile time.

/// `(source name, rule text)` of every built-in rule file.
pub const SOURCES: &[(&str, &str)] = &[];
