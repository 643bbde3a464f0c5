//! `--format csv`: a timeline, one row per detection, in the columns SOC
//! timeline viewers load.

use std::io::{self, Write};

use landwatch::Detection;

use super::{details, Printer};

const COLUMNS: [&str; 12] = [
    "time", "host", "level", "rule", "title", "channel", "event_id", "record", "user", "file", "line", "details",
];

pub fn write(p: &mut Printer, d: &Detection) -> io::Result<()> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    if !p.header_done {
        p.header_done = true;
        w.write_record(COLUMNS).map_err(io::Error::other)?;
    }
    let opt = |v: Option<String>| v.unwrap_or_default();
    w.write_record([
        opt(d.time.map(|t| t.to_string())),
        opt(d.host.clone()),
        d.level.to_string(),
        d.rule.clone(),
        d.title.clone(),
        opt(d.channel.clone()),
        opt(d.event_id.map(|v| v.to_string())),
        opt(d.record.map(|v| v.to_string())),
        opt(d.user.clone()),
        opt(d.file.as_deref().map(str::to_string)),
        opt(d.line.map(|v| v.to_string())),
        details(d),
    ])
    .map_err(io::Error::other)?;
    let bytes = w.into_inner().map_err(|e| io::Error::other(e.to_string()))?;
    p.out.write_all(&bytes)
}
