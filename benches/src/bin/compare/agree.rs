//! Agreement between two engines: which (event, rule) detections both
//! report, and which only one side does, with examples to investigate.

use std::collections::BTreeSet;

use crate::engines::Hits;
use crate::measure::thousands;

pub struct Agreement {
    pub a: String,
    pub b: String,
    pub events: usize,
    pub rules: usize,
    pub both: usize,
    pub only_a: Vec<(u32, String)>,
    pub only_b: Vec<(u32, String)>,
}

/// Compares `a` and `b` over the first `events` lines, counting only rules
/// in `rules` (the ids both engines were given).
pub fn compare(
    names: (&str, &str),
    a: &Hits,
    b: &Hits,
    events: usize,
    rules: &BTreeSet<String>,
) -> Agreement {
    let keep = |h: &Hits| -> BTreeSet<(u32, String)> {
        h.iter()
            .filter(|(i, r)| (*i as usize) < events && rules.contains(r))
            .cloned()
            .collect()
    };
    let (sa, sb) = (keep(a), keep(b));
    Agreement {
        a: names.0.to_string(),
        b: names.1.to_string(),
        events,
        rules: rules.len(),
        both: sa.intersection(&sb).count(),
        only_a: sa.difference(&sb).cloned().collect(),
        only_b: sb.difference(&sa).cloned().collect(),
    }
}

/// Image and CommandLine of a line, for an example.
fn describe(line: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(v) => format!(
            "Image={} CommandLine={} ParentImage={}",
            v["Image"].as_str().unwrap_or("-"),
            v["CommandLine"].as_str().unwrap_or("-"),
            v["ParentImage"].as_str().unwrap_or("-"),
        ),
        Err(_) => "(unreadable line)".to_string(),
    }
}

/// The agreement as markdown, with up to `max_examples` disagreements.
pub fn render(ag: &Agreement, lines: &[&[u8]], titles: &dyn Fn(&str) -> String, max_examples: usize) -> String {
    let mut s = format!(
        "**{} vs {}** ({} events, {} rules given to both): {} detections both report, {} only {}, {} only {}.\n",
        ag.a,
        ag.b,
        thousands(ag.events),
        thousands(ag.rules),
        thousands(ag.both),
        thousands(ag.only_a.len()),
        ag.a,
        thousands(ag.only_b.len()),
        ag.b
    );
    let examples = ag
        .only_a
        .iter()
        .map(|h| (&ag.a, h))
        .chain(ag.only_b.iter().map(|h| (&ag.b, h)));
    // Prefer distinct rules among the examples.
    let mut seen = BTreeSet::new();
    let mut picked: Vec<_> = examples.clone().filter(|(_, (_, r))| seen.insert(r.clone())).take(max_examples).collect();
    if picked.len() < max_examples {
        let more: Vec<_> = examples.filter(|e| !picked.contains(e)).take(max_examples - picked.len()).collect();
        picked.extend(more);
    }
    for (side, (line, rule)) in picked {
        let text = lines.get(*line as usize).map_or_else(String::new, |l| describe(l));
        s.push_str(&format!(
            "- only {side}: rule `{rule}` ({}) on line {}: `{}`\n",
            titles(rule),
            line + 1,
            text.replace('`', "'")
        ));
    }
    s
}
