//! Job-level use of a pool, as the REPL and long-running services use it: submit a batch and
//! return at once, look at its status, receive finished records, stop it, clear it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rhai::Dynamic;

use crate::batch::BatchControl;
use crate::error::Error;
use crate::job::{BatchId, JobRecord, JobStatus, StatusCounts};
use crate::pool::RunspacePool;
use crate::script::Script;
use crate::script_vm::ScriptVm;

/// How long [`RunspacePool::receive`] waits for records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
pub struct PoolStatus {
    /// Worker threads.
    pub threads: usize,
    /// The pool's interpreter setting: for [`ScriptVm::Auto`], each script still runs on the
    /// interpreter chosen for it.
    pub vm: ScriptVm,
    /// Submitted jobs waiting for a worker.
    pub queued: u64,
    /// Jobs a worker is running now.
    pub running: u64,
    /// Records per status, over every submitted batch.
    pub counts: StatusCounts,
    /// Finished records not yet received.
    pub unreceived: usize,
    /// Completed jobs per second since the first batch was submitted.
    pub items_per_sec: f64,
}

mod feed;

use feed::feed_batch;

pub(crate) struct Feed {
    pub(crate) read: AtomicU64,
    pub(crate) done: AtomicBool,
}

struct Entry {
    control: Arc<BatchControl>,
    feed: Arc<Feed>,
    counts: StatusCounts,
    submitted: SystemTime,
    /// When its last job ended, as far as the records received tell.
    last_end: Option<SystemTime>,
}

impl Entry {
    fn is_finished(&self) -> bool {
        self.feed.done.load(Ordering::SeqCst)
            && self.counts.total() == self.feed.read.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
struct Table {
    batches: BTreeMap<BatchId, Entry>,
    finished: Vec<JobRecord>,
    first_submit: Option<SystemTime>,
    last_end: Option<SystemTime>,
}

/// The submitted batches of a pool and their finished records.
pub(crate) struct JobTable {
    results_tx: Sender<Vec<JobRecord>>,
    results_rx: Receiver<Vec<JobRecord>>,
    table: Mutex<Table>,
    feeders: Mutex<Vec<JoinHandle<()>>>,
}

impl JobTable {
    pub(crate) fn new() -> Self {
        let (results_tx, results_rx) = crossbeam_channel::unbounded();
        JobTable {
            results_tx,
            results_rx,
            table: Mutex::new(Table::default()),
            feeders: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves records that arrived into the table.
    fn collect(&self, table: &mut Table, first: Option<Vec<JobRecord>>) {
        for records in first.into_iter().chain(self.results_rx.try_iter()) {
            for record in records {
                if let Some(entry) = table.batches.get_mut(&record.batch) {
                    entry.counts.add(record.status);
                    entry.last_end = entry.last_end.max(record.end);
                }
                table.last_end = table.last_end.max(record.end);
                table.finished.push(record);
            }
        }
    }

    pub(crate) fn cancel_all(&self) {
        for entry in self.lock().batches.values() {
            entry.control.cancel();
        }
    }

    pub(crate) fn stop_feeders(&self) {
        let feeders = std::mem::take(&mut *self.feeders.lock().unwrap_or_else(|p| p.into_inner()));
        for feeder in feeders {
            let _ = feeder.join();
        }
    }
}

impl RunspacePool {
    /// Submits a batch: `script` over every item of `items`, with the pool's timeout. Returns
    /// at once; items are fed to the workers from a thread of the batch's own, as they have
    /// room.
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
            table.first_submit.get_or_insert_with(SystemTime::now);
            table.batches.insert(
                control.id,
                Entry {
                    control: control.clone(),
                    feed: feed.clone(),
                    counts: StatusCounts::default(),
                    submitted: SystemTime::now(),
                    last_end: None,
                },
            );
        }
        let id = control.id;
        let shared = self.shared.clone();
        let items = items.into_iter();
        let feeder = std::thread::Builder::new()
            .name(format!("rsparallel-feed-{id}"))
            .spawn(move || {
                feed_batch(items, &control, &sender, &feed, || {
                    shared.shutting_down.load(Ordering::SeqCst)
                })
            })
            .map_err(Error::Spawn)?;
        let mut feeders = self.jobs.feeders.lock().unwrap_or_else(|p| p.into_inner());
        feeders.retain(|f| !f.is_finished());
        feeders.push(feeder);
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
                return take_records(&mut table, options);
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
                        return take_records(&mut table, options);
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

    /// Drops finished records and forgets finished batches. With `cancel`, first stops every
    /// batch, and drops the records of the cancelled jobs too once they are in.
    pub fn clear(&self, cancel: bool) {
        if cancel {
            self.cancel_all();
            let _ = self.receive(None, Wait::Yes);
        }
        let mut table = self.jobs.lock();
        self.jobs.collect(&mut table, None);
        table.finished.clear();
        table.batches.retain(|_, e| !e.is_finished());
    }

    /// A snapshot of the submitted work: counts per status, queued, running, throughput.
    pub fn status(&self) -> PoolStatus {
        let mut table = self.jobs.lock();
        self.jobs.collect(&mut table, None);
        let mut counts = StatusCounts::default();
        let mut outstanding = 0;
        for entry in table.batches.values() {
            counts.merge(&entry.counts);
            outstanding += entry.feed.read.load(Ordering::SeqCst) - entry.counts.total();
        }
        let running = self.shared.clocks.iter().filter(|c| c.is_busy()).count() as u64;
        // Throughput over the time there was work: until now while jobs are outstanding, else
        // until the last job ended, so that an idle pool does not seem to slow down.
        let until = match (outstanding, table.last_end) {
            (0, Some(end)) => end,
            _ => SystemTime::now(),
        };
        let elapsed = table
            .first_submit
            .and_then(|t| until.duration_since(t).ok())
            .map_or(0.0, |d| d.as_secs_f64());
        PoolStatus {
            threads: self.threads(),
            vm: self.vm(),
            queued: outstanding.saturating_sub(running),
            running: running.min(outstanding),
            counts,
            unreceived: table.finished.len(),
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

fn take_records(table: &mut Table, options: Receive) -> Vec<JobRecord> {
    let wanted = |r: &JobRecord| options.batch.is_none_or(|b| b == r.batch);
    let mut taken: Vec<JobRecord> = if options.keep {
        table
            .finished
            .iter()
            .filter(|r| wanted(r))
            .cloned()
            .collect()
    } else {
        let (taken, left) = std::mem::take(&mut table.finished)
            .into_iter()
            .partition(|r| wanted(r));
        table.finished = left;
        taken
    };
    taken.sort_by_key(|r| (r.batch, r.seq));
    taken
}
