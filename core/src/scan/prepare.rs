//! The stateless half of a scan: read the fields rules need, run each
//! input's automaton once over its value (recording for each pattern where
//! it was found), collect the rules whose necessary atoms were found plus
//! the always-evaluated ones, evaluate those, and turn the event into a
//! [`Prepared`]: its detections with their context, and its inputs to
//! correlations.

use std::borrow::Cow;

use super::{eval, memo, normals, Detection, ScanOptions, TimeMissing};
use crate::compile::{kind_index, InputForm, Rules};
use crate::correlate::plan::ValueSource;
use crate::correlate::{Packed, Prepared};
use crate::error::EventError;
use crate::event::{AllText, Ctx, Event, FieldPlan, Raw, Resolved, StringPool, TimeParser};

/// Scratch space reused across events.
#[derive(Debug)]
pub(super) struct State {
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
    /// Event times, with the last date remembered.
    times: TimeParser,
    /// The rules that matched this event.
    matched: Vec<u32>,
    /// A packed input to fill, handed back by the correlating half.
    pub(super) spare: Option<Packed>,
}

/// What the automata found in the current event, and the rules it makes
/// candidates.
#[derive(Debug)]
pub(super) struct Marks {
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
    pub generation: u32,
    /// The first occurrence.
    pub first: (u32, u32),
    pub at_start: bool,
    pub at_end: bool,
    pub whole: bool,
}


impl State {
    pub(super) fn new(rules: &Rules) -> State {
        State {
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
            times: TimeParser::default(),
            matched: Vec::new(),
            spare: None,
        }
    }
}

/// What one prepared event counts towards the scanner's figures.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub evaluations: u64,
    /// Correlation inputs without a group value.
    pub no_value: u64,
}

/// Matches one event: its detections and correlation inputs.
pub(super) fn prepare(
    rules: &Rules,
    plan: &FieldPlan,
    options: &ScanOptions,
    st: &mut State,
    event: &Event<'_>,
    position: u64,
    counts: &mut Counts,
) -> Result<Prepared, EventError> {
    let mut resolved = Resolved {
        values: recycle(std::mem::take(&mut st.values)),
        kind: None,
        context: Default::default(),
        found: None,
    };
    let mut raw = recycle(std::mem::take(&mut st.raw));
    let result = plan.resolve(event, options.schema, &mut raw, &mut st.strings, &mut st.all, &mut resolved);
    if let Err(e) = result {
        let Resolved { values, context, .. } = resolved;
        drop(context);
        st.values = recycle(values);
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
    // Evaluate first: most events match nothing, and need no context.
    st.matched.clear();
    for &r in &st.marks.candidates {
        let rule = &rules.rules[r as usize];
        if rule.on != crate::ast::EventKind::Any && Some(rule.on) != resolved.kind {
            continue;
        }
        counts.evaluations += 1;
        if ctx.eval(&rule.expr) {
            st.matched.push(r);
        }
    }
    let correlations = &rules.correlations;
    let wanted = st.matched.iter().any(|&r| {
        let rule = &rules.rules[r as usize];
        (rule.info.is_some() && rule.report) || correlations.rule_feeds.get(r as usize).is_some_and(|f| !f.is_empty())
    });
    if wanted || options.time_missing == TimeMissing::Previous {
        plan.resolve_context(event, resolved.found, &mut resolved.context);
    }
    let mut detections = Vec::new();
    let mut packed: Option<Packed> = None;
    let mut spare = st.spare.take();
    let mut new_packed = |extra: usize| {
        Packed::new(
            spare.take(),
            resolved.context(Ctx::Host),
            resolved.user(),
            resolved.context(Ctx::Channel),
            resolved.context(Ctx::EventId).and_then(|v| v.parse().ok()),
            resolved.context(Ctx::Record).and_then(|v| v.parse().ok()),
            extra,
        )
    };
    for &r in &st.matched {
        let rule = &rules.rules[r as usize];
        if let (Some(info), true) = (rule.info, rule.report) {
            let info = &rules.infos[info as usize];
            let mut evidence = Vec::new();
            ctx.evidence(&rule.expr, &mut evidence);
            detections.push(Detection {
                rule: info.id.clone(),
                title: info.title.clone(),
                level: info.level,
                tags: info.tags.clone(),
                event: position,
                file: None,
                line: None,
                time: None,
                host: None,
                user: None,
                channel: None,
                event_id: None,
                record: None,
                evidence,
                correlation: None,
            });
        }
        for t in correlations.rule_feeds.get(r as usize).into_iter().flatten() {
            let Some(step) = correlations.corrs.get(t.corr as usize).and_then(|c| c.steps.get(t.step as usize)) else {
                continue;
            };
            let text = |v: &ValueSource| match *v {
                ValueSource::Field(id) => resolved
                    .values
                    .get(id as usize)
                    .and_then(|v| v.as_deref())
                    .map(str::trim_ascii)
                    .filter(|v| !v.is_empty() && *v != "-"),
                ValueSource::Group(_) => None,
            };
            let bit = 1u64 << t.step.min(63);
            let Some(size) = step.keys.iter().try_fold(0usize, |n, k| Some(n + 8 + text(k)?.len())) else {
                counts.no_value += 1;
                continue;
            };
            let operand = step.operand.as_ref().and_then(text);
            let p = packed.get_or_insert_with(|| new_packed(size + operand.map_or(0, |v| v.len() + 8)));
            let values = step.keys.iter().map(|k| text(k).unwrap_or_default()).chain(operand);
            p.add(t.corr, bit, values);
        }
    }
    drop(derived);

    if !detections.is_empty() && packed.is_none() {
        packed = Some(new_packed(0));
    }
    let time = if packed.is_some() || options.time_missing == TimeMissing::Previous {
        resolved.context(Ctx::Time).and_then(|t| st.times.parse(t))
    } else {
        None
    };
    let location = event.location.clone();
    if let Some(c) = &packed {
        for d in &mut detections {
            d.file = location.as_ref().and_then(|l| l.file.clone());
            d.line = location.as_ref().map(|l| l.line);
            d.time = time;
            d.host = c.host().map(str::to_string);
            d.user = c.user().map(str::to_string);
            d.channel = c.channel().map(str::to_string);
            d.event_id = c.event_id;
            d.record = c.record;
        }
    }
    let Resolved { values, context: contexts, .. } = resolved;
    drop(contexts);
    st.values = recycle(values);
    st.strings.reclaim(&mut raw);
    st.raw = recycle(raw);
    Ok(Prepared {
        position,
        source: event.source,
        time,
        location,
        packed,
        detections,
    })
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
