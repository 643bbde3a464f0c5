//! Scanning on several threads.
//!
//! The reading thread cuts the input into batches of events (raw JSON bytes
//! with their file and line); workers, one [`Scanner`] each over the shared
//! compiled [`Rules`], scan whole batches; the reading thread prints their
//! results, in input order unless asked otherwise. Batches keep the channel
//! traffic to one message per ~100 events, and a bounded queue keeps
//! memory flat when workers fall behind.
//!
//! With N threads there are N - 1 workers: reading is light, so when the
//! queue is full the reading thread scans the batch itself instead of
//! waiting. N threads then keep N cores busy without a thread too many.
//!
//! Workers only match ([`Scanner::prepare`]); the reading thread's own
//! scanner correlates the prepared events ([`Scanner::complete`]) in input
//! order, so correlations see the stream as one scanner would, whatever
//! the thread count. With correlation rules, results are therefore always
//! taken in input order (`--unordered` only applies to stateless rules).

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use landwatch::{Event, EventError, Prepared, Rules, ScanOptions, ScanStats, Scanner, SourceId, Zones};

use crate::output::{Printer, Summary};

/// Events per batch, and bytes: whichever fills first. Small enough that a
/// batch is still in the caches when a worker reads what the reading thread
/// just wrote: with 1 MiB batches two threads spent 10% more CPU than with
/// 128 KiB ones (8 interleaved runs, 500k events: median 3.30 s against
/// 2.97 s, wall 1.84 s against 1.68 s).
const BATCH_EVENTS: usize = 256;
const BATCH_BYTES: usize = 128 << 10;
/// Batches queued per worker: with small batches, enough that a worker does
/// not run dry while the reading thread scans one of its own.
const QUEUED_PER_WORKER: usize = 8;

/// Events of one input, concatenated.
#[derive(Default)]
struct Batch {
    seq: u64,
    name: Arc<str>,
    source: Option<SourceId>,
    lines: Vec<u64>,
    ends: Vec<usize>,
    data: Vec<u8>,
}

impl Batch {
    fn events(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.lines
            .iter()
            .zip(starts.zip(self.ends.iter()))
            .map(|(&line, (s, &e))| (line, &self.data[s..e]))
    }
}

type Results = Vec<(u64, Result<Prepared, EventError>)>;

/// A scanned batch; `seq` is `None` for a worker's end.
struct Done {
    seq: Option<u64>,
    name: Arc<str>,
    results: Results,
    /// The batch's buffers, emptied, for the reading thread to fill again:
    /// a fresh megabyte per batch cost a regrowth copy of every event and
    /// new pages from the system.
    spare: Option<Batch>,
}

/// Emptied batches kept for reuse, and the largest buffer kept.
const SPARES: usize = 16;
const SPARE_BYTES: usize = 4 * BATCH_BYTES;

pub struct Pool {
    /// The reading thread's own scanner: it correlates every prepared event,
    /// and matches the batches the queue has no room for.
    own: Scanner,
    jobs: Option<SyncSender<Batch>>,
    done: Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    batch: Batch,
    spares: Vec<Batch>,
    sent: u64,
    received: u64,
    printed: u64,
    waiting: BTreeMap<u64, Done>,
    ordered: bool,
}

impl Pool {
    /// Starts `threads - 1` workers (at least one).
    pub fn new(rules: Arc<Rules>, options: &ScanOptions, zones: Option<Arc<Zones>>, threads: usize, ordered: bool) -> Pool {
        let ordered = ordered || rules.correlation_count() > 0;
        let mut own = Scanner::with_options(Arc::clone(&rules), options.clone());
        if let Some(z) = zones {
            own = own.with_zones(z);
        }
        let workers = threads.saturating_sub(1).max(1);
        let (jobs, queue) = mpsc::sync_channel::<Batch>(QUEUED_PER_WORKER * workers);
        let queue = Arc::new(Mutex::new(queue));
        let (done_tx, done) = mpsc::channel::<Done>();
        let workers = (0..workers)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let done = done_tx.clone();
                let mut scanner = Scanner::with_options(Arc::clone(&rules), options.clone());
                std::thread::spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next batch.
                        let next = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => break,
                        };
                        let Ok(batch) = next else { break };
                        if done.send(prepare(&mut scanner, batch)).is_err() {
                            return;
                        }
                    }
                    let _ = done.send(Done {
                        seq: None,
                        name: "-".into(),
                        results: Vec::new(),
                        spare: None,
                    });
                })
            })
            .collect();
        Pool {
            own,
            jobs: Some(jobs),
            done,
            workers,
            batch: Batch::default(),
            spares: Vec::new(),
            sent: 0,
            received: 0,
            printed: 0,
            waiting: BTreeMap::new(),
            ordered,
        }
    }

    /// The scanner that correlates.
    pub fn correlator(&mut self) -> &mut Scanner {
        &mut self.own
    }

    /// Queues one event; prints whatever the workers have finished.
    pub fn push(&mut self, name: &Arc<str>, source: Option<SourceId>, line: u64, bytes: &[u8], out: &mut Printer, summary: &mut Summary) {
        if !self.batch.lines.is_empty() && (*self.batch.name != **name || self.batch.source != source) {
            self.send(out, summary);
        }
        if self.batch.lines.is_empty() {
            if self.batch.data.capacity() == 0 {
                if let Some(spare) = self.spares.pop() {
                    self.batch = spare;
                }
            }
            self.batch.name = Arc::clone(name);
            self.batch.source = source;
        }
        self.batch.data.extend_from_slice(bytes);
        self.batch.ends.push(self.batch.data.len());
        self.batch.lines.push(line);
        if self.batch.lines.len() >= BATCH_EVENTS || self.batch.data.len() >= BATCH_BYTES {
            self.send(out, summary);
        }
    }

    fn send(&mut self, out: &mut Printer, summary: &mut Summary) {
        let mut batch = std::mem::take(&mut self.batch);
        batch.seq = self.sent;
        self.sent += 1;
        self.drain(false, out, summary);
        let Some(jobs) = &self.jobs else { return };
        match jobs.try_send(batch) {
            Ok(()) => {}
            // Workers are busy: scan this one here rather than wait.
            Err(TrySendError::Full(batch)) => {
                let done = prepare(&mut self.own, batch);
                self.take(done, out, summary);
            }
            Err(TrySendError::Disconnected(_)) => self.jobs = None,
        }
    }

    /// Prints a finished batch now, or keeps it until its turn.
    fn take(&mut self, mut d: Done, out: &mut Printer, summary: &mut Summary) {
        self.received += u64::from(d.seq.is_some());
        if let Some(spare) = d.spare.take() {
            // A batch grown by a huge event is not kept: spares holding
            // 16 MB each made peak memory grow with the count of huge lines.
            if self.spares.len() < SPARES && spare.data.capacity() <= SPARE_BYTES {
                self.spares.push(spare);
            }
        }
        match d.seq {
            Some(seq) if self.ordered => {
                self.waiting.insert(seq, d);
            }
            _ => complete(&mut self.own, d, out, summary),
        }
        while let Some(d) = self.waiting.remove(&self.printed) {
            complete(&mut self.own, d, out, summary);
            self.printed += 1;
        }
    }

    /// Prints finished batches: those ready in order, or all that arrived.
    fn drain(&mut self, block: bool, out: &mut Printer, summary: &mut Summary) -> bool {
        let next = if block { self.done.recv().ok() } else { self.done.try_recv().ok() };
        let Some(first) = next else { return false };
        let mut arrived = vec![first];
        arrived.extend(self.done.try_iter());
        for d in arrived {
            self.take(d, out, summary);
        }
        true
    }

    /// Sends the batch being filled and prints every batch sent, waiting
    /// for the workers (at the end of an input, before its source closes).
    pub fn drain_all(&mut self, out: &mut Printer, summary: &mut Summary) {
        if !self.batch.lines.is_empty() {
            self.send(out, summary);
        }
        while self.received < self.sent {
            if !self.drain(true, out, summary) {
                break;
            }
        }
    }

    /// Scans what is left, prints everything and stops the workers. An error
    /// if a worker stopped early (its batches were not scanned).
    pub fn finish(mut self, out: &mut Printer, summary: &mut Summary) -> Result<ScanStats, String> {
        if !self.batch.lines.is_empty() {
            self.send(out, summary);
        }
        self.jobs = None;
        // Until every worker has hung up its end of the channel.
        while self.drain(true, out, summary) {}
        for w in self.workers.drain(..) {
            if w.join().is_err() {
                return Err("a scanning thread failed".into());
            }
        }
        out.detections(&self.own.flush(), summary);
        if self.received != self.sent {
            return Err(format!("{} of {} batches of events were not scanned", self.sent - self.received, self.sent));
        }
        Ok(self.own.stats())
    }
}

/// The matching half of a batch.
fn prepare(scanner: &mut Scanner, mut batch: Batch) -> Done {
    let name = Arc::clone(&batch.name);
    let source = batch.source;
    let results = batch
        .events()
        .map(|(line, bytes)| {
            let mut ev = Event::json(bytes).at(Some(&name), line);
            if let Some(s) = source {
                ev = ev.from_source(s);
            }
            (line, scanner.prepare(&ev))
        })
        .collect();
    let name = std::mem::replace(&mut batch.name, Arc::from(""));
    batch.lines.clear();
    batch.ends.clear();
    batch.data.clear();
    Done {
        seq: Some(batch.seq),
        name,
        results,
        spare: Some(batch),
    }
}

/// The correlating half of a batch, in input order, and its printing.
fn complete(scanner: &mut Scanner, d: Done, out: &mut Printer, summary: &mut Summary) {
    for (line, result) in d.results {
        match result {
            Ok(p) => out.detections(&scanner.complete(p), summary),
            Err(e) => summary.reject(&d.name, line, &e),
        }
    }
}
