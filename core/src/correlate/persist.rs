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

use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::plan::{MeasurePlan, Plan};
use super::quantile::Quantile;
use super::window::{percentile, string_bytes, Seeded, Window};
use super::groups::{CorrState, Group, FIFO_BYTES, GROUP_BYTES};
use super::{Correlator, CorrelationStats, Pending, SourceState, Waiting};
use super::window::Entry;
use super::Files;

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
    /// The file names windows cite by index.
    files: Vec<String>,
    pending: Vec<Pending>,
    seq: u64,
    last_time: Option<i64>,
    processed: Option<i64>,
    started: Option<i64>,
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
    Events(Vec<Entry>),
    /// Entries with their folded values; each folded value's latest spelling.
    Distinct(Vec<(Entry, String)>, Vec<(String, String)>),
    /// Entries, and the running sum's bits.
    Numbers(Vec<(Entry, f64)>, u64),
    Quantile(Vec<(Entry, f64)>),
    Temporal(Vec<Option<Entry>>),
    Sequence(Vec<Option<Vec<Entry>>>),
    Seen(Vec<String>),
}

pub(crate) fn save(c: &Correlator, plan: &Plan, counters: Counters) -> Vec<u8> {
    let pending = c.waiting.sorted();
    let corrs = c.corrs.iter().map(save_corr).collect();
    let saved = Saved {
        counters,
        sources: c.sources.clone(),
        files: c.files.names.iter().map(|n| n.to_string()).collect(),
        pending,
        seq: c.seq,
        last_time: c.last_time,
        processed: c.processed,
        started: c.started,
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
        groups,
        fifo: fifo.into_iter().map(|(_, t, id)| (t, id)).collect(),
    }
}

fn save_window(w: &Window) -> SavedWindow {
    match w {
        Window::Events(q) => SavedWindow::Events(q.iter().cloned().collect()),
        Window::Distinct { entries, counts, .. } => {
            let mut spellings: Vec<(String, String)> =
                counts.iter().map(|(k, (_, s))| (k.to_string(), s.to_string())).collect();
            spellings.sort();
            SavedWindow::Distinct(entries.iter().map(|(e, v)| (*e, v.to_string())).collect(), spellings)
        }
        Window::Numbers { entries, sum } => SavedWindow::Numbers(entries.iter().cloned().collect(), sum.to_bits()),
        Window::Quantile { entries, .. } => SavedWindow::Quantile(entries.iter().cloned().collect()),
        Window::Temporal(v) => SavedWindow::Temporal(v.clone()),
        Window::Sequence(v) => SavedWindow::Sequence(v.clone()),
        Window::Seen(s, _) => {
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

/// Counters past this are not a stream's (it would take centuries at any
/// rate): a blob that holds one is damaged, and adding to it could overflow.
const COUNTER_LIMIT: u64 = 1 << 62;

fn build(s: Saved, plan: &Plan) -> Result<Correlator, String> {
    if s.sources.is_empty() {
        return Err("no sources".into());
    }
    let c = &s.counters;
    let t = &s.stats;
    let counters = [
        s.seq, c.events, c.rejected, c.detections, c.evaluations, c.no_value, t.no_time, t.late, t.no_value, t.expired,
        t.evicted, t.forced,
    ];
    if counters.iter().any(|&n| n > COUNTER_LIMIT) {
        return Err("a counter out of range".into());
    }
    if s.corrs.len() != plan.corrs.len() {
        return Err(format!("{} correlations, the rules have {}", s.corrs.len(), plan.corrs.len()));
    }
    for p in &s.pending {
        let Some(packed) = &p.prepared.packed else { continue };
        for f in &packed.feeds {
            let Some(cp) = plan.corrs.get(f.corr as usize) else {
                return Err(format!("a waiting event feeds correlation {}, which does not exist", f.corr));
            };
            let n = cp.steps.len();
            let whole = packed.holds(f, cp.keys.len()) || packed.holds(f, cp.keys.len() + 1);
            if !whole || (n < 64 && f.steps >> n != 0) || f.steps == 0 {
                return Err("a waiting event's feed does not fit its correlation".into());
            }
        }
    }
    let mut c = Correlator::new_empty(s.corrs.len());
    c.sources = s.sources;
    let files = s.files.len();
    c.files = Files::from_names(s.files);
    c.seq = s.seq;
    c.last_time = s.last_time;
    c.processed = s.processed;
    c.started = s.started;
    c.stats = s.stats;
    for (ci, sc) in s.corrs.into_iter().enumerate() {
        let cp = &plan.corrs[ci];
        let mut st = CorrState::default();
        for (gi, g) in sc.groups.into_iter().enumerate() {
            let window = load_window(g.window, &cp.measure)?;
            if !cites_known_files(&window, files) {
                return Err(format!("group {gi} of correlation {ci} cites a file name that is not in the state"));
            }
            if !window.fits(&cp.measure, cp.steps.len()) {
                return Err(format!("group {gi} of correlation {ci} does not fit its measure"));
            }
            let key: Box<[u8]> = g.key.into_boxed_slice();
            if st.index.insert(key.clone(), gi as u32).is_some() {
                return Err(format!("correlation {ci} has a group twice"));
            }
            let bytes = window.bytes();
            c.groups += 1;
            c.bytes += GROUP_BYTES + 2 * key.len() + bytes;
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
            c.bytes += FIFO_BYTES;
        }
        c.corrs.push(st);
    }
    c.waiting = Waiting {
        queue: s.pending.into_iter().collect(),
        heap: BinaryHeap::new(),
    };
    Ok(c)
}

fn load_window(w: SavedWindow, m: &MeasurePlan) -> Result<Window, String> {
    Ok(match w {
        SavedWindow::Events(v) => Window::Events(v.into()),
        SavedWindow::Distinct(entries, spellings) => {
            let spelled: HashMap<String, String> = spellings.into_iter().collect();
            let mut counts: HashMap<Arc<str>, (u32, Box<str>), Seeded> = HashMap::default();
            let mut q = VecDeque::with_capacity(entries.len());
            let mut text = 0;
            for (e, v) in entries {
                let key = match counts.get_key_value(v.as_str()) {
                    Some((k, _)) => Arc::clone(k),
                    None => {
                        let shown = spelled.get(&v).cloned().unwrap_or_else(|| v.clone());
                        text += string_bytes(&v) + string_bytes(&shown);
                        let k: Arc<str> = v.into();
                        counts.insert(Arc::clone(&k), (0, shown.into()));
                        k
                    }
                };
                if let Some(slot) = counts.get_mut(&key) {
                    slot.0 = slot.0.saturating_add(1);
                }
                q.push_back((e, key));
            }
            Window::Distinct { entries: q, counts, text }
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
        SavedWindow::Seen(v) => {
            let text = v.iter().map(|x| string_bytes(x)).sum();
            Window::Seen(v.into_iter().map(String::into_boxed_str).collect::<HashSet<_, Seeded>>(), text)
        }
    })
}

/// Whether every entry's file index is one the state holds (or none).
fn cites_known_files(w: &Window, files: usize) -> bool {
    let ok = |e: &Entry| e.file == u32::MAX || (e.file as usize) < files;
    match w {
        Window::Events(q) => q.iter().all(ok),
        Window::Distinct { entries, .. } => entries.iter().all(|(e, _)| ok(e)),
        Window::Numbers { entries, .. } | Window::Quantile { entries, .. } => entries.iter().all(|(e, _)| ok(e)),
        Window::Temporal(v) => v.iter().flatten().all(ok),
        Window::Sequence(v) => v.iter().flatten().flatten().all(ok),
        Window::Seen(..) => true,
    }
}
