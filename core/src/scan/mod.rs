//! The [`Scanner`]: events in, one at a time; [`Detection`]s out.
//!
//! Per event: read the fields rules need, run each input's automaton once over
//! its value (recording for each pattern where it was found), collect the
//! rules whose necessary atoms were found plus the always-evaluated ones, and
//! evaluate those. All per-stream state lives here; [`Rules`] stays immutable.

mod eval;
mod memo;
mod normals;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::ast::Level;
use crate::compile::{kind_index, InputForm, Rules};
use crate::error::EventError;
use crate::event::{AllText, Event, Raw, Resolved, StringPool};
use crate::schema::Schema;

/// One rule matching one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// The rule's id.
    pub rule: String,
    pub title: String,
    pub level: Level,
    pub tags: Vec<String>,
    /// The event's position in this scanner's stream, from 0 (rejected events
    /// count too, so positions line up with the input).
    pub event: u64,
    /// What matched: every literal or regex of the rule's positive part that
    /// was found.
    pub evidence: Vec<Evidence>,
}

/// One matched literal or regex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Counters over a scanner's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    /// Events given to the scanner, read or not.
    pub events: u64,
    /// Events that could not be read.
    pub rejected: u64,
    pub detections: u64,
    /// Rule evaluations (candidates from atoms plus always-evaluated rules).
    pub evaluations: u64,
}

/// Scans a stream of events against shared [`Rules`]. One per stream or
/// thread; cheap to create.
///
/// ```
/// use std::sync::Arc;
/// use landwatch::{RulesBuilder, Scanner};
/// let rules = Arc::new(RulesBuilder::new().add_builtin().build().unwrap());
/// let mut scanner = Scanner::new(rules);
/// let line = br#"{"EventID":1,"Image":"C:\\Windows\\System32\\certutil.exe",
///                 "CommandLine":"certutil -urlcache -split -f http://203.0.113.9/a.exe a.exe"}"#;
/// let detections = scanner.scan_json(line).unwrap();
/// assert!(!detections.is_empty());
/// ```
#[derive(Debug)]
pub struct Scanner {
    rules: Arc<Rules>,
    schema: Schema,
    stats: ScanStats,
    state: State,
}

/// Scratch space reused across events.
#[derive(Debug)]
struct State {
    generation: u32,
    marks: Marks,
    raw: Vec<Option<Raw<'static>>>,
    values: Vec<Option<Cow<'static, str>>>,
    /// What each automaton found in recently seen values.
    memo: memo::Memo,
    /// Strings for escaped values, reused across events.
    strings: StringPool,
    /// The event's `AnyField` text, when a rule reads it.
    all: AllText,
    /// Command lines in normal form, for values seen again.
    normals: normals::Normals,
}

/// What the automata found in the current event, and the rules it makes
/// candidates.
#[derive(Debug)]
struct Marks {
    hits: Vec<Hit>,
    rule_mark: Vec<u32>,
    /// The atom sets found so far for each rule marked this event.
    rule_sets: Vec<u8>,
    candidates: Vec<u32>,
}

impl Marks {
    /// Records patterns found in a value of `len` bytes, their spans
    /// counted from `offset`.
    fn record(&mut self, rules: &Rules, found: &[memo::Found], offset: u32, len: u32, generation: u32) {
        for f in found {
            let (start, end) = (f.start + offset, f.end + offset);
            let h = &mut self.hits[f.pid as usize];
            if h.generation != generation {
                *h = Hit {
                    generation,
                    first: (start, end),
                    ..Hit::default()
                };
                // A rule is a candidate once each of its atom sets has a
                // pattern found: its mask becomes complete.
                for a in &rules.atom_rules[f.pid as usize] {
                    let r = a.rule as usize;
                    let sets = &mut self.rule_sets[r];
                    if self.rule_mark[r] != generation {
                        self.rule_mark[r] = generation;
                        *sets = 0;
                    }
                    if *sets & a.bit == 0 {
                        *sets |= a.bit;
                        if *sets == rules.atom_masks[r] {
                            self.candidates.push(a.rule);
                        }
                    }
                }
            }
            h.at_start |= start == 0;
            h.at_end |= end == len;
            h.whole |= start == 0 && end == len;
        }
    }
}

/// Where one pattern was found in the current event.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Hit {
    generation: u32,
    /// The first occurrence.
    pub first: (u32, u32),
    pub at_start: bool,
    pub at_end: bool,
    pub whole: bool,
}

impl Scanner {
    pub fn new(rules: Arc<Rules>) -> Scanner {
        let state = State {
            generation: 0,
            marks: Marks {
                hits: vec![Hit::default(); rules.patterns.len()],
                rule_mark: vec![0; rules.rules.len()],
                rule_sets: vec![0; rules.rules.len()],
                candidates: Vec::new(),
            },
            raw: Vec::new(),
            values: Vec::new(),
            memo: memo::Memo::new(rules.inputs.len()),
            strings: StringPool::default(),
            all: AllText::default(),
            normals: normals::Normals::new(rules.normal_fields.len()),
        };
        Scanner {
            rules,
            schema: Schema::Auto,
            stats: ScanStats::default(),
            state,
        }
    }

    /// Reads JSON events as `schema` (default [`Schema::Auto`]).
    pub fn with_schema(mut self, schema: Schema) -> Scanner {
        self.schema = schema;
        self
    }

    pub fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    pub fn stats(&self) -> ScanStats {
        self.stats
    }

    /// Scans one JSON object.
    pub fn scan_json(&mut self, bytes: &[u8]) -> Result<Vec<Detection>, EventError> {
        self.scan(&Event::json(bytes))
    }

    /// Scans one event and returns the detections it completes, in rule load
    /// order. An event that cannot be read is counted as rejected and its
    /// error returned; the scanner stays usable.
    pub fn scan(&mut self, event: &Event<'_>) -> Result<Vec<Detection>, EventError> {
        let position = self.stats.events;
        self.stats.events += 1;
        let mut out = Vec::new();
        let result = self.scan_into(event, position, &mut out);
        match result {
            Ok(()) => {
                self.stats.detections += out.len() as u64;
                Ok(out)
            }
            Err(e) => {
                self.stats.rejected += 1;
                Err(e)
            }
        }
    }

    /// Detections that only end of stream can complete. Stateless rules have
    /// none; kept so that stream consumers call it from the start.
    pub fn flush(&mut self) -> Vec<Detection> {
        Vec::new()
    }

    fn scan_into(
        &mut self,
        event: &Event<'_>,
        position: u64,
        out: &mut Vec<Detection>,
    ) -> Result<(), EventError> {
        let rules = &*self.rules;
        let st = &mut self.state;
        let mut resolved = Resolved {
            values: recycle(std::mem::take(&mut st.values)),
            kind: None,
        };
        let mut raw = recycle(std::mem::take(&mut st.raw));
        let result = rules.plan.resolve(event, self.schema, &mut raw, &mut st.strings, &mut st.all, &mut resolved);
        if let Err(e) = result {
            st.values = recycle(resolved.values);
            st.strings.reclaim(&mut raw);
            st.raw = recycle(raw);
            return Err(e);
        }

        st.generation = st.generation.wrapping_add(1);
        if st.generation == 0 {
            // Wrapped: clear stale stamps once every 4 billion events.
            st.marks.hits.iter_mut().for_each(|h| h.generation = 0);
            st.marks.rule_mark.iter_mut().for_each(|m| *m = 0);
            st.generation = 1;
        }
        let generation = st.generation;

        // Derive every input's value, then run its automaton.
        st.normals.start_event(&rules.normal_fields, &resolved.values);
        let derived = derive_inputs(rules, &resolved.values, &st.normals);
        st.marks.candidates.clear();
        for (i, input) in rules.inputs.iter().enumerate() {
            let (Some(value), Some(ac)) = (derived[i], input.automaton.as_ref()) else {
                continue;
            };
            let hay = value.as_bytes();
            let search = |part: &[u8], out: &mut Vec<memo::Found>| {
                for m in ac.find_overlapping_iter(part) {
                    let pid = input.pattern_ids[m.pattern().as_usize()];
                    let pattern = &rules.patterns[pid as usize];
                    if pattern.cased && part[m.start()..m.end()] != pattern.bytes[..] {
                        continue;
                    }
                    out.push(memo::Found {
                        pid,
                        start: m.start() as u32,
                        end: m.end() as u32,
                    });
                }
            };
            let len = hay.len() as u32;
            if input.by_line {
                let mut at = 0usize;
                for line in hay.split(|&b| b == b'\n') {
                    let found = st.memo.found(i, line, |out| search(line, out));
                    st.marks.record(rules, found, at as u32, len, generation);
                    at += line.len() + 1;
                }
            } else {
                let found = st.memo.found(i, hay, |out| search(hay, out));
                st.marks.record(rules, found, 0, len, generation);
            }
        }
        let kind = kind_index(resolved.kind);
        let any = kind_index(Some(crate::ast::EventKind::Any));
        for &list in &[kind, any] {
            // Rules without atoms are never marked by a hit.
            st.marks.candidates.extend_from_slice(&rules.always[list]);
            if kind == any {
                break;
            }
        }
        st.marks.candidates.sort_unstable();

        let ctx = eval::Ctx {
            rules,
            values: &derived,
            hits: &st.marks.hits,
            generation,
        };
        for &r in &st.marks.candidates {
            let rule = &rules.rules[r as usize];
            if rule.on != crate::ast::EventKind::Any && Some(rule.on) != resolved.kind {
                continue;
            }
            self.stats.evaluations += 1;
            if ctx.eval(&rule.expr) {
                let info = &rules.infos[r as usize];
                let mut evidence = Vec::new();
                ctx.evidence(&rule.expr, &mut evidence);
                out.push(Detection {
                    rule: info.id.clone(),
                    title: info.title.clone(),
                    level: info.level,
                    tags: info.tags.clone(),
                    event: position,
                    evidence,
                });
            }
        }
        drop(derived);
        st.values = recycle(resolved.values);
        st.strings.reclaim(&mut raw);
        st.raw = recycle(raw);
        Ok(())
    }
}

/// Each input's value for this event: the field as written, its normal form,
/// or its decoded text.
fn derive_inputs<'v>(
    rules: &Rules,
    values: &'v [Option<Cow<'_, str>>],
    normals: &'v normals::Normals,
) -> Vec<Option<&'v str>> {
    rules
        .inputs
        .iter()
        .map(|input| match input.form {
            InputForm::Value => values.get(input.field as usize)?.as_deref(),
            InputForm::Normal => normals.of(input.field).map(|n| n.normal.as_str()),
            InputForm::Decoded => normals.of(input.field)?.decoded.as_deref(),
        })
        .collect()
}

/// An emptied vector whose items may have another lifetime, keeping its
/// allocation when the layouts agree (they do: only lifetimes differ).
fn recycle<A, B>(mut v: Vec<Option<A>>) -> Vec<Option<B>> {
    v.clear();
    v.into_iter().map(|_| None).collect()
}
