//! `--format jsonl`: one object per detection.

use std::io::{self, Write};

use landwatch::{Detection, Evidence, Level};
use serde::Serialize;

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
    window: Window,
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
struct Window {
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

pub fn write(out: &mut impl Write, d: &Detection) -> io::Result<()> {
    let correlation = d.correlation.as_deref().map(|c| JsonCorrelation {
        group: c
            .group
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
        window: Window {
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
    let j = JsonDetection {
        rule: &d.rule,
        title: &d.title,
        level: d.level,
        tags: &d.tags,
        time: d.time.map(|t| t.to_string()),
        host: d.host.as_deref(),
        user: d.user.as_deref(),
        channel: d.channel.as_deref(),
        event_id: d.event_id,
        record: d.record,
        file: d.file.as_deref(),
        line: d.line,
        evidence: &d.evidence,
        correlation,
    };
    serde_json::to_writer(&mut *out, &j).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
