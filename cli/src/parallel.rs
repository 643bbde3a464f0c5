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
//! Every rule today is stateless, so any event may go to any worker. Rules
//! that correlate events over time will need each key's events (host,
//! account) on one worker: the batch is where such sharding goes.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use landwatch::{Detection, EventError, Rules, Scanner, Schema};

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

type Results = Vec<(u64, Result<Vec<Detection>, EventError>)>;

/// A scanned batch; `seq` is `None` for what a worker's end of stream gives.
struct Done {
    seq: Option<u64>,
    name: Arc<str>,
    results: Results,
    /// The batch's buffers, emptied, for the reading thread to fill again:
    /// a fresh megabyte per batch cost a regrowth copy of every event and
    /// new pages from the system.
    spare: Option<Batch>,
}

/// Emptied batches kept for reuse.
const SPARES: usize = 16;

pub struct Pool {
    /// The reading thread's own scanner, for batches the queue has no room for.
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
    pub fn new(rules: Arc<Rules>, schema: Schema, threads: usize, ordered: bool) -> Pool {
        let own = Scanner::new(Arc::clone(&rules)).with_schema(schema);
        let workers = threads.saturating_sub(1).max(1);
        let (jobs, queue) = mpsc::sync_channel::<Batch>(QUEUED_PER_WORKER * workers);
        let queue = Arc::new(Mutex::new(queue));
        let (done_tx, done) = mpsc::channel::<Done>();
        let workers = (0..workers)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let done = done_tx.clone();
                let mut scanner = Scanner::new(Arc::clone(&rules)).with_schema(schema);
                std::thread::spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next batch.
                        let next = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => break,
                        };
                        let Ok(batch) = next else { break };
                        if done.send(scan(&mut scanner, batch)).is_err() {
                            return;
                        }
                    }
                    let _ = done.send(flushed(&mut scanner));
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

    /// Queues one event; prints whatever the workers have finished.
    pub fn push(&mut self, name: &str, line: u64, bytes: &[u8], out: &mut Printer, summary: &mut Summary) {
        if !self.batch.lines.is_empty() && *self.batch.name != *name {
            self.send(out, summary);
        }
        if self.batch.lines.is_empty() {
            if self.batch.data.capacity() == 0 {
                if let Some(spare) = self.spares.pop() {
                    self.batch = spare;
                }
            }
            self.batch.name = name.into();
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
                let done = scan(&mut self.own, batch);
                self.take(done, out, summary);
            }
            Err(TrySendError::Disconnected(_)) => self.jobs = None,
        }
    }

    /// Prints a finished batch now, or keeps it until its turn.
    fn take(&mut self, mut d: Done, out: &mut Printer, summary: &mut Summary) {
        self.received += u64::from(d.seq.is_some());
        if let Some(spare) = d.spare.take() {
            if self.spares.len() < SPARES {
                self.spares.push(spare);
            }
        }
        match d.seq {
            Some(seq) if self.ordered => {
                self.waiting.insert(seq, d);
            }
            _ => print(&d, out, summary),
        }
        while let Some(d) = self.waiting.remove(&self.printed) {
            print(&d, out, summary);
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

    /// Scans what is left, prints everything and stops the workers. An error
    /// if a worker stopped early (its batches were not scanned).
    pub fn finish(mut self, out: &mut Printer, summary: &mut Summary) -> Result<(), String> {
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
        print(&flushed(&mut self.own), out, summary);
        if self.received != self.sent {
            return Err(format!("{} of {} batches of events were not scanned", self.sent - self.received, self.sent));
        }
        Ok(())
    }
}

fn scan(scanner: &mut Scanner, mut batch: Batch) -> Done {
    let results = batch
        .events()
        .map(|(line, bytes)| (line, scanner.scan_json(bytes)))
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

/// What a scanner's end of stream completes.
fn flushed(scanner: &mut Scanner) -> Done {
    Done {
        seq: None,
        name: "-".into(),
        results: vec![(0, Ok(scanner.flush()))],
        spare: None,
    }
}

fn print(d: &Done, out: &mut Printer, summary: &mut Summary) {
    for (line, result) in &d.results {
        out.result(result, &d.name, *line, summary);
    }
}
