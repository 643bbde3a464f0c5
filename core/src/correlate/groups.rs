//! Each correlation's groups: found by their folded key, updated in event
//! time order, dropped when their latest event leaves the window, evicted
//! oldest first past the caps; and what a firing reports.

use std::collections::{HashMap, VecDeque};

use super::input::Packed;
use super::plan::{MeasurePlan, ValueSource};
use super::window::{Entry, Fired, Operand, Window, ALLOC};
use super::Files;
use super::{Correlator, Env};
use crate::ast::Hours;
use crate::compile::parse_number;
use crate::event::Location;
use crate::scan::{Correlated, Detection, EventRef};

/// One correlation's groups.
#[derive(Debug, Clone, Default)]
pub(crate) struct CorrState {
    pub groups: Vec<Option<Group>>,
    /// Bumped when a slot is freed, so that FIFO entries of the group that
    /// held it go stale.
    pub generations: Vec<u32>,
    pub free: Vec<u32>,
    /// Group keys are written by whoever writes events: a seeded hash.
    pub index: HashMap<Box<[u8]>, u32, foldhash::quality::RandomState>,
    /// (time touched, group, generation), in time order: the groups whose
    /// latest event is oldest come first.
    pub fifo: VecDeque<(i64, u32, u32)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// The folded key it is found by.
    pub key: Box<[u8]>,
    pub touched: i64,
    pub window: Window,
    /// Its window's bytes when last counted.
    pub bytes: usize,
}

/// Fixed bytes of a group besides its window and key: its slot, its
/// generation, its entry in the index (at the table's 7/8 load), and the
/// two allocations of its key (the group's and the index's).
pub(crate) const GROUP_BYTES: usize =
    std::mem::size_of::<Option<Group>>() + 4 + (std::mem::size_of::<(Box<[u8]>, u32)>() + 1) * 8 / 7 + 2 * ALLOC;
/// Bytes of one FIFO entry.
pub(crate) const FIFO_BYTES: usize = std::mem::size_of::<(i64, u32, u32)>();

impl CorrState {
    /// Whether a FIFO entry still stands for its group's latest event.
    pub fn is_live(&self, id: u32, generation: u32, touched: i64) -> bool {
        let i = id as usize;
        self.generations.get(i) == Some(&generation) && matches!(self.groups.get(i), Some(Some(g)) if g.touched == touched)
    }
}

/// The event being processed, as detections cite it.
#[derive(Clone, Copy)]
pub(crate) struct Completing<'a> {
    pub ev: &'a Entry,
    pub location: Option<&'a Location>,
    pub context: Option<&'a Packed>,
}

impl Correlator {
    /// Drops the groups whose latest event has left their window.
    pub(super) fn expire(&mut self, now: i64, env: &Env<'_>) {
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
                if c.is_live(id, generation, t) {
                    remove_group(c, id, &mut self.groups, &mut self.bytes);
                    self.stats.expired += 1;
                }
            }
        }
    }

    /// Evicts the groups touched longest ago while over a cap.
    pub(super) fn enforce_caps(&mut self, env: &Env<'_>) {
        let o = env.options;
        while self.groups > o.max_groups || self.bytes > o.max_state_bytes {
            // The oldest live FIFO front over every correlation.
            let mut oldest: Option<(i64, usize)> = None;
            for (ci, c) in self.corrs.iter_mut().enumerate() {
                while let Some(&(t, id, generation)) = c.fifo.front() {
                    if c.is_live(id, generation, t) {
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

    /// One input into correlation `ci`: `key` its group values, `operand`
    /// the measured value as written. A firing is reported and fed to the
    /// correlations that chain this one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn feed(
        &mut self,
        ci: u32,
        steps: u64,
        key: &[&str],
        operand: Option<&str>,
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
            (m, Some(v)) if m.zone() => match env.zones.and_then(|z| z.zone_of(v)) {
                Some(zone) => Operand::Text(zone),
                None => {
                    self.stats.no_value += 1;
                    return;
                }
            },
            (m, Some(v)) if m.numeric() => match parse_number(v) {
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
        // First-seen learns from the start of the stream, not from its own
        // first event: a rare one would learn from the very event it is for.
        let learn_from = self.started.unwrap_or(now.as_nanos());
        let active = now.as_nanos() >= learn_from.saturating_add(cp.window);
        let c = &mut self.corrs[ci as usize];
        let from = now.as_nanos().saturating_sub(cp.window);
        fold_key(key, &mut self.scratch);
        let id = match c.index.get(&self.scratch[..]) {
            Some(&id) => id,
            None => {
                let folded: Box<[u8]> = self.scratch.as_slice().into();
                let g = Group {
                    key: folded.clone(),
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
                self.bytes += GROUP_BYTES + 2 * folded.len();
                c.index.insert(folded, id);
                self.groups += 1;
                id
            }
        };
        let Some(Some(g)) = c.groups.get_mut(id as usize) else { return };
        let before = g.bytes;
        g.window.expire(from, &cp.measure);
        let fired = g.window.add(&cp.measure, steps, *event.ev, operand, from, active, env.options.max_events);
        g.touched = now.as_nanos();
        g.bytes = g.window.bytes();
        self.bytes = (self.bytes + g.bytes).saturating_sub(before) + FIFO_BYTES;
        c.fifo.push_back((now.as_nanos(), id, c.generations[id as usize]));
        let Some(fired) = fired else { return };
        if cp.report {
            let info = &env.rules.infos[cp.info as usize];
            out.push(detection(info, &cp.keys, key, fired, event, &self.files));
        }
        // Chains: this detection is an event of the correlations naming it.
        if depth >= plan.corrs.len() {
            return;
        }
        for t in &plan.chain_feeds[ci as usize] {
            let Some(step) = plan.corrs.get(t.corr as usize).and_then(|o| o.steps.get(t.step as usize)) else {
                continue;
            };
            let pick = |v: &ValueSource| match *v {
                ValueSource::Group(i) => key.get(i as usize).copied(),
                ValueSource::Field(_) => None,
            };
            let Some(outer_key) = step.keys.iter().map(pick).collect::<Option<Vec<&str>>>() else {
                self.stats.no_value += 1;
                continue;
            };
            let outer_operand = step.operand.as_ref().and_then(pick);
            self.feed(t.corr, 1 << t.step.min(63), &outer_key, outer_operand, event, env, out, depth + 1);
        }
    }
}

/// A group's key: each value case-folded (Windows names compare so),
/// length-prefixed, into `buf`.
fn fold_key(values: &[&str], buf: &mut Vec<u8>) {
    buf.clear();
    for v in values {
        let at = buf.len();
        if v.is_ascii() {
            buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
            buf.extend_from_slice(v.as_bytes());
            buf[at + 4..].make_ascii_lowercase();
        } else {
            let f = v.to_lowercase();
            buf.extend_from_slice(&(f.len() as u32).to_le_bytes());
            buf.extend_from_slice(f.as_bytes());
        }
    }
}

pub(super) fn remove_group(c: &mut CorrState, id: u32, groups: &mut usize, bytes: &mut usize) {
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

fn detection(
    info: &crate::RuleInfo,
    names: &[String],
    key: &[&str],
    f: Fired,
    event: &Completing<'_>,
    files: &Files,
) -> Detection {
    let cite = |e: &Entry| EventRef {
        event: e.event,
        file: (e.file != u32::MAX).then(|| files.get(e.file)).flatten(),
        line: (e.line != u64::MAX).then_some(e.line),
        record: (e.record != u64::MAX).then_some(e.record),
        time: e.time,
    };
    let ctx = event.context;
    Detection {
        rule: info.id.clone(),
        title: info.title.clone(),
        level: info.level,
        tags: info.tags.clone(),
        event: event.ev.event,
        file: event.location.and_then(|l| l.file.clone()),
        line: event.location.map(|l| l.line),
        time: Some(event.ev.time),
        host: ctx.and_then(Packed::host).map(str::to_string),
        user: ctx.and_then(Packed::user).map(str::to_string),
        channel: ctx.and_then(Packed::channel).map(str::to_string),
        event_id: ctx.and_then(|c| c.event_id),
        record: ctx.and_then(|c| c.record),
        evidence: Vec::new(),
        correlation: Some(Box::new(Correlated {
            group: names.iter().cloned().zip(key.iter().map(|k| k.to_string())).collect(),
            window: crate::scan::Window {
                start: f.start,
                end: event.ev.time,
            },
            count: f.count,
            values: f.values,
            value: f.value,
            events: f.events.iter().map(cite).collect(),
            events_omitted: f.omitted,
        })),
    }
}
