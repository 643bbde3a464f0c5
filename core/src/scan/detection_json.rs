//! The JSON shape of a [`Detection`]: one object, the line `landwatch scan
//! --format jsonl` writes and `lw_detection_json` hands to C.
//!
//! It lives here, not in the CLI, so that every way out of the engine (the
//! CLI, the C library, whatever comes next) writes the same object, and a
//! SIEM that parses one parses all. The shape is flat on purpose: a
//! correlation's `group`, `window`, `count`, `values`, `value`, `events`
//! and `events_omitted` sit beside the rule's own fields, so a consumer that
//! only knows single-event detections still reads the common part.

use std::io::{self, Write};

use serde::Serialize;

use super::detection::{Detection, Evidence};
use crate::ast::Level;

#[derive(Serialize)]
struct JsonDetection<'a> {
    rule: &'a str,
    title: &'a str,
    level: Level,
    tags: &'a [String],
    time: Option<String>,
    host: Option<&'a str>,
    user: Option<&'a str>,
    channel: Option<&'a str>,
    event_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<u64>,
    file: Option<&'a str>,
    line: Option<u64>,
    evidence: &'a [Evidence],
    #[serde(flatten)]
    correlation: Option<JsonCorrelation<'a>>,
}

#[derive(Serialize)]
struct JsonCorrelation<'a> {
    group: serde_json::Map<String, serde_json::Value>,
    window: JsonWindow,
    count: u64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    values: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    events: Vec<JsonEvent<'a>>,
    #[serde(skip_serializing_if = "is_zero")]
    events_omitted: u64,
}

#[derive(Serialize)]
struct JsonWindow {
    start: String,
    end: String,
}

#[derive(Serialize)]
struct JsonEvent<'a> {
    file: Option<&'a str>,
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<u64>,
    time: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Detection {
    /// Writes the detection as one JSON object (no newline): `rule`,
    /// `title`, `level`, `tags`, `time` (RFC 3339, UTC), `host`, `user`,
    /// `channel`, `event_id`, `record` (when known), `file`, `line`,
    /// `evidence`, and for a correlation `group`, `window` {`start`,
    /// `end`}, `count`, `values`, `value`, `events` and `events_omitted`.
    ///
    /// Absent context is `null`, so every key but `record` and the
    /// correlation's optional ones is always there.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        serde_json::to_writer(out, &self.json_view()).map_err(io::Error::other)
    }

    /// [`Detection::write_json`] into a `String`.
    pub fn to_json(&self) -> String {
        let mut buf = Vec::with_capacity(256);
        // Writing to a Vec cannot fail, and serde_json writes UTF-8.
        let _ = self.write_json(&mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    fn json_view(&self) -> JsonDetection<'_> {
        let correlation = self.correlation.as_deref().map(|c| JsonCorrelation {
            group: c
                .group
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
            window: JsonWindow {
                start: c.window.start.to_string(),
                end: c.window.end.to_string(),
            },
            count: c.count,
            values: &c.values,
            value: c.value,
            events: c
                .events
                .iter()
                .map(|e| JsonEvent {
                    file: e.file.as_deref(),
                    line: e.line,
                    record: e.record,
                    time: e.time.to_string(),
                })
                .collect(),
            events_omitted: c.events_omitted,
        });
        JsonDetection {
            rule: &self.rule,
            title: &self.title,
            level: self.level,
            tags: &self.tags,
            time: self.time.map(|t| t.to_string()),
            host: self.host.as_deref(),
            user: self.user.as_deref(),
            channel: self.channel.as_deref(),
            event_id: self.event_id,
            record: self.record,
            file: self.file.as_deref(),
            line: self.line,
            evidence: &self.evidence,
            correlation,
        }
    }
}
