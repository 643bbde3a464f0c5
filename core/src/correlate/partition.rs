//! Splitting a stream's correlations by group key, so that each group can
//! be correlated apart (on another thread, machine or Spark task) with the
//! detections of the whole stream.
//!
//! A correlation's groups never read each other: a group's detections
//! depend only on the events that feed it, in the order they are
//! processed. [`crate::Scanner::groups_of`] says which groups an event
//! feeds: for each correlation, the group key the scanner would file it
//! under, folded as the scanner compares keys. A chained correlation's
//! groups are fed by the detections of the correlations it names, whose
//! group keys hold its own, so an event feeding an inner group also
//! belongs to the outer group that key projects to: a scanner given every
//! event of one outer group computes the inner groups that feed it too.
//!
//! Correlating a group apart then gives the whole stream's detections for
//! that group when it is given its events sorted by event time (ties in
//! stream order), when first-seen learning starts where the whole stream's
//! did ([`crate::Scanner::start_stream_at`]), and when the whole stream
//! would have dropped nothing: no event later than the lateness (`late`),
//! released early (`forced`) or evicted past the caps (`evicted`), and no
//! event taking the time of the one before (`TimeMissing::Previous`).

use super::plan::{Plan, ValueSource};
use super::Prepared;
use crate::compile::Rules;
use crate::event::EventTime;
use crate::scan::Detection;

/// One group an event feeds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupOf {
    /// The correlation, by its index among the rule set's correlations
    /// ([`Rules::correlation_ids`]).
    pub correlation: usize,
    /// Its group key as [`group_key`] writes it.
    pub key: String,
}

/// The groups one event feeds, and its time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventGroups {
    /// The event time the scanner read (None: correlations skip the event).
    pub time: Option<EventTime>,
    /// Each group once, in the order the scanner would feed them: the
    /// event's own inputs, each followed by the chains it leads to.
    pub groups: Vec<GroupOf>,
}

/// A group key's values as one text, each folded as groups compare them
/// (case ignored): equal texts for values the scanner files in one group,
/// different ones otherwise. A JSON array of the folded values:
/// `["corp\\adm","ws1"]`; `[]` for a correlation without group keys.
pub fn group_key<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let folded: Vec<String> = values
        .into_iter()
        .map(|v| if v.is_ascii() { v.to_ascii_lowercase() } else { v.to_lowercase() })
        .collect();
    // A list of strings always serializes.
    serde_json::to_string(&folded).unwrap_or_default()
}

/// The groups a prepared event feeds (see [`crate::Scanner::groups_of`]).
pub(crate) fn groups(rules: &Rules, prepared: &Prepared) -> EventGroups {
    let mut out = EventGroups { time: prepared.time, groups: Vec::new() };
    let (Some(_), Some(packed)) = (prepared.time, prepared.packed.as_ref()) else {
        return out;
    };
    let plan = &rules.correlations;
    for f in &packed.feeds {
        let Some(cp) = plan.corrs.get(f.corr as usize) else { continue };
        let values: Vec<&str> = packed.values(f).collect();
        // As the correlator reads an input: too few values is no input.
        if values.len() < cp.keys.len() {
            continue;
        }
        add(plan, f.corr as usize, &values[..cp.keys.len()], &mut out.groups, 0);
    }
    out
}

/// Adds group `key` of correlation `ci`, then the groups of the
/// correlations chaining it that the key projects to.
fn add(plan: &Plan, ci: usize, key: &[&str], out: &mut Vec<GroupOf>, depth: usize) {
    let g = GroupOf { correlation: ci, key: group_key(key.iter().copied()) };
    if !out.contains(&g) {
        out.push(g);
    }
    // As the correlator: chains no deeper than there are correlations.
    if depth >= plan.corrs.len() {
        return;
    }
    for t in plan.chain_feeds.get(ci).into_iter().flatten() {
        let Some(step) = plan.corrs.get(t.corr as usize).and_then(|o| o.steps.get(t.step as usize)) else {
            continue;
        };
        let pick = |v: &ValueSource| match *v {
            ValueSource::Group(i) => key.get(i as usize).copied(),
            ValueSource::Field(_) => None,
        };
        if let Some(outer) = step.keys.iter().map(pick).collect::<Option<Vec<&str>>>() {
            add(plan, t.corr as usize, &outer, out, depth + 1);
        }
    }
}

impl Rules {
    /// The correlations' ids by index, the index [`GroupOf::correlation`]
    /// gives (their load order).
    pub fn correlation_ids(&self) -> Vec<&str> {
        self.correlations
            .corrs
            .iter()
            .map(|c| self.infos.get(c.info as usize).map_or("", |i| i.id.as_str()))
            .collect()
    }

    /// The first-seen correlations: their learning period starts at the
    /// stream's first correlated event, which a scanner given part of a
    /// stream must be told ([`crate::Scanner::start_stream_at`]).
    pub fn first_seen(&self) -> impl Iterator<Item = &crate::RuleInfo> {
        self.correlations
            .corrs
            .iter()
            .filter(|c| matches!(c.measure, super::plan::MeasurePlan::FirstSeen { .. }))
            .filter_map(|c| self.infos.get(c.info as usize))
    }
}

impl Detection {
    /// A correlated detection's group key as [`group_key`] writes it (None
    /// for a stateless detection).
    pub fn group_key(&self) -> Option<String> {
        let c = self.correlation.as_ref()?;
        Some(group_key(c.group.iter().map(|(_, v)| v.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{Event, RulesBuilder, Scanner};

    const RULES: &str = r#"
correlation t.hosts {
    title: "hosts" level: high
    correlate: count distinct Computer >= 2 of logon(EventID == 4624 and LogonType == 3) by TargetUser within 10m
}
correlation t.seq {
    title: "seq" level: high
    correlate: sequence logon: logon(EventID == 4624) then tool: process(Image endswith '\whoami.exe')
               by Computer, user = (logon: TargetUser, tool: User) within 5m
}
correlation t.chain {
    title: "chain" level: high
    correlate: sequence t.hosts then logon(EventID == 4624) by TargetUser within 30m
}
correlation t.all {
    title: "all" level: low
    correlate: count >= 1000 of logon(EventID == 4625) within 1h
}
"#;

    fn logon(host: &str, user: &str, id: u32) -> String {
        format!(
            r#"{{"EventID":{id},"Channel":"Security","Computer":"{host}","TimeCreated":"2026-11-03T10:00:00Z","TargetUserName":"{user}","TargetDomainName":"CORP","LogonType":3}}"#
        )
    }

    #[test]
    fn an_event_names_its_groups_and_the_chains_they_feed() {
        let rules = Arc::new(RulesBuilder::new().add_source("t.lw", RULES).build().unwrap());
        assert_eq!(rules.correlation_ids(), ["t.hosts", "t.seq", "t.chain", "t.all"]);
        let mut s = Scanner::new(Arc::clone(&rules));
        let g = s.groups_of(&Event::json(logon("WS1", "Adm", 4624).as_bytes())).unwrap();
        assert!(g.time.is_some());
        let got: Vec<(usize, &str)> = g.groups.iter().map(|x| (x.correlation, x.key.as_str())).collect();
        // t.hosts, the chain it feeds (by the same key), the sequence's
        // first step, the chain's own second step (already there).
        assert_eq!(got, [(0, r#"["corp\\adm"]"#), (2, r#"["corp\\adm"]"#), (1, r#"["ws1","corp\\adm"]"#)]);
        let failed = s.groups_of(&Event::json(logon("WS1", "adm", 4625).as_bytes())).unwrap();
        assert_eq!(failed.groups, [GroupOf { correlation: 3, key: "[]".into() }]);
        // No time: correlations skip it, so it feeds no group.
        let untimed = logon("WS1", "adm", 4624).replace("TimeCreated", "When");
        assert_eq!(s.groups_of(&Event::json(untimed.as_bytes())).unwrap().groups, []);
        // Nothing of correlation state moved.
        assert_eq!(s.stats().groups, 0);
        assert_eq!(s.stats().pending, 0);
    }

    #[test]
    fn keys_fold_as_groups_compare() {
        assert_eq!(group_key(["CORP\\Adm", "WS1"]), group_key(["corp\\adm", "ws1"]));
        assert_eq!(group_key(["\u{c9}RIC"]), group_key(["\u{e9}ric"]));
        assert_ne!(group_key(["a", "b"]), group_key(["a\",\"b"]));
        assert_eq!(group_key([]), "[]");
    }

    #[test]
    fn a_detection_gives_the_key_of_its_group() {
        let rules = Arc::new(RulesBuilder::new().add_source("t.lw", RULES).build().unwrap());
        let mut s = Scanner::new(rules);
        let mut found = Vec::new();
        for host in ["WS1", "WS2"] {
            found.extend(s.scan(&Event::json(logon(host, "ADM", 4624).as_bytes())).unwrap());
        }
        found.extend(s.flush());
        let d = found.iter().find(|d| d.rule == "t.hosts").unwrap();
        assert_eq!(d.group_key().as_deref(), Some(r#"["corp\\adm"]"#));
    }
}
