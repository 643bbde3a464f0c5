//! What a scanner reports: [`Detection`]s, with the event's context and,
//! for correlation rules, the group, window and events that made them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ast::Level;
use crate::event::EventTime;

/// One rule matching one event, or one correlation completed by one event.
///
/// Besides the rule's own fields, a detection carries the context analysts
/// sort and pivot on, read from the event that made it (or completed it):
/// its time, host, user, channel, event id and record number, and where the
/// caller said the event was read from (`file`, `line`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The rule's (or correlation's) id.
    pub rule: String,
    pub title: String,
    pub level: Level,
    pub tags: Vec<String>,
    /// The event's position in the stream of the scanner that read it, from
    /// 0 (rejected events count too, so positions line up with the input).
    pub event: u64,
    /// Where the event was read from, when the caller said
    /// ([`crate::Event::at`]).
    pub file: Option<Arc<str>>,
    pub line: Option<u64>,
    /// When the event says it happened (RFC 3339, UTC, in JSON).
    pub time: Option<EventTime>,
    /// The computer that logged it (`Computer`, ECS `host.name`).
    pub host: Option<String>,
    /// The account the event is about: the target account of a logon or
    /// credential check, the user of a process, else the subject.
    pub user: Option<String>,
    pub channel: Option<String>,
    pub event_id: Option<u32>,
    /// The record number the log gave the event (`EventRecordID`), which
    /// EVTX tools show.
    pub record: Option<u64>,
    /// What matched: every literal or regex of the rule's positive part that
    /// was found. Empty for correlations.
    pub evidence: Vec<Evidence>,
    /// For a correlation: the group, window and events it is made of.
    pub correlation: Option<Box<Correlated>>,
}

/// One matched literal or regex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The field as the rule read it: `Image`, `CommandLine` (normal form),
    /// `CommandLine.raw`, `CommandLine.decoded`...
    pub field: String,
    /// The pattern as the rule wrote it.
    pub pattern: String,
    /// Byte span of the match in the value of `field` (for `CommandLine`, in
    /// its normal form).
    pub start: usize,
    pub end: usize,
    /// The matched text.
    pub matched: String,
}

/// What a correlation detection is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlated {
    /// Each group key's name and value, as the completing event wrote it
    /// (empty: the correlation has no group-by). A JSON object.
    #[serde(with = "pairs")]
    pub group: Vec<(String, String)>,
    /// The event time the detection spans: from its earliest event to the
    /// one that completed it.
    pub window: Window,
    /// Events for counts and aggregates; distinct values for distinct
    /// counts; steps seen for sequences and temporal proximity; 1 for a
    /// first-seen value.
    pub count: u64,
    /// The distinct values counted (at most the scanner's `max_events`), or
    /// the value never seen before.
    pub values: Vec<String>,
    /// The sum, mean, median or percentile compared with the threshold.
    pub value: Option<f64>,
    /// The events that contributed, the latest last (at most the scanner's
    /// `max_events`, 32 by default).
    pub events: Vec<EventRef>,
    /// Contributing events left out of `events` by that limit.
    pub events_omitted: u64,
}

/// A span of event time, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: EventTime,
    pub end: EventTime,
}

/// One event that contributed to a correlation detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    /// Its position in the stream of the scanner that read it.
    pub event: u64,
    pub file: Option<Arc<str>>,
    pub line: Option<u64>,
    pub record: Option<u64>,
    pub time: EventTime,
}

/// A list of pairs as a JSON object (the order is kept).
mod pairs {
    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(pairs.len()))?;
        for (k, v) in pairs {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<(String, String)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of group keys to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = m.next_entry()? {
                    out.push(e);
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}
