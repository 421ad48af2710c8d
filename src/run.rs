//! A streaming run: items pulled lazily into the pool's queue, records handed back as jobs
//! finish, optionally in input order through a bounded reorder window.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Select, TrySendError};
use rhai::Dynamic;

use crate::batch::{BatchControl, Chunk, MAX_CHUNK};
use crate::error::Error;
use crate::job::{BatchId, JobError, JobRecord, JobStatus, StatusCounts};
use crate::pool::RunspacePool;
use crate::script::Script;
use crate::source::{Read, Source};

/// An input item that could not be read (bad JSON, a ragged CSV row, invalid UTF-8). It still
/// gets a record, `failed`, carrying its raw text and the reason.
#[derive(Clone, Debug)]
pub struct UnreadableItem {
    /// The raw input, as well as it could be decoded.
    pub raw: Dynamic,
    /// Why it could not be read, naming its input line.
    pub error: JobError,
}

/// Options of one [`RunspacePool::run_with`].
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Hand records back in input order. Default: `false` (as they finish).
    pub keep_order: bool,
    /// The most records held back waiting for an earlier one, when `keep_order` is set; input
    /// is not read further until the earliest outstanding job finishes. Default: 65,536.
    pub reorder_window: usize,
    /// A timeout for this run's jobs, instead of the pool's.
    pub timeout: Option<Duration>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            keep_order: false,
            reorder_window: 65_536,
            timeout: None,
        }
    }
}

/// A handle that cancels a run from another thread (a signal handler, a UI).
#[derive(Clone)]
pub struct RunCanceller {
    batch: Arc<BatchControl>,
    /// Wakes a run waiting on a silent channel source.
    wake: crossbeam_channel::Sender<()>,
}

impl RunCanceller {
    /// Stops the run: no more input is read, queued jobs are recorded as `cancelled`, running
    /// ones end at their next operation. The run's iterator still yields every record.
    pub fn cancel(&self) {
        self.batch.cancel();
        let _ = self.wake.try_send(());
    }
}

/// The records of a run, yielded as jobs finish (or in input order with
/// [`RunOptions::keep_order`]). Items are read from the input only as the pool has room for
/// them. Dropping the run early cancels its remaining jobs.
pub struct Run<'pool, I> {
    pool: &'pool RunspacePool,
    batch: Arc<BatchControl>,
    results: Receiver<Vec<JobRecord>>,
    source: Source<I>,
    /// A chunk read from the input that the queue has not taken yet.
    pending: Option<Chunk>,
    next_seq: u64,
    outstanding: u64,
    keep_order: bool,
    window: u64,
    /// Unordered: finished records. Ordered: slot `i` holds seq `next_emit + i` when finished.
    ready: VecDeque<Option<JobRecord>>,
    next_emit: u64,
    counts: StatusCounts,
    idle: Option<Box<dyn FnMut() + 'pool>>,
    yielded_since_idle: bool,
    wake: (crossbeam_channel::Sender<()>, Receiver<()>),
}

impl RunspacePool {
    /// Runs `script` over `items`, streaming a record for each as it finishes.
    ///
    /// Fails only if the pool is shut down; per-item failures are records.
    pub fn run<I>(
        &self,
        script: &Script,
        items: I,
    ) -> Result<Run<'_, impl Iterator<Item = Result<Dynamic, UnreadableItem>>>, Error>
    where
        I: IntoIterator,
        I::Item: Into<Dynamic>,
    {
        self.run_with(
            script,
            items.into_iter().map(|item| Ok(item.into())),
            RunOptions::default(),
        )
    }

    /// Runs `script` over items that may have failed to be read, with options. An unreadable
    /// item becomes a `failed` record with its own sequence number, in its place.
    pub fn run_with<I>(
        &self,
        script: &Script,
        items: I,
        options: RunOptions,
    ) -> Result<Run<'_, I::IntoIter>, Error>
    where
        I: IntoIterator<Item = Result<Dynamic, UnreadableItem>>,
    {
        self.sender()?;
        let (tx, rx) = crossbeam_channel::bounded(self.threads() * 4);
        let batch = self.new_batch(script, options.timeout, tx);
        Ok(Run {
            pool: self,
            batch,
            results: rx,
            source: Source::Iter(items.into_iter()),
            pending: None,
            next_seq: 0,
            outstanding: 0,
            keep_order: options.keep_order,
            window: options.reorder_window.max(1) as u64,
            ready: VecDeque::new(),
            next_emit: 0,
            counts: StatusCounts::default(),
            idle: None,
            yielded_since_idle: false,
            wake: crossbeam_channel::bounded(1),
        })
    }
}

impl RunspacePool {
    /// Runs `script` over items sent on a channel, as they arrive: records stream back while
    /// the channel is silent, and the run ends once every sender is dropped and every job is
    /// done.
    pub fn run_receiver(
        &self,
        script: &Script,
        items: Receiver<Result<Dynamic, UnreadableItem>>,
        options: RunOptions,
    ) -> Result<Run<'_, std::iter::Empty<Result<Dynamic, UnreadableItem>>>, Error> {
        let mut run = self.run_with(script, std::iter::empty(), options)?;
        run.source = Source::Channel {
            items,
            lookahead: None,
        };
        Ok(run)
    }
}

impl<'pool, I> Run<'pool, I>
where
    I: Iterator<Item = Result<Dynamic, UnreadableItem>>,
{
    /// Calls `hook` whenever the run is about to wait for jobs to finish, after it has yielded
    /// records since the last call: the moment for a writer to flush what it buffered, so
    /// output never sits unseen while the pool works.
    pub fn on_idle(&mut self, hook: impl FnMut() + 'pool) {
        self.idle = Some(Box::new(hook));
    }

    fn before_waiting(&mut self) {
        if self.yielded_since_idle {
            self.yielded_since_idle = false;
            if let Some(idle) = self.idle.as_mut() {
                idle();
            }
        }
    }

    /// The run's batch id, as it appears in its records.
    pub fn batch(&self) -> BatchId {
        self.batch.id
    }

    /// A handle to cancel the run from elsewhere.
    pub fn canceller(&self) -> RunCanceller {
        RunCanceller {
            batch: self.batch.clone(),
            wake: self.wake.0.clone(),
        }
    }

    /// Counts per status of the records yielded so far.
    pub fn counts(&self) -> StatusCounts {
        self.counts
    }

    fn accept(&mut self, record: JobRecord) {
        if self.keep_order {
            let slot = (record.seq - self.next_emit) as usize;
            if self.ready.len() <= slot {
                self.ready.resize_with(slot + 1, || None);
            }
            self.ready[slot] = Some(record);
        } else {
            self.ready.push_back(Some(record));
        }
    }

    fn pop_ready(&mut self) -> Option<JobRecord> {
        match self.ready.front() {
            Some(Some(_)) => {
                let record = self.ready.pop_front().flatten()?;
                self.next_emit += 1;
                self.counts.add(record.status);
                self.yielded_since_idle = true;
                Some(record)
            }
            _ => None,
        }
    }

    /// Reads the next chunk of input, sized to the batch's observed job time. Unreadable items
    /// become records right away. A channel source gives what it has, without waiting.
    fn read_chunk(&mut self) {
        if self.batch.is_cancelled() {
            self.source.end();
            return;
        }
        let mut size = self.batch.chunk_size().min(MAX_CHUNK);
        if self.keep_order {
            let room = (self.next_emit + self.window).saturating_sub(self.next_seq);
            size = size.min(room as usize);
            if size == 0 {
                return;
            }
        }
        let mut jobs = Vec::with_capacity(size.min(64));
        while jobs.len() < size {
            match self.source.read() {
                Read::Item(Ok(item)) => jobs.push((self.next_seq, item)),
                Read::Item(Err(bad)) => {
                    let record = JobRecord::not_run(
                        self.batch.id,
                        self.next_seq,
                        bad.raw,
                        JobStatus::Failed,
                        bad.error,
                    );
                    self.next_seq += 1;
                    self.accept(record);
                    break;
                }
                Read::WouldBlock | Read::Ended => break,
            }
            self.next_seq += 1;
        }
        if !jobs.is_empty() {
            self.pending = Some(Chunk {
                batch: self.batch.clone(),
                jobs,
            });
        }
    }

    fn absorb(&mut self, records: Vec<JobRecord>) {
        self.outstanding -= records.len() as u64;
        for record in records {
            self.accept(record);
        }
    }

    /// Turns a chunk the queue never took into `cancelled` records: its items were read.
    fn cancel_pending(&mut self) {
        if let Some(chunk) = self.pending.take() {
            for (seq, item) in chunk.jobs {
                self.accept(JobRecord::not_run(
                    self.batch.id,
                    seq,
                    item,
                    JobStatus::Cancelled,
                    JobError::new("cancelled before it started"),
                ));
            }
        }
    }
}

impl<I> Iterator for Run<'_, I>
where
    I: Iterator<Item = Result<Dynamic, UnreadableItem>>,
{
    type Item = JobRecord;

    fn next(&mut self) -> Option<JobRecord> {
        loop {
            if let Some(record) = self.pop_ready() {
                return Some(record);
            }
            if self.batch.is_cancelled() && (!self.source.is_ended() || self.pending.is_some()) {
                self.source.end();
                self.cancel_pending();
                continue;
            }
            if self.pending.is_none() && !self.source.is_ended() {
                let before = self.next_seq;
                self.read_chunk();
                if self.pending.is_none() && self.next_seq != before {
                    // Only an unreadable item: it is a record now.
                    continue;
                }
            }
            let sender = self
                .pool
                .job_tx
                .as_ref()
                .expect("a pool takes work until it is dropped, and a run borrows it");
            match self.pending.take() {
                Some(chunk) => {
                    let count = chunk.jobs.len() as u64;
                    let chunk = match sender.try_send(chunk) {
                        Ok(()) => {
                            self.outstanding += count;
                            continue;
                        }
                        Err(TrySendError::Full(chunk)) => chunk,
                        Err(TrySendError::Disconnected(_)) => return None,
                    };
                    self.before_waiting();
                    // Wait for whichever comes first: room in the queue, or finished records.
                    let mut select = Select::new();
                    let send_op = select.send(sender);
                    select.recv(&self.results);
                    let op = select.select();
                    if op.index() == send_op {
                        op.send(sender, chunk).ok()?;
                        self.outstanding += count;
                    } else {
                        self.pending = Some(chunk);
                        let records = op.recv(&self.results).ok()?;
                        self.absorb(records);
                    }
                }
                None if self.source.waiting_channel().is_some() => {
                    // Wait for whichever comes first: more input, or finished records.
                    self.before_waiting();
                    let items = self.source.waiting_channel().expect("checked above");
                    let mut select = Select::new();
                    let input_op = select.recv(items);
                    let wake_op = select.recv(&self.wake.1);
                    if self.outstanding > 0 {
                        select.recv(&self.results);
                    }
                    let op = select.select();
                    if op.index() == input_op {
                        let item = op.recv(items).ok();
                        self.source.received(item);
                    } else if op.index() == wake_op {
                        // Cancelled: the loop's next turn ends the input.
                        let _ = op.recv(&self.wake.1);
                    } else {
                        let records = op.recv(&self.results).ok()?;
                        self.absorb(records);
                    }
                }
                None if self.outstanding > 0 => {
                    let records = match self.results.try_recv() {
                        Ok(records) => records,
                        Err(_) => {
                            self.before_waiting();
                            self.results.recv().ok()?
                        }
                    };
                    self.absorb(records);
                }
                None => return None,
            }
        }
    }
}

impl<I> Drop for Run<'_, I> {
    fn drop(&mut self) {
        // Records nobody will read: stop the jobs that would make them.
        self.batch.cancel();
    }
}
