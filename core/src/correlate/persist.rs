//! Saving a scanner's correlation state to bytes and restoring it, so that a
//! stream cut in two (a restart, a rotated log) gives the detections of one
//! pass.
//!
//! The blob is `LWSTATE\0`, a format version, the fingerprint of the
//! correlations it was saved with, a CRC-32 of the payload, and the payload
//! (postcard). Groups are written in a canonical order (slots compacted,
//! maps as sorted lists), so that saving a restored state gives the same
//! bytes. Restoring checks everything a hostile blob could get wrong: a
//! foreign or damaged blob is an error, never a panic.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::plan::{MeasurePlan, Plan};
use super::quantile::Quantile;
use super::window::{percentile, Window};
use super::{CorrState, Correlator, CorrelationStats, Group, Pending, SourceState};
use crate::scan::EventRef;

const MAGIC: &[u8; 8] = b"LWSTATE\0";
/// Bumped whenever the payload's shape changes.
pub(crate) const VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 8 + 4;

/// Why saved state could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("not landwatch scanner state")]
    NotState,
    #[error("scanner state of format version {found}; this landwatch reads version {expected}")]
    Version { found: u32, expected: u32 },
    #[error("scanner state saved with other correlation rules (fingerprint {found:016x}, these rules {expected:016x})")]
    OtherRules { found: u64, expected: u64 },
    #[error("scanner state is damaged: {0}")]
    Corrupt(String),
}

#[derive(Serialize, Deserialize)]
struct Saved {
    /// The scanner's own counters (events read, so positions go on).
    counters: Counters,
    sources: Vec<SourceState>,
    pending: Vec<Pending>,
    seq: u64,
    last_time: Option<i64>,
    processed: Option<i64>,
    corrs: Vec<SavedCorr>,
    stats: CorrelationStats,
}

/// The matching half's counters, saved with the state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counters {
    pub events: u64,
    pub rejected: u64,
    pub detections: u64,
    pub evaluations: u64,
    pub no_value: u64,
}

#[derive(Serialize, Deserialize)]
struct SavedCorr {
    learn_from: Option<i64>,
    groups: Vec<SavedGroup>,
    /// (time, group index), oldest first: one per group.
    fifo: Vec<(i64, u32)>,
}

#[derive(Serialize, Deserialize)]
struct SavedGroup {
    key: Vec<u8>,
    touched: i64,
    window: SavedWindow,
}

#[derive(Serialize, Deserialize)]
enum SavedWindow {
    Events(Vec<EventRef>),
    /// Entries with their folded values; each folded value's latest spelling.
    Distinct(Vec<(EventRef, String)>, Vec<(String, String)>),
    /// Entries, and the running sum's bits.
    Numbers(Vec<(EventRef, f64)>, u64),
    Quantile(Vec<(EventRef, f64)>),
    Temporal(Vec<Option<EventRef>>),
    Sequence(Vec<Option<Vec<EventRef>>>),
    Seen(Vec<String>),
}

pub(crate) fn save(c: &Correlator, plan: &Plan, counters: Counters) -> Vec<u8> {
    let mut pending: Vec<Pending> = c.pending.iter().map(|Reverse(p)| p.clone()).collect();
    pending.sort();
    let corrs = c.corrs.iter().map(save_corr).collect();
    let saved = Saved {
        counters,
        sources: c.sources.clone(),
        pending,
        seq: c.seq,
        last_time: c.last_time,
        processed: c.processed,
        corrs,
        stats: c.stats,
    };
    // Serializing plain data into a Vec cannot fail; an empty payload would
    // be refused on restore.
    let payload = postcard::to_stdvec(&saved).unwrap_or_default();
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&plan.fingerprint.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

fn save_corr(c: &CorrState) -> SavedCorr {
    // Live groups in slot order get new, dense indices.
    let mut remap: HashMap<u32, u32> = HashMap::new();
    let mut groups = Vec::new();
    for (i, g) in c.groups.iter().enumerate() {
        if let Some(g) = g {
            remap.insert(i as u32, groups.len() as u32);
            groups.push(SavedGroup {
                key: g.key.to_vec(),
                touched: g.touched,
                window: save_window(&g.window),
            });
        }
    }
    // Each live group's latest FIFO entry, in FIFO order.
    let mut last_at: HashMap<u32, usize> = HashMap::new();
    for (pos, &(t, id, generation)) in c.fifo.iter().enumerate() {
        if c.is_live(id, generation, t) {
            last_at.insert(id, pos);
        }
    }
    let mut fifo: Vec<(usize, i64, u32)> = last_at
        .iter()
        .filter_map(|(id, &pos)| Some((pos, c.fifo[pos].0, *remap.get(id)?)))
        .collect();
    fifo.sort_unstable();
    SavedCorr {
        learn_from: c.learn_from,
        groups,
        fifo: fifo.into_iter().map(|(_, t, id)| (t, id)).collect(),
    }
}

fn save_window(w: &Window) -> SavedWindow {
    match w {
        Window::Events(q) => SavedWindow::Events(q.iter().cloned().collect()),
        Window::Distinct { entries, counts } => {
            let mut spellings: Vec<(String, String)> =
                counts.iter().map(|(k, (_, s))| (k.to_string(), s.to_string())).collect();
            spellings.sort();
            SavedWindow::Distinct(entries.iter().map(|(e, v)| (e.clone(), v.to_string())).collect(), spellings)
        }
        Window::Numbers { entries, sum } => SavedWindow::Numbers(entries.iter().cloned().collect(), sum.to_bits()),
        Window::Quantile { entries, .. } => SavedWindow::Quantile(entries.iter().cloned().collect()),
        Window::Temporal(v) => SavedWindow::Temporal(v.clone()),
        Window::Sequence(v) => SavedWindow::Sequence(v.clone()),
        Window::Seen(s) => {
            let mut v: Vec<String> = s.iter().map(|x| x.to_string()).collect();
            v.sort();
            SavedWindow::Seen(v)
        }
    }
}

pub(crate) fn restore(bytes: &[u8], plan: &Plan) -> Result<(Correlator, Counters), StateError> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(StateError::NotState);
    }
    let word = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if version != VERSION {
        return Err(StateError::Version {
            found: version,
            expected: VERSION,
        });
    }
    let mut fp = [0u8; 8];
    fp.copy_from_slice(&bytes[12..20]);
    let found = u64::from_le_bytes(fp);
    if found != plan.fingerprint {
        return Err(StateError::OtherRules {
            found,
            expected: plan.fingerprint,
        });
    }
    let payload = &bytes[HEADER..];
    if crc32fast::hash(payload) != word(20) {
        return Err(StateError::Corrupt("checksum mismatch".into()));
    }
    let saved: Saved = postcard::from_bytes(payload).map_err(|e| StateError::Corrupt(e.to_string()))?;
    let counters = saved.counters;
    build(saved, plan).map(|c| (c, counters)).map_err(StateError::Corrupt)
}

fn build(s: Saved, plan: &Plan) -> Result<Correlator, String> {
    if s.sources.is_empty() {
        return Err("no sources".into());
    }
    if s.corrs.len() != plan.corrs.len() {
        return Err(format!("{} correlations, the rules have {}", s.corrs.len(), plan.corrs.len()));
    }
    for p in &s.pending {
        for f in &p.prepared.feeds {
            let Some(cp) = plan.corrs.get(f.corr as usize) else {
                return Err(format!("a waiting event feeds correlation {}, which does not exist", f.corr));
            };
            let n = cp.steps.len();
            if f.key.len() != cp.keys.len() || (n < 64 && f.steps >> n != 0) || f.steps == 0 {
                return Err("a waiting event's feed does not fit its correlation".into());
            }
        }
    }
    let mut c = Correlator {
        sources: s.sources,
        pending: BinaryHeap::new(),
        seq: s.seq,
        last_time: s.last_time,
        processed: s.processed,
        corrs: Vec::with_capacity(s.corrs.len()),
        groups: 0,
        bytes: 0,
        stats: s.stats,
    };
    for (ci, sc) in s.corrs.into_iter().enumerate() {
        let cp = &plan.corrs[ci];
        let mut st = CorrState {
            learn_from: sc.learn_from,
            ..CorrState::default()
        };
        for (gi, g) in sc.groups.into_iter().enumerate() {
            let window = load_window(g.window, &cp.measure)?;
            if !window.fits(&cp.measure, cp.steps.len()) {
                return Err(format!("group {gi} of correlation {ci} does not fit its measure"));
            }
            let key: Box<[u8]> = g.key.into_boxed_slice();
            if st.index.insert(key.clone(), gi as u32).is_some() {
                return Err(format!("correlation {ci} has a group twice"));
            }
            let bytes = window.bytes();
            c.groups += 1;
            c.bytes += super::GROUP_BYTES + 2 * key.len() + bytes;
            st.groups.push(Some(Group {
                key,
                touched: g.touched,
                window,
                bytes,
            }));
            st.generations.push(0);
        }
        for (t, id) in sc.fifo {
            if id as usize >= st.groups.len() {
                return Err(format!("correlation {ci}: a queue entry names group {id}, which does not exist"));
            }
            st.fifo.push_back((t, id, 0));
            c.bytes += super::FIFO_BYTES;
        }
        c.corrs.push(st);
    }
    c.pending = s.pending.into_iter().map(Reverse).collect();
    Ok(c)
}

fn load_window(w: SavedWindow, m: &MeasurePlan) -> Result<Window, String> {
    Ok(match w {
        SavedWindow::Events(v) => Window::Events(v.into()),
        SavedWindow::Distinct(entries, spellings) => {
            let spelled: HashMap<String, String> = spellings.into_iter().collect();
            let mut counts: HashMap<Box<str>, (u32, Box<str>)> = HashMap::new();
            let mut q = VecDeque::with_capacity(entries.len());
            for (e, v) in entries {
                let shown = spelled.get(&v).cloned().unwrap_or_else(|| v.clone());
                let slot = counts.entry(v.as_str().into()).or_insert((0, shown.into()));
                slot.0 = slot.0.saturating_add(1);
                q.push_back((e, v.into_boxed_str()));
            }
            Window::Distinct { entries: q, counts }
        }
        SavedWindow::Numbers(entries, bits) => {
            let sum = f64::from_bits(bits);
            if !sum.is_finite() || entries.iter().any(|(_, x)| !x.is_finite()) {
                return Err("a sum that is not a finite number".into());
            }
            Window::Numbers {
                entries: entries.into(),
                sum,
            }
        }
        SavedWindow::Quantile(entries) => {
            if entries.iter().any(|(_, x)| !x.is_finite()) {
                return Err("a value that is not a finite number".into());
            }
            let p = percentile(m);
            let mut q = Quantile::default();
            for (_, x) in &entries {
                q.insert(*x, p);
            }
            Window::Quantile {
                entries: entries.into(),
                q,
            }
        }
        SavedWindow::Temporal(v) => Window::Temporal(v),
        SavedWindow::Sequence(v) => {
            if v.iter().flatten().any(Vec::is_empty) {
                return Err("an empty partial sequence".into());
            }
            Window::Sequence(v)
        }
        SavedWindow::Seen(v) => Window::Seen(v.into_iter().map(String::into_boxed_str).collect::<HashSet<_>>()),
    })
}
