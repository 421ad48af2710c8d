//! Job-level use of a pool, as the REPL and long-running services use it: submit a batch and
//! return at once, look at its status, receive finished records, stop it, clear it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rhai::Dynamic;

use crate::error::Error;
use crate::job::{BatchId, JobRecord, JobStatus, StatusCounts};
use crate::pool::RunspacePool;
use crate::script::Script;
use crate::script_vm::ScriptVm;

/// How long [`RunspacePool::receive`] waits for records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Wait {
    /// Take what has finished and return at once.
    No,
    /// Wait until every selected batch has finished.
    Yes,
    /// Wait until every selected batch has finished, or this long, whichever is first.
    For(Duration),
}

/// Which records [`RunspacePool::receive_with`] takes.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Receive {
    /// Only this batch's records; `None`: every batch's.
    pub batch: Option<BatchId>,
    /// How long to wait for the batches to finish.
    pub wait: Wait,
    /// Leave the records in the pool, so a later receive sees them again.
    pub keep: bool,
}

/// What one submitted batch has done so far.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BatchSummary {
    /// The batch.
    pub id: BatchId,
    /// The script's name.
    pub script: String,
    /// Items taken from the batch's input so far.
    pub items: u64,
    /// Records per status so far.
    pub counts: StatusCounts,
    /// Whether every item has its record.
    pub finished: bool,
    /// Seconds since the batch was submitted, until it finished.
    pub elapsed: Duration,
}

/// A snapshot of a pool's work.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PoolStatus {
    /// Worker threads.
    pub threads: usize,
    /// The pool's interpreter setting: for [`ScriptVm::Auto`], each script still runs on the
    /// interpreter chosen for it.
    pub vm: ScriptVm,
    /// Submitted jobs waiting for a worker.
    pub queued: u64,
    /// Jobs a worker is running now, of submitted batches and streaming runs alike.
    pub running: u64,
    /// Records per status, over every submitted batch.
    pub counts: StatusCounts,
    /// Finished records not yet received.
    pub unreceived: usize,
    /// Completed jobs per second over the time submitted jobs were outstanding.
    pub items_per_sec: f64,
    /// Records per status of every job the workers took, of submitted batches and streaming
    /// runs alike, since the pool started (a clear does not reset them).
    pub all_jobs: StatusCounts,
}

mod feed;

mod table;

use feed::{Feeder, Submission};
use table::{Entry, Table};

pub(crate) struct Feed {
    pub(crate) read: AtomicU64,
    pub(crate) done: AtomicBool,
}

/// The submitted batches of a pool and their finished records.
pub(crate) struct JobTable {
    results_tx: Sender<Vec<JobRecord>>,
    results_rx: Receiver<Vec<JobRecord>>,
    table: Mutex<Table>,
    feeder: Feeder,
}

impl JobTable {
    pub(crate) fn new() -> Self {
        let (results_tx, results_rx) = crossbeam_channel::unbounded();
        JobTable {
            results_tx,
            results_rx,
            table: Mutex::new(Table::default()),
            feeder: Feeder::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves records that arrived into the table.
    fn collect(&self, table: &mut Table, first: Option<Vec<JobRecord>>) {
        for records in first.into_iter().chain(self.results_rx.try_iter()) {
            table.absorb(records);
        }
        table.settle_busy();
    }

    pub(crate) fn cancel_all(&self) {
        for entry in self.lock().batches.values() {
            entry.control.cancel();
        }
    }

    pub(crate) fn stop_feeders(&self) {
        self.feeder.stop();
    }
}

impl RunspacePool {
    /// Submits a batch: `script` over every item of `items`, with the pool's timeout. Returns
    /// at once; the pool's feeder thread reads the items into the queue as the workers have
    /// room, a chunk of each submitted batch in turn. `items` must not block waiting for
    /// items to come: give those to [`RunspacePool::run_receiver`].
    pub fn submit<I>(&self, script: &Script, items: I) -> Result<BatchId, Error>
    where
        I: IntoIterator<Item = Dynamic>,
        I::IntoIter: Send + 'static,
    {
        self.submit_with_timeout(script, items, None)
    }

    /// Like [`RunspacePool::submit`], with this batch's own per-job timeout.
    pub fn submit_with_timeout<I>(
        &self,
        script: &Script,
        items: I,
        timeout: Option<Duration>,
    ) -> Result<BatchId, Error>
    where
        I: IntoIterator<Item = Dynamic>,
        I::IntoIter: Send + 'static,
    {
        let sender = self.sender()?.clone();
        let control = self.new_batch(script, timeout, self.jobs.results_tx.clone());
        let feed = Arc::new(Feed {
            read: AtomicU64::new(0),
            done: AtomicBool::new(false),
        });
        {
            let mut table = self.jobs.lock();
            table.insert(Entry {
                control: control.clone(),
                feed: feed.clone(),
                counts: StatusCounts::default(),
                submitted: SystemTime::now(),
                last_end: None,
            });
        }
        let id = control.id;
        let shared = self.shared.clone();
        let submission = Submission {
            control,
            feed,
            items: Box::new(items.into_iter()),
            read: 0,
        };
        let shutting_down = Arc::new(move || shared.shutting_down.load(Ordering::SeqCst));
        self.jobs
            .feeder
            .submit(submission, &sender, shutting_down)
            .map_err(Error::Spawn)?;
        Ok(id)
    }

    /// Takes the finished records of `batch` (or of every batch), waiting as `wait` says, and
    /// removes them from the pool. Records come sorted by batch and sequence number.
    pub fn receive(&self, batch: impl Into<Option<BatchId>>, wait: Wait) -> Vec<JobRecord> {
        self.receive_with(Receive {
            batch: batch.into(),
            wait,
            keep: false,
        })
    }

    /// Takes finished records as `options` say. A batch of another pool has none here.
    pub fn receive_with(&self, options: Receive) -> Vec<JobRecord> {
        if options.batch.is_some_and(|b| !b.is_of(self.id)) {
            return Vec::new();
        }
        let deadline = match options.wait {
            // A wait past what an `Instant` can hold waits for the jobs, as `Wait::Finished`.
            Wait::For(d) => Instant::now().checked_add(d),
            _ => None,
        };
        let mut arrived = None;
        loop {
            let mut table = self.jobs.lock();
            self.jobs.collect(&mut table, arrived.take());
            let all_done = table
                .batches
                .iter()
                .filter(|(id, _)| options.batch.is_none_or(|b| b == **id))
                .all(|(_, e)| e.is_finished());
            if options.wait == Wait::No || all_done {
                return table.take(options);
            }
            drop(table);
            // Records, and the empty message a feeder sends when it finishes, wake this up.
            // The slice bounds the wait should another receiver take that message first.
            let slice = Duration::from_millis(250);
            let wait = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        let mut table = self.jobs.lock();
                        self.jobs.collect(&mut table, None);
                        return table.take(options);
                    }
                    left.min(slice)
                }
                None => slice,
            };
            match self.jobs.results_rx.recv_timeout(wait) {
                Ok(records) => arrived = Some(records),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => unreachable!("the table holds a sender"),
            }
        }
    }

    /// Stops a submitted batch: its unread items and queued jobs are recorded as `cancelled`,
    /// its running jobs end at their next operation. Returns `false` for an unknown batch, or one of another pool.
    pub fn stop(&self, batch: BatchId) -> bool {
        if !batch.is_of(self.id) {
            return false;
        }
        match self.jobs.lock().batches.get(&batch) {
            Some(entry) => {
                entry.control.cancel();
                true
            }
            None => false,
        }
    }

    /// Forgets the finished batches and their records, and resets the counts and rate of
    /// [`status`](RunspacePool::status); batches still running keep their records. With
    /// `cancel`, first stops every batch, and forgets them all once their records are in.
    pub fn clear(&self, cancel: bool) {
        if cancel {
            self.cancel_all();
            let _ = self.receive(None, Wait::Yes);
        }
        let mut table = self.jobs.lock();
        self.jobs.collect(&mut table, None);
        table.clear();
    }

    /// A snapshot of the submitted work: counts per status, queued, running, throughput.
    pub fn status(&self) -> PoolStatus {
        let mut table = self.jobs.lock();
        self.jobs.collect(&mut table, None);
        let counts = table.counts;
        let outstanding = table.outstanding();
        let running = self.shared.clocks.iter().filter(|c| c.is_busy()).count() as u64;
        // Throughput over the time jobs were outstanding: neither an idle gap nor the time
        // before a clear lowers it.
        let elapsed = table.busy().as_secs_f64();
        PoolStatus {
            threads: self.threads(),
            vm: self.vm(),
            queued: outstanding.saturating_sub(running),
            running,
            counts,
            unreceived: table.finished.len(),
            all_jobs: self.shared.worked(),
            items_per_sec: if elapsed > 0.0 {
                counts.get(JobStatus::Completed) as f64 / elapsed
            } else {
                0.0
            },
        }
    }

    /// A summary of every batch the pool still knows (not yet cleared).
    pub fn batches(&self) -> Vec<BatchSummary> {
        let mut table = self.jobs.lock();
        self.jobs.collect(&mut table, None);
        table
            .batches
            .values()
            .map(|e| BatchSummary {
                id: e.control.id,
                script: e.control.script.name().to_string(),
                items: e.feed.read.load(Ordering::SeqCst),
                counts: e.counts,
                finished: e.is_finished(),
                elapsed: match (e.is_finished(), e.last_end) {
                    (true, Some(end)) => end.duration_since(e.submitted).unwrap_or_default(),
                    _ => e.submitted.elapsed().unwrap_or_default(),
                },
            })
            .collect()
    }
}
