//! `landwatch.Detection`: one rule matching one event, or one correlation
//! completed by one event. A read-only view of the core's detection;
//! attributes are converted when read.

use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDict, PyList, PyTzInfo};

use landwatch::{Correlated, EventTime};

/// One detection: the rule that fired and the context of the event that
/// made it (or, for a correlation, completed it).
///
/// Every detection has `rule`, `title`, `level`, `tags`, `kind` and the
/// event's `time` (a UTC `datetime`), `host`, `user`, `channel`,
/// `event_id`, `record` (the EventRecordID), and where the event was read
/// from (`file`, `line`). A stateless rule's detection has `evidence`; a
/// correlation's has `group`, `window`, `count`, `values`, `value` and
/// `events` (all None for a stateless one). `to_dict()` gives the same keys
/// as `landwatch scan --format jsonl`.
#[pyclass(module = "landwatch", frozen)]
pub struct Detection {
    pub(crate) inner: landwatch::Detection,
}

impl Detection {
    pub fn new(inner: landwatch::Detection) -> Detection {
        Detection { inner }
    }

    fn corr(&self) -> Option<&Correlated> {
        self.inner.correlation.as_deref()
    }
}

/// An event time as a timezone-aware `datetime` in UTC (to the microsecond).
pub fn datetime<'py>(py: Python<'py>, t: EventTime) -> PyResult<Bound<'py, PyDateTime>> {
    let z = jiff::tz::TimeZone::UTC.to_datetime(t.to_timestamp());
    let utc = PyTzInfo::utc(py)?;
    let micros = (z.subsec_nanosecond() / 1_000) as u32;
    PyDateTime::new(
        py,
        i32::from(z.year()),
        z.month() as u8,
        z.day() as u8,
        z.hour() as u8,
        z.minute() as u8,
        z.second() as u8,
        micros,
        Some(&utc),
    )
}

fn opt_datetime<'py>(py: Python<'py>, t: Option<EventTime>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
    t.map(|t| datetime(py, t)).transpose()
}

fn evidence<'py>(py: Python<'py>, d: &landwatch::Detection) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for e in &d.evidence {
        let x = PyDict::new(py);
        x.set_item("field", &e.field)?;
        x.set_item("pattern", &e.pattern)?;
        x.set_item("start", e.start)?;
        x.set_item("end", e.end)?;
        x.set_item("matched", &e.matched)?;
        list.append(x)?;
    }
    Ok(list)
}

fn group<'py>(py: Python<'py>, c: &Correlated) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in &c.group {
        d.set_item(k, v)?;
    }
    Ok(d)
}

fn window<'py>(py: Python<'py>, c: &Correlated) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("start", datetime(py, c.window.start)?)?;
    d.set_item("end", datetime(py, c.window.end)?)?;
    Ok(d)
}

fn events<'py>(py: Python<'py>, c: &Correlated) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for e in &c.events {
        let x = PyDict::new(py);
        x.set_item("file", e.file.as_deref())?;
        x.set_item("line", e.line)?;
        x.set_item("record", e.record)?;
        x.set_item("time", datetime(py, e.time)?)?;
        list.append(x)?;
    }
    Ok(list)
}

#[pymethods]
impl Detection {
    /// The rule's (or correlation's) id.
    #[getter]
    fn rule(&self) -> &str {
        &self.inner.rule
    }

    #[getter]
    fn title(&self) -> &str {
        &self.inner.title
    }

    /// "informational", "low", "medium", "high" or "critical".
    #[getter]
    fn level(&self) -> &'static str {
        self.inner.level.as_str()
    }

    #[getter]
    fn tags(&self) -> Vec<String> {
        self.inner.tags.clone()
    }

    /// "stateless" for a rule on one event, "correlation" for one over the stream.
    #[getter]
    fn kind(&self) -> &'static str {
        if self.inner.correlation.is_some() {
            "correlation"
        } else {
            "stateless"
        }
    }

    /// The event's position in the scanner's stream, from 0 (rejected
    /// events count too).
    #[getter]
    fn event(&self) -> u64 {
        self.inner.event
    }

    /// The file the event was read from, when known.
    #[getter]
    fn file(&self) -> Option<&str> {
        self.inner.file.as_deref()
    }

    /// The event's line in that file (for EVTX, the record's position).
    #[getter]
    fn line(&self) -> Option<u64> {
        self.inner.line
    }

    /// When the event says it happened: a `datetime` in UTC, or None.
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        crate::errors::guard(|| opt_datetime(py, self.inner.time))
    }

    /// The computer that logged the event.
    #[getter]
    fn host(&self) -> Option<&str> {
        self.inner.host.as_deref()
    }

    /// The account the event is about.
    #[getter]
    fn user(&self) -> Option<&str> {
        self.inner.user.as_deref()
    }

    #[getter]
    fn channel(&self) -> Option<&str> {
        self.inner.channel.as_deref()
    }

    #[getter]
    fn event_id(&self) -> Option<u32> {
        self.inner.event_id
    }

    /// The record number the log gave the event (EventRecordID).
    #[getter]
    fn record(&self) -> Option<u64> {
        self.inner.record
    }

    /// What matched: dicts of field, pattern, start, end (byte offsets in
    /// the field's value as the rule read it) and matched text. Empty for
    /// correlations.
    #[getter]
    fn evidence<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        crate::errors::guard(|| evidence(py, &self.inner))
    }

    /// A correlation's group: each group key's name and value. None for a
    /// stateless detection.
    #[getter]
    fn group<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        crate::errors::guard(|| self.corr().map(|c| group(py, c)).transpose())
    }

    /// A correlation's window of event time: {"start": datetime, "end": datetime}.
    #[getter]
    fn window<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        crate::errors::guard(|| self.corr().map(|c| window(py, c)).transpose())
    }

    /// Events (counts), distinct values (distinct counts), steps seen
    /// (sequences) or 1 (first seen).
    #[getter]
    fn count(&self) -> Option<u64> {
        self.corr().map(|c| c.count)
    }

    /// The distinct values counted, or the value never seen before.
    #[getter]
    fn values(&self) -> Option<Vec<String>> {
        self.corr().map(|c| c.values.clone())
    }

    /// The sum, mean, median or percentile compared with the threshold.
    #[getter]
    fn value(&self) -> Option<f64> {
        self.corr().and_then(|c| c.value)
    }

    /// The contributing events, latest last: dicts of file, line, record, time.
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        crate::errors::guard(|| self.corr().map(|c| events(py, c)).transpose())
    }

    /// Contributing events left out of `events` by the scanner's `max_events`.
    #[getter]
    fn events_omitted(&self) -> Option<u64> {
        self.corr().map(|c| c.events_omitted)
    }

    /// The detection as a dict, with the keys of `landwatch scan --format
    /// jsonl` (times as `datetime`s); a correlation adds group, window,
    /// count, values, value, events and events_omitted.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        crate::errors::guard(|| {
            let d = &self.inner;
            let x = PyDict::new(py);
            x.set_item("rule", &d.rule)?;
            x.set_item("title", &d.title)?;
            x.set_item("level", d.level.as_str())?;
            x.set_item("tags", &d.tags)?;
            x.set_item("time", opt_datetime(py, d.time)?)?;
            x.set_item("host", d.host.as_deref())?;
            x.set_item("user", d.user.as_deref())?;
            x.set_item("channel", d.channel.as_deref())?;
            x.set_item("event_id", d.event_id)?;
            x.set_item("record", d.record)?;
            x.set_item("file", d.file.as_deref())?;
            x.set_item("line", d.line)?;
            x.set_item("evidence", evidence(py, d)?)?;
            if let Some(c) = self.corr() {
                x.set_item("group", group(py, c)?)?;
                x.set_item("window", window(py, c)?)?;
                x.set_item("count", c.count)?;
                x.set_item("values", &c.values)?;
                x.set_item("value", c.value)?;
                x.set_item("events", events(py, c)?)?;
                x.set_item("events_omitted", c.events_omitted)?;
            }
            Ok(x)
        })
    }

    fn __repr__(&self) -> String {
        let d = &self.inner;
        let mut s = format!("<Detection {} {}", d.level, d.rule);
        if let Some(t) = d.time {
            s.push_str(&format!(" time={t}"));
        }
        if let Some(h) = &d.host {
            s.push_str(&format!(" host={h:?}"));
        }
        if let Some(c) = self.corr() {
            if !c.group.is_empty() {
                let g: Vec<String> = c.group.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                s.push_str(&format!(" group({})", g.join(", ")));
            }
            s.push_str(&format!(" count={}", c.count));
        }
        match (&d.file, d.line) {
            (Some(f), Some(l)) => s.push_str(&format!(" at {f}:{l}")),
            (None, Some(l)) => s.push_str(&format!(" line={l}")),
            _ => {}
        }
        s.push('>');
        s
    }

    /// A compact HTML table for Jupyter, the level coloured.
    fn _repr_html_(&self) -> String {
        let d = &self.inner;
        let mut rows: Vec<(&str, String)> = vec![
            ("rule", escape(&d.rule)),
            ("title", escape(&d.title)),
            ("level", level_badge(d.level)),
        ];
        let mut push = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                rows.push((k, escape(&v)));
            }
        };
        push("time", d.time.map(|t| t.to_string()));
        push("host", d.host.clone());
        push("user", d.user.clone());
        push("channel", d.channel.clone());
        push("event_id", d.event_id.map(|e| e.to_string()));
        push("record", d.record.map(|r| r.to_string()));
        let at = match (&d.file, d.line) {
            (Some(f), Some(l)) => Some(format!("{f}:{l}")),
            (None, Some(l)) => Some(format!("line {l}")),
            (Some(f), None) => Some(f.to_string()),
            (None, None) => None,
        };
        push("from", at);
        if !d.tags.is_empty() {
            push("tags", Some(d.tags.join(", ")));
        }
        if !d.evidence.is_empty() {
            let ev: Vec<String> = d.evidence.iter().map(|e| format!("{}: {:?}", e.field, e.matched)).collect();
            push("evidence", Some(ev.join("; ")));
        }
        if let Some(c) = self.corr() {
            if !c.group.is_empty() {
                let g: Vec<String> = c.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
                push("group", Some(g.join(", ")));
            }
            push("window", Some(format!("{} .. {}", c.window.start, c.window.end)));
            push("count", Some(c.count.to_string()));
            if !c.values.is_empty() {
                push("values", Some(c.values.join(", ")));
            }
            push("value", c.value.map(|v| v.to_string()));
            push("events", Some(format!("{}{}", c.events.len(), if c.events_omitted > 0 { format!(" (+{} omitted)", c.events_omitted) } else { String::new() })));
        }
        let mut html = String::from("<table class=\"landwatch-detection\" style=\"border-collapse:collapse\">");
        for (k, v) in rows {
            html.push_str(&format!(
                "<tr><th style=\"text-align:left;padding:1px 8px 1px 0\">{k}</th><td style=\"text-align:left\">{v}</td></tr>"
            ));
        }
        html.push_str("</table>");
        html
    }
}

/// Text made safe for HTML.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The level as a coloured badge.
pub(crate) fn level_badge(level: landwatch::Level) -> String {
    use landwatch::Level;
    let (bg, fg) = match level {
        Level::Critical => ("#a50e0e", "#ffffff"),
        Level::High => ("#e8590c", "#ffffff"),
        Level::Medium => ("#f2c200", "#000000"),
        Level::Low => ("#2f9e44", "#ffffff"),
        Level::Informational => ("#adb5bd", "#000000"),
    };
    format!(
        "<span style=\"background:{bg};color:{fg};padding:0 6px;border-radius:3px\">{}</span>",
        level.as_str()
    )
}
