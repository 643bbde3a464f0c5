//! Scanning on several threads.
//!
//! The reading thread cuts the input into batches of events (raw JSON bytes
//! with their file and line); workers, one [`Scanner`] each over the shared
//! compiled [`Rules`], scan whole batches; the reading thread prints their
//! results, in input order unless asked otherwise. Batches keep the channel
//! traffic to one message per ~2,000 events, and a bounded queue keeps
//! memory flat when workers fall behind.
//!
//! Every rule today is stateless, so any event may go to any worker. Rules
//! that correlate events over time will need each key's events (host,
//! account) on one worker: the batch is where such sharding goes.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use landwatch::{Detection, EventError, Rules, Scanner, Schema};

use crate::output::{Printer, Summary};

/// Events per batch, and bytes: whichever fills first.
const BATCH_EVENTS: usize = 2048;
const BATCH_BYTES: usize = 1 << 20;

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
}

pub struct Pool {
    jobs: Option<SyncSender<Batch>>,
    done: Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    batch: Batch,
    sent: u64,
    received: u64,
    printed: u64,
    waiting: BTreeMap<u64, Done>,
    ordered: bool,
}

impl Pool {
    /// Starts `threads` workers.
    pub fn new(rules: Arc<Rules>, schema: Schema, threads: usize, ordered: bool) -> Pool {
        let (jobs, queue) = mpsc::sync_channel::<Batch>(threads * 2);
        let queue = Arc::new(Mutex::new(queue));
        let (done_tx, done) = mpsc::channel::<Done>();
        let workers = (0..threads)
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
                        let results = batch
                            .events()
                            .map(|(line, bytes)| (line, scanner.scan_json(bytes)))
                            .collect();
                        let reply = Done { seq: Some(batch.seq), name: batch.name, results };
                        if done.send(reply).is_err() {
                            return;
                        }
                    }
                    let results: Results = vec![(0, Ok(scanner.flush()))];
                    let _ = done.send(Done { seq: None, name: "-".into(), results });
                })
            })
            .collect();
        Pool {
            jobs: Some(jobs),
            done,
            workers,
            batch: Batch::default(),
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
        if let Some(jobs) = &self.jobs {
            // Blocks while the queue is full: workers are behind.
            if jobs.send(batch).is_err() {
                self.jobs = None;
            }
        }
    }

    /// Prints finished batches: those ready in order, or all that arrived.
    fn drain(&mut self, block: bool, out: &mut Printer, summary: &mut Summary) -> bool {
        let next = if block { self.done.recv().ok() } else { self.done.try_recv().ok() };
        let Some(first) = next else { return false };
        let mut arrived = vec![first];
        arrived.extend(self.done.try_iter());
        for d in arrived {
            self.received += u64::from(d.seq.is_some());
            match d.seq {
                Some(seq) if self.ordered => {
                    self.waiting.insert(seq, d);
                }
                _ => print(&d, out, summary),
            }
        }
        while let Some(d) = self.waiting.remove(&self.printed) {
            print(&d, out, summary);
            self.printed += 1;
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
        if self.received != self.sent {
            return Err(format!("{} of {} batches of events were not scanned", self.sent - self.received, self.sent));
        }
        Ok(())
    }
}

fn print(d: &Done, out: &mut Printer, summary: &mut Summary) {
    for (line, result) in &d.results {
        match result {
            Ok(detections) => {
                for det in detections {
                    out.detection(det, &d.name, *line, summary);
                }
            }
            Err(e) => summary.reject(&d.name, *line, e),
        }
    }
}
