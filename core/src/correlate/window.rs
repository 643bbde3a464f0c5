//! One group's state for each kind of measure, updated in O(1) amortised per
//! event (O(log n) for percentiles, O(steps) for sequences), and what a
//! firing reports.
//!
//! Events reach a group in event-time order (the correlator sorts them
//! within the allowed lateness), so every window is a queue: new events at
//! the back, expired ones off the front. When a measure fires, the group is
//! reset: the events that made a detection do not count towards the next.

use std::collections::{HashMap, HashSet, VecDeque};
use std::mem::size_of;
use std::sync::Arc;

use super::plan::MeasurePlan;
use super::quantile::Quantile;
use crate::ast::Threshold;
use crate::event::EventTime;
use serde::{Deserialize, Serialize};

/// An event in a window: what a detection cites of it. `Copy` and without
/// the file's name (an index into the correlator's table of names), so that
/// queueing it costs no allocation or reference count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub time: EventTime,
    /// Its position in the stream.
    pub event: u64,
    /// `u64::MAX` for none.
    pub line: u64,
    /// `u64::MAX` for none.
    pub record: u64,
    /// Index of its file's name; `u32::MAX` for none.
    pub file: u32,
}

/// What one group holds.
#[derive(Debug, Clone)]
pub(crate) enum Window {
    /// Event counts.
    Events(VecDeque<Entry>),
    /// Distinct values: each event with its (case-folded) value, shared
    /// with the map that holds per value its count and latest spelling;
    /// `text` is the bytes of those strings.
    Distinct {
        entries: VecDeque<(Entry, Arc<str>)>,
        counts: HashMap<Arc<str>, (u32, Box<str>), Seeded>,
        text: usize,
    },
    /// Sums and means: the running sum, kept exactly as added and taken.
    Numbers { entries: VecDeque<(Entry, f64)>, sum: f64 },
    /// Percentiles and medians.
    Quantile { entries: VecDeque<(Entry, f64)>, q: Quantile },
    /// For each step, its latest event in the window.
    Temporal(Vec<Option<Entry>>),
    /// For each step `s`, the partial sequence through step `s` that started
    /// latest (so lasts longest): its events.
    Sequence(Vec<Option<Vec<Entry>>>),
    /// Values seen (case-folded), and their bytes.
    Seen(HashSet<Box<str>, Seeded>, usize),
}

/// A measure's value, for one event's contribution.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operand<'a> {
    None,
    Text(&'a str),
    Number(f64),
}

/// What a firing reports.
#[derive(Debug, Clone)]
pub(crate) struct Fired {
    pub count: u64,
    pub values: Vec<String>,
    pub value: Option<f64>,
    /// The contributing events, earliest first, at most the limit given.
    pub events: Vec<Entry>,
    pub omitted: u64,
    pub start: EventTime,
}

/// Values are written by whoever writes events: tables use a seeded hash.
pub(crate) type Seeded = foldhash::quality::RandomState;

/// What the allocator adds to each allocation, roughly.
pub(crate) const ALLOC: usize = 16;

/// The bytes a hash table of `capacity` entries of `T` takes.
pub(crate) fn table_bytes<T>(capacity: usize) -> usize {
    if capacity == 0 {
        0
    } else {
        capacity * (size_of::<T>() + 1) + ALLOC
    }
}

fn deque_bytes<T>(capacity: usize) -> usize {
    if capacity == 0 {
        0
    } else {
        capacity * size_of::<T>() + ALLOC
    }
}

impl Window {
    pub fn new(m: &MeasurePlan, steps: usize) -> Window {
        match m {
            MeasurePlan::Count(_) => Window::Events(VecDeque::new()),
            MeasurePlan::Distinct { .. } => Window::Distinct {
                entries: VecDeque::new(),
                counts: HashMap::default(),
                text: 0,
            },
            MeasurePlan::Sum(_) | MeasurePlan::Avg(_) => Window::Numbers {
                entries: VecDeque::new(),
                sum: 0.0,
            },
            MeasurePlan::Percentile(..) => Window::Quantile {
                entries: VecDeque::new(),
                q: Quantile::default(),
            },
            MeasurePlan::Temporal(_) => Window::Temporal(vec![None; steps]),
            MeasurePlan::Sequence => Window::Sequence(vec![None; steps]),
            MeasurePlan::FirstSeen { .. } => Window::Seen(HashSet::default(), 0),
        }
    }

    /// Whether it is the state `m` keeps (a restored state is checked).
    pub fn fits(&self, m: &MeasurePlan, steps: usize) -> bool {
        match (self, m) {
            (Window::Events(_), MeasurePlan::Count(_))
            | (Window::Distinct { .. }, MeasurePlan::Distinct { .. })
            | (Window::Numbers { .. }, MeasurePlan::Sum(_) | MeasurePlan::Avg(_))
            | (Window::Quantile { .. }, MeasurePlan::Percentile(..))
            | (Window::Seen(..), MeasurePlan::FirstSeen { .. }) => true,
            (Window::Temporal(v), MeasurePlan::Temporal(_)) => v.len() == steps,
            (Window::Sequence(v), MeasurePlan::Sequence) => v.len() == steps,
            _ => false,
        }
    }

    /// The bytes it holds on the heap, estimated from capacities (what
    /// the memory cap counts). O(1), but for sequences O(steps).
    pub fn bytes(&self) -> usize {
        match self {
            Window::Events(q) => deque_bytes::<Entry>(q.capacity()),
            Window::Distinct { entries, counts, text } => {
                deque_bytes::<(Entry, Arc<str>)>(entries.capacity())
                    + table_bytes::<(Arc<str>, (u32, Box<str>))>(counts.capacity())
                    + text
            }
            Window::Numbers { entries, .. } => deque_bytes::<(Entry, f64)>(entries.capacity()),
            // An ordered map costs about three words a value past the value.
            Window::Quantile { entries, q } => deque_bytes::<(Entry, f64)>(entries.capacity()) + q.len() * 40,
            Window::Temporal(v) => deque_bytes::<Option<Entry>>(v.capacity()),
            Window::Sequence(v) => {
                deque_bytes::<Option<Vec<Entry>>>(v.capacity())
                    + v.iter().flatten().map(|c| deque_bytes::<Entry>(c.capacity())).sum::<usize>()
            }
            Window::Seen(s, text) => table_bytes::<Box<str>>(s.capacity()) + text,
        }
    }

    /// Drops what happened before `from` (event time, nanoseconds).
    pub fn expire(&mut self, from: i64, m: &MeasurePlan) {
        let old = |e: &Entry| e.time.as_nanos() < from;
        match self {
            Window::Events(q) => {
                while q.front().is_some_and(old) {
                    q.pop_front();
                }
                shrink(q);
            }
            Window::Distinct { entries, counts, text } => {
                while entries.front().is_some_and(|(e, _)| old(e)) {
                    if let Some((_, v)) = entries.pop_front() {
                        if let Some((n, spelled)) = counts.get_mut(&v) {
                            *n -= 1;
                            if *n == 0 {
                                *text = text.saturating_sub(string_bytes(&v) + string_bytes(spelled));
                                counts.remove(&v);
                            }
                        }
                    }
                }
                shrink(entries);
            }
            Window::Numbers { entries, sum } => {
                while entries.front().is_some_and(|(e, _)| old(e)) {
                    if let Some((_, x)) = entries.pop_front() {
                        *sum -= x;
                    }
                }
                if entries.is_empty() {
                    *sum = 0.0;
                }
                shrink(entries);
            }
            Window::Quantile { entries, q } => {
                let p = percentile(m);
                while entries.front().is_some_and(|(e, _)| old(e)) {
                    if let Some((_, x)) = entries.pop_front() {
                        q.remove(x, p);
                    }
                }
                shrink(entries);
            }
            Window::Temporal(last) => {
                for s in last.iter_mut() {
                    if s.as_ref().is_some_and(old) {
                        *s = None;
                    }
                }
            }
            Window::Sequence(best) => {
                for s in best.iter_mut() {
                    if s.as_ref().and_then(|c| c.first()).is_some_and(old) {
                        *s = None;
                    }
                }
            }
            Window::Seen(..) => {}
        }
    }

    /// Forgets everything (after a firing).
    fn reset(&mut self) {
        match self {
            Window::Events(q) => *q = VecDeque::new(),
            Window::Distinct { entries, counts, text } => {
                *entries = VecDeque::new();
                *counts = HashMap::default();
                *text = 0;
            }
            Window::Numbers { entries, sum } => {
                *entries = VecDeque::new();
                *sum = 0.0;
            }
            Window::Quantile { entries, q } => {
                *entries = VecDeque::new();
                q.clear();
            }
            Window::Temporal(v) => v.iter_mut().for_each(|s| *s = None),
            Window::Sequence(v) => v.iter_mut().for_each(|s| *s = None),
            Window::Seen(..) => {}
        }
    }

    /// Adds one event, which matched the steps in `steps` (a bit mask), and
    /// says whether the measure now fires. `from` is where the window starts
    /// (for sequences, whose partial matches expire as a whole); `active` is
    /// false during a first-seen's learning period. `limit` caps the events
    /// listed in a firing.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        m: &MeasurePlan,
        steps: u64,
        ev: Entry,
        operand: Operand<'_>,
        from: i64,
        active: bool,
        limit: usize,
    ) -> Option<Fired> {
        let now = ev.time;
        let fired = match (&mut *self, m) {
            (Window::Events(q), MeasurePlan::Count(t)) => {
                q.push_back(ev);
                let n = q.len() as u64;
                holds(t, n as f64).then(|| fired(q.iter(), n, now, limit))
            }
            (Window::Distinct { entries, counts, text }, MeasurePlan::Distinct { threshold, .. }) => {
                let Operand::Text(v) = operand else { return None };
                let folded = fold(v);
                let key = match counts.get_key_value(folded.as_str()) {
                    Some((k, _)) => Arc::clone(k),
                    None => {
                        let k: Arc<str> = folded.into();
                        *text += string_bytes(&k);
                        counts.insert(Arc::clone(&k), (0, Box::default()));
                        k
                    }
                };
                if let Some(slot) = counts.get_mut(&key) {
                    slot.0 += 1;
                    // The latest spelling: its event leaves the window last.
                    if *slot.1 != *v {
                        *text = (*text + v.len()).saturating_sub(slot.1.len());
                        if slot.1.is_empty() {
                            *text += ALLOC;
                        }
                        slot.1 = v.into();
                    }
                }
                entries.push_back((ev, key));
                let n = counts.len() as u64;
                holds(threshold, n as f64).then(|| {
                    let mut f = fired(entries.iter().map(|(e, _)| e), n, now, limit);
                    let mut shown: Vec<String> = counts.values().map(|(_, s)| s.to_string()).collect();
                    shown.sort();
                    shown.truncate(limit.max(1));
                    f.values = shown;
                    f
                })
            }
            (Window::Numbers { entries, sum }, MeasurePlan::Sum(t) | MeasurePlan::Avg(t)) => {
                let Operand::Number(x) = operand else { return None };
                entries.push_back((ev, x));
                *sum += x;
                let n = entries.len();
                let value = if matches!(m, MeasurePlan::Avg(_)) { *sum / n as f64 } else { *sum };
                holds(t, value).then(|| {
                    let mut f = fired(entries.iter().map(|(e, _)| e), n as u64, now, limit);
                    f.value = Some(value);
                    f
                })
            }
            (Window::Quantile { entries, q }, MeasurePlan::Percentile(p, t)) => {
                let Operand::Number(x) = operand else { return None };
                entries.push_back((ev, x));
                q.insert(x, *p);
                let value = q.value(*p)?;
                holds(t, value).then(|| {
                    let mut f = fired(entries.iter().map(|(e, _)| e), entries.len() as u64, now, limit);
                    f.value = Some(value);
                    f
                })
            }
            (Window::Temporal(last), MeasurePlan::Temporal(t)) => {
                for (s, slot) in last.iter_mut().enumerate() {
                    if s < 64 && steps & (1 << s) != 0 {
                        *slot = Some(ev);
                    }
                }
                let seen = last.iter().filter(|s| s.is_some()).count() as u64;
                holds(t, seen as f64).then(|| {
                    let mut events: Vec<&Entry> = last.iter().flatten().collect();
                    events.sort_by_key(|e| (e.time, e.event));
                    fired(events.into_iter(), seen, now, limit)
                })
            }
            (Window::Sequence(best), MeasurePlan::Sequence) => {
                let k = best.len();
                let mut done = None;
                // Later steps first: one event never advances two steps.
                for s in (0..k.min(64)).rev() {
                    if steps & (1 << s) == 0 {
                        continue;
                    }
                    let chain = if s == 0 {
                        vec![ev]
                    } else {
                        match &best[s - 1] {
                            Some(c) if c.first().is_some_and(|e| e.time.as_nanos() >= from) => {
                                let mut c = c.clone();
                                c.push(ev);
                                c
                            }
                            _ => continue,
                        }
                    };
                    if s == k - 1 {
                        done = Some(chain);
                        break;
                    }
                    let start = chain[0].time;
                    let better = best[s].as_ref().and_then(|c| c.first()).is_none_or(|e| e.time <= start);
                    if better {
                        best[s] = Some(chain);
                    }
                }
                done.map(|chain| fired(chain.iter(), k as u64, now, limit))
            }
            (Window::Seen(set, text), MeasurePlan::FirstSeen { .. }) => {
                let Operand::Text(v) = operand else { return None };
                let key = fold(v);
                if set.contains(key.as_str()) {
                    return None;
                }
                *text += string_bytes(&key);
                set.insert(key.into());
                active.then(|| {
                    let mut f = fired(std::iter::once(&ev), 1, now, limit);
                    f.values = vec![v.to_string()];
                    f
                })
            }
            // A state that does not fit its measure never fires (restore
            // checks that none reaches here).
            _ => None,
        };
        if fired.is_some() {
            self.reset();
        }
        fired
    }
}

/// The heap bytes of a boxed string.
pub(crate) fn string_bytes(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        s.len() + ALLOC
    }
}

/// Gives memory back once a queue is mostly empty, so that a burst does not
/// hold its peak for the stream's life.
fn shrink<T>(q: &mut VecDeque<T>) {
    if q.capacity() > 16 && q.len() * 4 < q.capacity() {
        q.shrink_to(q.len() * 2);
    }
}

/// The percentile a window of `m` keeps.
pub(crate) fn percentile(m: &MeasurePlan) -> f64 {
    match m {
        MeasurePlan::Percentile(p, _) => *p,
        _ => 50.0,
    }
}

fn holds(t: &Threshold, x: f64) -> bool {
    t.holds(x)
}

/// Values compare ignoring case: Windows names do.
pub(crate) fn fold(v: &str) -> String {
    if v.is_ascii() {
        v.to_ascii_lowercase()
    } else {
        v.to_lowercase()
    }
}

/// A firing's report from the window's events (earliest first).
fn fired<'a>(events: impl Iterator<Item = &'a Entry> + Clone, count: u64, now: EventTime, limit: usize) -> Fired {
    let all: Vec<&Entry> = events.collect();
    let start = all.first().map_or(now, |e| e.time);
    let keep = limit.max(1).min(all.len());
    let omitted = (all.len() - keep) as u64;
    Fired {
        count,
        values: Vec::new(),
        value: None,
        events: all[all.len() - keep..].iter().map(|e| **e).collect(),
        omitted,
        start,
    }
}
