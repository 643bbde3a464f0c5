//! `--format table`: aligned columns for a person at a terminal.

use std::io::{self, Write};

use landwatch::{Detection, Level};

use super::{details, place, Printer};

pub fn write(p: &mut Printer, d: &Detection) -> io::Result<()> {
    if !p.header_done {
        p.header_done = true;
        writeln!(p.out, "{:<24} {:<13} {:<36} {:<32} TITLE / EVIDENCE", "TIME", "LEVEL", "RULE", "WHERE")?;
    }
    let level = format!("{:<13}", d.level.as_str());
    let level = if p.colour {
        let code = match d.level {
            Level::Critical => "1;31",
            Level::High => "31",
            Level::Medium => "33",
            Level::Low => "36",
            Level::Informational => "2",
        };
        format!("\x1b[{code}m{level}\x1b[0m")
    } else {
        level
    };
    let time = d.time.map_or_else(|| "-".to_string(), |t| t.to_string());
    writeln!(p.out, "{time:<24} {level} {:<36} {:<32} {}", d.rule, place(d), d.title)?;
    let pad = format!("{:<24} {:<13} {:<36} {:<32}", "", "", "", "");
    if d.correlation.is_some() {
        writeln!(p.out, "{pad}   {}", details(d))?;
        return Ok(());
    }
    for e in d.evidence.iter().take(4) {
        let shown: String = e.matched.chars().take(80).collect();
        writeln!(p.out, "{pad}   {} [{}..{}] {:?}", e.field, e.start, e.end, shown)?;
    }
    Ok(())
}
