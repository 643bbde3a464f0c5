//! The options of `lw_scanner_new_with`: a TOML table, read into
//! `lw::ScanOptions`.
//!
//! TOML rather than a C struct: a struct is frozen into every plugin built
//! against the header, so adding an option would break them; a key is
//! added without breaking anyone. The keys are the `landwatch scan` flags
//! of the same names, and an unknown key is an error (a typo silently
//! ignored would leave a scanner with the default the user meant to
//! change).

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    schema: Option<String>,
    lateness: Option<String>,
    time_field: Option<String>,
    time_missing: Option<String>,
    ordered: Option<bool>,
    max_events: Option<usize>,
    max_groups: Option<usize>,
    max_state_bytes: Option<usize>,
    max_pending: Option<usize>,
}

/// Reads the options, each key over the default.
pub(crate) fn parse(text: &str) -> Result<lw::ScanOptions, String> {
    let t: Table = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    let mut o = lw::ScanOptions::default();
    if let Some(s) = t.schema {
        o.schema = s.parse().map_err(|e| format!("schema: {e}"))?;
    }
    if let Some(l) = t.lateness {
        o.lateness = lw::parse_duration(&l).map_err(|e| format!("lateness: {e}"))?;
    }
    o.time_field = t.time_field;
    if let Some(m) = t.time_missing {
        o.time_missing = match m.as_str() {
            "skip" => lw::TimeMissing::Skip,
            "previous" => lw::TimeMissing::Previous,
            other => return Err(format!("time_missing: '{other}' (expected \"skip\" or \"previous\")")),
        };
    }
    o.ordered = t.ordered.unwrap_or(o.ordered);
    o.max_events = t.max_events.unwrap_or(o.max_events);
    o.max_groups = t.max_groups.unwrap_or(o.max_groups);
    o.max_state_bytes = t.max_state_bytes.unwrap_or(o.max_state_bytes);
    o.max_pending = t.max_pending.unwrap_or(o.max_pending);
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_over_defaults_and_errors_that_name_the_key() {
        let o = parse("lateness = \"5m\"\nschema = \"sysmon\"\ntime_missing = \"previous\"\nmax_events = 4\n").unwrap();
        assert_eq!(o.lateness, std::time::Duration::from_secs(300));
        assert_eq!(o.schema, lw::Schema::Sysmon);
        assert_eq!(o.time_missing, lw::TimeMissing::Previous);
        assert_eq!(o.max_events, 4);
        assert_eq!(o.max_groups, lw::ScanOptions::default().max_groups);
        assert!(parse("").is_ok());
        assert!(parse("latenes = \"5m\"").unwrap_err().contains("latenes"));
        assert!(parse("lateness = \"soon\"").unwrap_err().starts_with("lateness"));
        assert!(parse("schema = \"syslog\"").unwrap_err().starts_with("schema"));
        assert!(parse("time_missing = \"guess\"").unwrap_err().contains("guess"));
        assert!(parse("max_events = -1").is_err());
    }
}
