//! Streaming correlation over event time: the stateful half of a
//! [`crate::Scanner`].
//!
//! The stateless half (matching) turns each event into a [`Prepared`]: its
//! time, its detections, and a [`Feed`] for each correlation step it
//! matched (with the group values and the measured value read from it).
//! Here prepared events are ordered by event time within the allowed
//! lateness (a min-heap released as the watermark, the latest time seen
//! less the lateness, passes them), so that a stream shuffled within the
//! lateness gives the same detections as the sorted one. Each released feed
//! updates its group's [`window::Window`]; a firing becomes a detection,
//! and feeds the correlations that chain this one.
//!
//! Memory is bounded: groups whose latest event left the window are dropped
//! as event time advances; past the caps on groups and bytes, the groups
//! touched longest ago are evicted and counted.

pub(crate) mod persist;
pub(crate) mod plan;
pub(crate) mod quantile;
pub(crate) mod window;
pub(crate) mod zones;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::ast::Hours;
use crate::compile::{parse_number, Rules};
use crate::event::{EventTime, Location, SourceId};
use crate::scan::{Correlated, Detection, EventRef, ScanOptions, TimeMissing};
use plan::{MeasurePlan, ValueSource};
use window::{fold, Fired, Operand, Window};
pub use zones::{Zones, ZonesError};

/// One event's stateless half done: what the correlating half needs.
///
/// Made by [`crate::Scanner::prepare`], consumed by
/// [`crate::Scanner::complete`]: `Send`, so that events can be matched on
/// several threads and correlated, in stream order, on one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prepared {
    pub(crate) position: u64,
    pub(crate) source: Option<SourceId>,
    pub(crate) time: Option<EventTime>,
    pub(crate) location: Option<Location>,
    pub(crate) context: Option<Box<Context>>,
    /// The event's stateless detections, context filled in.
    pub(crate) detections: Vec<Detection>,
    pub(crate) feeds: Vec<Feed>,
}

impl Prepared {
    /// The event's time, when it had a readable one.
    pub fn time(&self) -> Option<EventTime> {
        self.time
    }

    /// The event's stateless detections (those [`crate::Scanner::complete`]
    /// will return, now or once the event is released).
    pub fn detections(&self) -> &[Detection] {
        &self.detections
    }

    /// Whether any correlation takes this event.
    pub fn feeds_correlations(&self) -> bool {
        !self.feeds.is_empty()
    }
}

/// The context of an event that a detection carries, owned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Context {
    pub host: Option<String>,
    pub user: Option<String>,
    pub channel: Option<String>,
    pub event_id: Option<u32>,
    pub record: Option<u64>,
}

/// One event's input to one correlation: the steps it matched, its group
/// values as written, and the value the measure reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Feed {
    pub corr: u32,
    /// Bit `s` for step `s`.
    pub steps: u64,
    pub key: Vec<String>,
    pub operand: Option<String>,
}

/// Counters of the correlating half, part of [`crate::ScanStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrelationStats {
    /// Events that had a detection or fed a correlation but no readable
    /// time: correlations skipped them.
    pub no_time: u64,
    /// Events older than the allowed lateness behind the latest time seen:
    /// correlations skipped them (their stateless detections were kept).
    pub late: u64,
    /// Correlation inputs without a group value (absent, empty or `-`), or
    /// without the value the measure reads (not a number, not in a zone).
    pub no_value: u64,
    /// Groups dropped because their events left the window.
    pub expired: u64,
    /// Groups evicted to stay within the caps on groups and bytes.
    pub evicted: u64,
    /// Events released before the lateness had passed, to stay within the
    /// cap on events waiting.
    pub forced: u64,
    /// Groups held now.
    pub groups: u64,
    /// Rough bytes of correlation state held now.
    pub state_bytes: u64,
    /// Events waiting for the lateness to pass.
    pub pending: u64,
}

/// An event waiting in time order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub time: i64,
    pub seq: u64,
    pub prepared: Prepared,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Pending) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Pending) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Pending) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(o.time, o.seq))
    }
}

/// One input of several read side by side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SourceState {
    /// The latest time it gave.
    pub max: Option<i64>,
    /// Opened by the caller: it holds the watermark back until it gives an
    /// event or is closed. The implicit source 0 only counts once used.
    pub explicit: bool,
    pub open: bool,
}

/// One correlation's groups.
#[derive(Debug, Clone, Default)]
pub(crate) struct CorrState {
    pub groups: Vec<Option<Group>>,
    /// Bumped when a slot is freed, so that FIFO entries of the group that
    /// held it go stale.
    pub generations: Vec<u32>,
    pub free: Vec<u32>,
    pub index: HashMap<Box<[u8]>, u32>,
    /// (time touched, group, generation), in time order: the groups whose
    /// latest event is oldest come first.
    pub fifo: VecDeque<(i64, u32, u32)>,
    /// When the correlation first took an event (first-seen learning).
    pub learn_from: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub key: Box<[u8]>,
    pub touched: i64,
    pub window: Window,
    pub bytes: usize,
}

/// Fixed bytes of a group besides its window.
const GROUP_BYTES: usize = 96;
/// Bytes of one FIFO entry.
const FIFO_BYTES: usize = 16;

/// The correlating half of a scanner.
#[derive(Debug, Clone)]
pub(crate) struct Correlator {
    pub sources: Vec<SourceState>,
    pub pending: BinaryHeap<Reverse<Pending>>,
    pub seq: u64,
    pub last_time: Option<i64>,
    /// The latest time processed: windows only ever see time go forward.
    pub processed: Option<i64>,
    pub corrs: Vec<CorrState>,
    pub groups: usize,
    pub bytes: usize,
    pub stats: CorrelationStats,
}

impl Correlator {
    pub fn new(rules: &Rules) -> Correlator {
        Correlator {
            sources: vec![SourceState {
                open: true,
                ..SourceState::default()
            }],
            pending: BinaryHeap::new(),
            seq: 0,
            last_time: None,
            processed: None,
            corrs: vec![CorrState::default(); rules.correlations.corrs.len()],
            groups: 0,
            bytes: 0,
            stats: CorrelationStats::default(),
        }
    }

    pub fn stats(&self) -> CorrelationStats {
        CorrelationStats {
            groups: self.groups as u64,
            state_bytes: self.bytes as u64,
            pending: self.pending.len() as u64,
            ..self.stats
        }
    }

    pub fn open_source(&mut self) -> SourceId {
        self.sources.push(SourceState {
            explicit: true,
            open: true,
            max: None,
        });
        SourceId((self.sources.len() - 1) as u32)
    }

    pub fn close_source(&mut self, id: SourceId, env: &Env<'_>, out: &mut Vec<Detection>) {
        if let Some(s) = self.sources.get_mut(id.0 as usize) {
            s.open = false;
        }
        self.release(env, out);
    }

    /// The stateful half of one event: its detections now, and whatever
    /// the events it releases complete.
    pub fn complete(&mut self, mut p: Prepared, env: &Env<'_>, out: &mut Vec<Detection>) {
        if p.time.is_none() && env.options.time_missing == TimeMissing::Previous {
            p.time = self.last_time.map(EventTime::from_nanos);
            for d in &mut p.detections {
                d.time = p.time;
            }
        }
        if let Some(t) = p.time {
            self.last_time = Some(t.as_nanos());
        }
        let ordered = env.options.ordered;
        let relevant = !p.feeds.is_empty() || (ordered && !p.detections.is_empty());
        if !relevant {
            out.append(&mut p.detections);
            return;
        }
        let Some(t) = p.time.map(EventTime::as_nanos) else {
            self.stats.no_time += 1;
            out.append(&mut p.detections);
            return;
        };
        let lateness = env.lateness();
        let src = p.source.map_or(0, |s| s.0 as usize);
        let src = if src < self.sources.len() { src } else { 0 };
        let s = &mut self.sources[src];
        if s.max.is_some_and(|m| t < m.saturating_sub(lateness)) {
            self.stats.late += 1;
            out.append(&mut p.detections);
            return;
        }
        s.max = Some(s.max.map_or(t, |m| m.max(t)));
        if !ordered {
            out.append(&mut p.detections);
        }
        self.seq += 1;
        self.pending.push(Reverse(Pending {
            time: t,
            seq: self.seq,
            prepared: p,
        }));
        self.release(env, out);
    }

    /// The time up to which every source has gone (less nothing: the
    /// lateness is taken off by the caller); `None` while a source that
    /// counts has given nothing; `i64::MAX` when none counts.
    fn watermark(&self) -> Option<i64> {
        let mut w = i64::MAX;
        for s in &self.sources {
            if s.open && (s.explicit || s.max.is_some()) {
                w = w.min(s.max?);
            }
        }
        Some(w)
    }

    /// Processes the waiting events the watermark has passed, in time order.
    pub fn release(&mut self, env: &Env<'_>, out: &mut Vec<Detection>) {
        let limit = self.watermark().map(|w| if w == i64::MAX { w } else { w.saturating_sub(env.lateness()) });
        loop {
            let due = match self.pending.peek() {
                Some(Reverse(p)) => limit.is_some_and(|l| p.time <= l) || self.pending.len() > env.options.max_pending,
                None => false,
            };
            if !due {
                break;
            }
            let Some(Reverse(p)) = self.pending.pop() else { break };
            if limit.is_none_or(|l| p.time > l) {
                self.stats.forced += 1;
            }
            self.process(p, env, out);
        }
    }

    /// Ends the stream: every waiting event is processed.
    pub fn flush(&mut self, env: &Env<'_>, out: &mut Vec<Detection>) {
        while let Some(Reverse(p)) = self.pending.pop() {
            self.process(p, env, out);
        }
    }

    fn process(&mut self, p: Pending, env: &Env<'_>, out: &mut Vec<Detection>) {
        let now = p.time;
        let Pending { mut prepared, .. } = p;
        // Released behind an event already processed (after a forced
        // release, or behind a source that ran ahead): too late for windows
        // that only move forward.
        if self.processed.is_some_and(|t| now < t) {
            self.stats.late += 1;
            out.append(&mut prepared.detections);
            return;
        }
        self.processed = Some(now);
        self.expire(now, env);
        let Prepared {
            position,
            location,
            context,
            mut detections,
            feeds,
            ..
        } = prepared;
        out.append(&mut detections);
        let ev = EventRef {
            event: position,
            file: location.as_ref().and_then(|l| l.file.clone()),
            line: location.as_ref().map(|l| l.line),
            record: context.as_ref().and_then(|c| c.record),
            time: EventTime::from_nanos(now),
        };
        let event = Completing {
            ev: &ev,
            location: location.as_ref(),
            context: context.as_deref(),
        };
        for f in feeds {
            self.feed(f.corr, f.steps, f.key, f.operand, &event, env, out, 0);
        }
        self.enforce_caps(env);
    }

    /// Drops the groups whose latest event has left their window.
    fn expire(&mut self, now: i64, env: &Env<'_>) {
        let plan = &env.rules.correlations;
        for (ci, c) in self.corrs.iter_mut().enumerate() {
            let Some(cp) = plan.corrs.get(ci) else { continue };
            if matches!(cp.measure, MeasurePlan::FirstSeen { .. }) {
                continue;
            }
            let from = now.saturating_sub(cp.window);
            while let Some(&(t, id, generation)) = c.fifo.front() {
                if t >= from {
                    break;
                }
                c.fifo.pop_front();
                self.bytes = self.bytes.saturating_sub(FIFO_BYTES);
                let live = c.is_live(id, generation, t);
                if live {
                    remove_group(c, id, &mut self.groups, &mut self.bytes);
                    self.stats.expired += 1;
                }
            }
        }
    }

    /// Evicts the groups touched longest ago while over a cap.
    fn enforce_caps(&mut self, env: &Env<'_>) {
        let o = env.options;
        while self.groups > o.max_groups || self.bytes > o.max_state_bytes {
            // The oldest live FIFO front over every correlation.
            let mut oldest: Option<(i64, usize)> = None;
            for (ci, c) in self.corrs.iter_mut().enumerate() {
                while let Some(&(t, id, generation)) = c.fifo.front() {
                    let live = c.is_live(id, generation, t);
                    if live {
                        if oldest.is_none_or(|(ot, _)| t < ot) {
                            oldest = Some((t, ci));
                        }
                        break;
                    }
                    c.fifo.pop_front();
                    self.bytes = self.bytes.saturating_sub(FIFO_BYTES);
                }
            }
            let Some((_, ci)) = oldest else { break };
            let c = &mut self.corrs[ci];
            if let Some((_, id, _)) = c.fifo.pop_front() {
                self.bytes = self.bytes.saturating_sub(FIFO_BYTES);
                remove_group(c, id, &mut self.groups, &mut self.bytes);
                self.stats.evicted += 1;
            }
        }
    }

    /// One feed into correlation `ci`; a firing is reported and fed to the
    /// correlations that chain this one.
    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        ci: u32,
        steps: u64,
        key: Vec<String>,
        operand: Option<String>,
        event: &Completing<'_>,
        env: &Env<'_>,
        out: &mut Vec<Detection>,
        depth: usize,
    ) {
        let plan = &env.rules.correlations;
        let Some(cp) = plan.corrs.get(ci as usize) else { return };
        let now = event.ev.time;
        if let Some(h) = cp.hours {
            match env.zones.and_then(|z| z.in_business_hours(now)) {
                Some(inside) if inside == (h == Hours::During) => {}
                _ => return,
            }
        }
        let operand = match (&cp.measure, operand) {
            (m, Some(v)) if m.zone() => match env.zones.and_then(|z| z.zone_of(&v)) {
                Some(zone) => Operand::Text(zone.to_string()),
                None => {
                    self.stats.no_value += 1;
                    return;
                }
            },
            (m, Some(v)) if m.numeric() => match parse_number(&v) {
                Some(x) => Operand::Number(x),
                None => {
                    self.stats.no_value += 1;
                    return;
                }
            },
            (_, Some(v)) => Operand::Text(v),
            (MeasurePlan::Count(_) | MeasurePlan::Sequence | MeasurePlan::Temporal(_), None) => Operand::None,
            (_, None) => {
                self.stats.no_value += 1;
                return;
            }
        };
        let c = &mut self.corrs[ci as usize];
        let learn_from = *c.learn_from.get_or_insert(now.as_nanos());
        let active = now.as_nanos() >= learn_from.saturating_add(cp.window);
        let from = now.as_nanos().saturating_sub(cp.window);
        let encoded = encode_key(&key);
        let id = match c.index.get(&encoded[..]) {
            Some(&id) => id,
            None => {
                let g = Group {
                    key: encoded.clone(),
                    touched: now.as_nanos(),
                    window: Window::new(&cp.measure, cp.steps.len()),
                    bytes: 0,
                };
                let id = match c.free.pop() {
                    Some(id) => {
                        c.groups[id as usize] = Some(g);
                        id
                    }
                    None => {
                        c.groups.push(Some(g));
                        c.generations.push(0);
                        (c.groups.len() - 1) as u32
                    }
                };
                c.index.insert(encoded.clone(), id);
                self.groups += 1;
                self.bytes += GROUP_BYTES + 2 * encoded.len();
                id
            }
        };
        let Some(Some(g)) = c.groups.get_mut(id as usize) else { return };
        let before = g.bytes;
        g.window.expire(from, &cp.measure);
        let fired = g.window.add(&cp.measure, steps, event.ev.clone(), operand, from, active, env.options.max_events);
        g.touched = now.as_nanos();
        g.bytes = g.window.bytes();
        let generation = c.generations[id as usize];
        self.bytes = (self.bytes + g.bytes).saturating_sub(before) + FIFO_BYTES;
        c.fifo.push_back((now.as_nanos(), id, generation));
        let Some(fired) = fired else { return };
        let info = &env.rules.infos[cp.info as usize];
        if cp.report {
            out.push(detection(info, &cp.keys, &key, fired.clone(), event));
        }
        // Chains: this detection is an event of the correlations naming it.
        if depth >= plan.corrs.len() {
            return;
        }
        for t in &plan.chain_feeds[ci as usize] {
            let Some(outer) = plan.corrs.get(t.corr as usize) else { continue };
            let Some(step) = outer.steps.get(t.step as usize) else { continue };
            let pick = |v: &ValueSource| match *v {
                ValueSource::Group(i) => key.get(i as usize).cloned(),
                ValueSource::Field(_) => None,
            };
            let Some(outer_key) = step.keys.iter().map(pick).collect::<Option<Vec<String>>>() else {
                self.stats.no_value += 1;
                continue;
            };
            let outer_operand = step.operand.as_ref().and_then(pick);
            let chained = Completing {
                ev: &EventRef {
                    time: now,
                    ..event.ev.clone()
                },
                ..*event
            };
            self.feed(t.corr, 1 << t.step.min(63), outer_key, outer_operand, &chained, env, out, depth + 1);
        }
    }
}

/// What the correlator reads besides its state.
pub(crate) struct Env<'a> {
    pub rules: &'a Rules,
    pub options: &'a ScanOptions,
    pub zones: Option<&'a Zones>,
}

impl Env<'_> {
    fn lateness(&self) -> i64 {
        i64::try_from(self.options.lateness.as_nanos()).unwrap_or(i64::MAX)
    }
}

/// The event being processed, as detections cite it.
#[derive(Clone, Copy)]
struct Completing<'a> {
    ev: &'a EventRef,
    location: Option<&'a Location>,
    context: Option<&'a Context>,
}

impl CorrState {
    /// Whether a FIFO entry still stands for its group's latest event.
    fn is_live(&self, id: u32, generation: u32, touched: i64) -> bool {
        let i = id as usize;
        self.generations.get(i) == Some(&generation)
            && matches!(self.groups.get(i), Some(Some(g)) if g.touched == touched)
    }
}

fn remove_group(c: &mut CorrState, id: u32, groups: &mut usize, bytes: &mut usize) {
    let i = id as usize;
    if let Some(g) = c.groups.get_mut(i).and_then(Option::take) {
        c.index.remove(&g.key);
        *groups = groups.saturating_sub(1);
        *bytes = bytes.saturating_sub(GROUP_BYTES + 2 * g.key.len() + g.bytes);
        if let Some(n) = c.generations.get_mut(i) {
            *n = n.wrapping_add(1);
        }
        c.free.push(id);
    }
}

/// A group's key: each value case-folded, length-prefixed.
pub(crate) fn encode_key(values: &[String]) -> Box<[u8]> {
    let mut k = Vec::with_capacity(values.iter().map(|v| v.len() + 4).sum());
    for v in values {
        let f = fold(v);
        k.extend_from_slice(&(f.len() as u32).to_le_bytes());
        k.extend_from_slice(f.as_bytes());
    }
    k.into_boxed_slice()
}

fn detection(info: &crate::RuleInfo, names: &[String], key: &[String], f: Fired, event: &Completing<'_>) -> Detection {
    let ctx = event.context.cloned().unwrap_or_default();
    Detection {
        rule: info.id.clone(),
        title: info.title.clone(),
        level: info.level,
        tags: info.tags.clone(),
        event: event.ev.event,
        file: event.location.and_then(|l| l.file.clone()),
        line: event.location.map(|l| l.line),
        time: Some(event.ev.time),
        host: ctx.host,
        user: ctx.user,
        channel: ctx.channel,
        event_id: ctx.event_id,
        record: ctx.record,
        evidence: Vec::new(),
        correlation: Some(Box::new(Correlated {
            group: names.iter().cloned().zip(key.iter().cloned()).collect(),
            window: crate::scan::Window {
                start: f.start,
                end: event.ev.time,
            },
            count: f.count,
            values: f.values,
            value: f.value,
            events: f.events,
            events_omitted: f.omitted,
        })),
    }
}

