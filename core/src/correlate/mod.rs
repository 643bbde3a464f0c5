//! Streaming correlation over event time: the stateful half of a
//! [`crate::Scanner`].
//!
//! The stateless half (matching) turns each event into a [`Prepared`]: its
//! time, its detections, and an input for each correlation it feeds (the
//! steps it matched, its group values, the value the measure reads). Here
//! prepared events are ordered by event time within the allowed lateness:
//! they wait until the watermark (the latest time every source has reached)
//! less the lateness passes them, so that a stream shuffled within the
//! lateness gives the same detections as the sorted one. Each released
//! input updates its group's [`window::Window`] (see [`groups`]); a firing
//! becomes a detection and an input of the correlations that chain it.
//!
//! Memory is bounded: groups whose latest event left the window are dropped
//! as event time advances; past the caps on groups and bytes, the groups
//! touched longest ago are evicted and counted.

mod groups;
pub(crate) mod input;
pub(crate) mod partition;
pub(crate) mod persist;
pub(crate) mod plan;
pub(crate) mod quantile;
pub(crate) mod window;
pub(crate) mod zones;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::compile::Rules;
use crate::event::{EventTime, Location, SourceId};
use crate::scan::{Detection, ScanOptions, TimeMissing};
use groups::{Completing, CorrState};
pub(crate) use input::Packed;
pub use partition::{group_key, EventGroups, GroupOf};
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
    /// Its context and correlation inputs, when it has a detection or an
    /// input.
    pub(crate) packed: Option<Packed>,
    /// The event's stateless detections, context filled in.
    pub(crate) detections: Vec<Detection>,
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

    /// The event's stateless detections, taken: for a caller that only
    /// matches (scanning stateless rules in parallel), never completing
    /// the event. Their context is filled in, as `complete` would return
    /// them (the time an event without one would take from the one before,
    /// under `TimeMissing::Previous`, excepted).
    pub fn into_detections(self) -> Vec<Detection> {
        self.detections
    }

    /// Whether any correlation takes this event.
    pub fn feeds_correlations(&self) -> bool {
        self.packed.as_ref().is_some_and(|p| !p.feeds.is_empty())
    }
}

/// Counters of the correlating half.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CorrelationStats {
    pub no_time: u64,
    pub late: u64,
    pub no_value: u64,
    pub expired: u64,
    pub evicted: u64,
    pub forced: u64,
    pub groups: u64,
    pub state_bytes: u64,
    pub pending: u64,
}

/// An event waiting in time order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub time: i64,
    pub seq: u64,
    pub prepared: Prepared,
}

impl Pending {
    fn key(&self) -> (i64, u64) {
        (self.time, self.seq)
    }
}

impl PartialEq for Pending {
    fn eq(&self, o: &Pending) -> bool {
        self.key() == o.key()
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
        self.key().cmp(&o.key())
    }
}

/// Events waiting for the lateness to pass, in time order: those that came
/// in order queue (most streams are nearly sorted: no heap work), the
/// others go to a heap, and release takes the earlier of the two fronts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Waiting {
    pub queue: VecDeque<Pending>,
    pub heap: BinaryHeap<Reverse<Pending>>,
}

impl Waiting {
    pub fn len(&self) -> usize {
        self.queue.len() + self.heap.len()
    }

    fn push(&mut self, p: Pending) {
        if self.queue.back().is_none_or(|b| b.key() <= p.key()) {
            self.queue.push_back(p);
        } else {
            self.heap.push(Reverse(p));
        }
    }

    /// The time of the earliest waiting event.
    fn first(&self) -> Option<i64> {
        match (self.queue.front(), self.heap.peek()) {
            (Some(q), Some(Reverse(h))) => Some(q.key().min(h.key()).0),
            (Some(q), None) => Some(q.time),
            (None, Some(Reverse(h))) => Some(h.time),
            (None, None) => None,
        }
    }

    fn pop(&mut self) -> Option<Pending> {
        let from_heap = match (self.queue.front(), self.heap.peek()) {
            (Some(q), Some(Reverse(h))) => h.key() < q.key(),
            (None, Some(_)) => true,
            _ => false,
        };
        if from_heap {
            self.heap.pop().map(|Reverse(p)| p)
        } else {
            self.queue.pop_front()
        }
    }

    /// Every waiting event, in order.
    pub fn sorted(&self) -> Vec<Pending> {
        let mut all: Vec<Pending> = self.queue.iter().cloned().collect();
        all.extend(self.heap.iter().map(|Reverse(p)| p.clone()));
        all.sort();
        all
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

/// The correlating half of a scanner.
#[derive(Debug, Clone)]
pub(crate) struct Correlator {
    pub sources: Vec<SourceState>,
    pub waiting: Waiting,
    pub seq: u64,
    /// The latest time an event had, for [`TimeMissing::Previous`].
    pub last_time: Option<i64>,
    /// The latest time processed: windows only ever see time go forward.
    pub processed: Option<i64>,
    /// The time of the first event correlated: where first-seen learning
    /// periods start.
    pub started: Option<i64>,
    pub corrs: Vec<CorrState>,
    /// Groups held, and their estimated bytes, over every correlation.
    pub groups: usize,
    pub bytes: usize,
    pub stats: CorrelationStats,
    /// The file names events cite, by index (windows hold the index).
    pub files: Files,
    /// A group key folded for lookup, reused.
    scratch: Vec<u8>,
    /// Packed inputs of processed events, handed back to the matching half
    /// of this scanner for reuse: an event then costs no allocation.
    spares: Vec<Packed>,
    /// When groups were last swept for expiry, and events since.
    swept: Option<i64>,
    since_sweep: u32,
}

/// File names, each once: windows hold an index, not a reference count.
#[derive(Debug, Clone, Default)]
pub(crate) struct Files {
    pub names: Vec<std::sync::Arc<str>>,
    index: std::collections::HashMap<std::sync::Arc<str>, u32>,
    /// The last name looked up, by pointer: a stream's events share theirs.
    last: Option<(std::sync::Arc<str>, u32)>,
}

impl Files {
    /// The index of a name, adding it when new.
    pub fn intern(&mut self, name: &std::sync::Arc<str>) -> u32 {
        if let Some((a, i)) = &self.last {
            if std::sync::Arc::ptr_eq(a, name) || **a == **name {
                return *i;
            }
        }
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.names.len() as u32;
                self.names.push(std::sync::Arc::clone(name));
                self.index.insert(std::sync::Arc::clone(name), i);
                i
            }
        };
        self.last = Some((std::sync::Arc::clone(name), i));
        i
    }

    pub fn get(&self, i: u32) -> Option<std::sync::Arc<str>> {
        self.names.get(i as usize).cloned()
    }

    /// A table of these names (restored state).
    pub fn from_names(names: Vec<String>) -> Files {
        let mut f = Files::default();
        for n in names {
            let a: std::sync::Arc<str> = n.into();
            f.index.entry(std::sync::Arc::clone(&a)).or_insert(f.names.len() as u32);
            f.names.push(a);
        }
        f
    }
}

impl Correlator {
    pub fn new(rules: &Rules) -> Correlator {
        let n = rules.correlations.corrs.len();
        let mut c = Correlator::new_empty(n);
        c.sources.push(SourceState {
            open: true,
            ..SourceState::default()
        });
        c.corrs.resize_with(n, CorrState::default);
        c
    }

    /// A correlator of `n` correlations, without sources beyond the
    /// implicit one (restore fills it in).
    pub(crate) fn new_empty(n: usize) -> Correlator {
        Correlator {
            sources: Vec::new(),
            waiting: Waiting::default(),
            seq: 0,
            last_time: None,
            processed: None,
            started: None,
            corrs: Vec::with_capacity(n),
            groups: 0,
            bytes: 0,
            stats: CorrelationStats::default(),
            files: Files::default(),
            scratch: Vec::new(),
            spares: Vec::new(),
            swept: None,
            since_sweep: 0,
        }
    }

    /// A packed input to reuse, if one was handed back.
    pub fn spare(&mut self) -> Option<Packed> {
        self.spares.pop()
    }

    /// Keeps a processed event's packed input for reuse (a few, none large).
    fn hand_back(&mut self, p: Packed) {
        if self.spares.len() < 16 && p.capacity() <= 4096 {
            self.spares.push(p);
        }
    }

    pub fn stats(&self) -> CorrelationStats {
        CorrelationStats {
            groups: self.groups as u64,
            state_bytes: self.bytes as u64,
            pending: self.waiting.len() as u64,
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
        let relevant = p.feeds_correlations() || (ordered && !p.detections.is_empty());
        if !relevant {
            out.append(&mut p.detections);
            return;
        }
        let Some(t) = p.time.map(EventTime::as_nanos) else {
            self.stats.no_time += 1;
            out.append(&mut p.detections);
            return;
        };
        let src = p.source.map_or(0, |s| s.0 as usize);
        let src = if src < self.sources.len() { src } else { 0 };
        let s = &mut self.sources[src];
        if s.max.is_some_and(|m| t < m.saturating_sub(env.lateness())) {
            self.stats.late += 1;
            out.append(&mut p.detections);
            return;
        }
        s.max = Some(s.max.map_or(t, |m| m.max(t)));
        if !ordered {
            out.append(&mut p.detections);
        }
        self.seq += 1;
        self.waiting.push(Pending {
            time: t,
            seq: self.seq,
            prepared: p,
        });
        self.release(env, out);
    }

    /// The time every source that counts has reached; `None` while one has
    /// given nothing; `i64::MAX` when none counts.
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
        let limit = self
            .watermark()
            .map(|w| if w == i64::MAX { w } else { w.saturating_sub(env.lateness()) });
        while let Some(first) = self.waiting.first() {
            let due = limit.is_some_and(|l| first <= l);
            if !due && self.waiting.len() <= env.options.max_pending {
                break;
            }
            let Some(p) = self.waiting.pop() else { break };
            if !due {
                self.stats.forced += 1;
            }
            self.process(p, env, out);
        }
    }

    /// Ends the stream: every waiting event is processed.
    pub fn flush(&mut self, env: &Env<'_>, out: &mut Vec<Detection>) {
        while let Some(p) = self.waiting.pop() {
            self.process(p, env, out);
        }
    }

    fn process(&mut self, p: Pending, env: &Env<'_>, out: &mut Vec<Detection>) {
        let now = p.time;
        let mut prepared = p.prepared;
        out.append(&mut prepared.detections);
        // Released behind an event already processed (after a forced
        // release, or behind a source that ran ahead): too late for windows
        // that only move forward.
        if self.processed.is_some_and(|t| now < t) {
            if prepared.feeds_correlations() {
                self.stats.late += 1;
            }
            if let Some(p) = prepared.packed.take() {
                self.hand_back(p);
            }
            return;
        }
        let Some(packed) = prepared.packed.take() else { return };
        if packed.feeds.is_empty() {
            self.hand_back(packed);
            return;
        }
        self.started.get_or_insert(now);
        self.processed = Some(now);
        // Dropping whole groups is memory hygiene (a window expires its own
        // events when touched): once a second of event time, or every 64
        // events, is enough.
        self.since_sweep += 1;
        if self.since_sweep >= 64 || self.swept.is_none_or(|t| now.saturating_sub(t) >= 1_000_000_000) {
            self.expire(now, env);
            self.swept = Some(now);
            self.since_sweep = 0;
        }

        let ev = window::Entry {
            time: EventTime::from_nanos(now),
            event: prepared.position,
            line: prepared.location.as_ref().map_or(u64::MAX, |l| l.line),
            record: packed.record.unwrap_or(u64::MAX),
            file: match prepared.location.as_ref().and_then(|l| l.file.as_ref()) {
                Some(f) => self.files.intern(f),
                None => u32::MAX,
            },
        };
        let event = Completing {
            ev: &ev,
            location: prepared.location.as_ref(),
            context: Some(&packed),
        };
        let mut many: Vec<&str> = Vec::new();
        for f in &packed.feeds {
            let Some(cp) = env.rules.correlations.corrs.get(f.corr as usize) else { continue };
            let keys = cp.keys.len();
            // The values read once, on the stack unless there are many.
            let mut few = [""; 8];
            let mut n = 0;
            many.clear();
            for v in packed.values(f) {
                if n < few.len() {
                    few[n] = v;
                } else {
                    if many.is_empty() {
                        many.extend_from_slice(&few);
                    }
                    many.push(v);
                }
                n += 1;
            }
            let all: &[&str] = if n <= few.len() { &few[..n] } else { &many };
            if all.len() < keys {
                continue;
            }
            let operand = all.get(keys).copied();
            self.feed(f.corr, f.steps, &all[..keys], operand, &event, env, out, 0);
        }
        drop(many);
        self.hand_back(packed);
        self.enforce_caps(env);
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
