//! A streaming run: items pulled lazily into the pool's queue, records handed back as jobs
//! finish (or in input order), with retries, halting and a global deadline.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Select, SelectedOperation, Sender, TrySendError};
use rhai::Dynamic;

use crate::batch::{BatchControl, Chunk, HaltWatch, MAX_CHUNK, QueuedJob};
use crate::error::Error;
use crate::input::UnreadableItem;
use crate::job::{BatchId, JobRecord, JobStatus, StatusCounts};
use crate::pool::RunspacePool;
use crate::run_options::RunOptions;
use crate::script::Script;
use crate::source::{Read, Source};
use crate::window::Window;

mod stopping;

/// What [`Run::next_event`] hands back.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunEvent {
    /// A job's record.
    Record(JobRecord),
    /// The run is about to wait for jobs, after handing back records since it last waited:
    /// the moment to flush what was buffered of them.
    Idle,
}

// An event is moved as cheaply as a record: the idle case takes a spare value of the record.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Option<RunEvent>>() <= 128);

/// A handle that cancels a run from another thread (a signal handler, a UI).
#[derive(Clone)]
pub struct RunCanceller {
    batch: Arc<BatchControl>,
    /// Wakes a run waiting on a silent channel source.
    wake: Sender<()>,
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
    /// Failed tries waiting to be retried; each keeps its record in case the run stops first.
    retry: VecDeque<JobRecord>,
    next_seq: u64,
    outstanding: u64,
    window: Window,
    options: RunOptions,
    deadline: Option<Instant>,
    /// Why the run stopped early, for the records of the jobs it did not run.
    stop_reason: Option<String>,
    counts: StatusCounts,
    idle: Option<Box<dyn FnMut() + Send + 'pool>>,
    yielded_since_idle: bool,
    /// Whether the caller takes [`RunEvent::Idle`] ([`Run::next_event`]).
    report_idle: bool,
    wake: (Sender<()>, Receiver<()>),
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
        let mut batch = self.new_batch(script, options.timeout, tx);
        if let Some(policy) = options.halt {
            // The workers judge the policy as each job ends (`BatchControl::judge`).
            let watch = HaltWatch::new(policy, options.retries, &options.retry_on);
            BatchControl::watch_halt(&mut batch, watch);
        }
        Ok(Run {
            pool: self,
            batch,
            results: rx,
            source: Source::Iter(items.into_iter()),
            pending: None,
            retry: VecDeque::new(),
            next_seq: 0,
            outstanding: 0,
            window: Window::new(options.keep_order),
            // A deadline past what an `Instant` can hold is never reached: none.
            deadline: options
                .total_timeout
                .and_then(|t| Instant::now().checked_add(t)),
            options,
            stop_reason: None,
            counts: StatusCounts::default(),
            idle: None,
            yielded_since_idle: false,
            report_idle: false,
            wake: crossbeam_channel::bounded(1),
        })
    }

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

    /// Why the run stopped early (halted, or past its total timeout), if it did.
    pub fn stop_reason(&self) -> Option<&str> {
        self.stop_reason.as_deref()
    }

    /// Calls `hook` whenever the run is about to wait for jobs to finish, after it has yielded
    /// records since the last call: the moment for a writer to flush what it buffered, so
    /// output never sits unseen while the pool works.
    pub fn on_idle(&mut self, hook: impl FnMut() + Send + 'pool) {
        self.idle = Some(Box::new(hook));
    }

    /// The next record, or [`RunEvent::Idle`] when the run is about to wait for jobs after it
    /// has handed back records: the same moment as [`on_idle`](Run::on_idle), for a caller
    /// whose writer the hook could not share. `None` once every record is out.
    pub fn next_event(&mut self) -> Option<RunEvent> {
        if let Some(record) = self.window.pop() {
            return Some(RunEvent::Record(self.yield_record(record)));
        }
        self.report_idle = true;
        let event = self.wait_for_event();
        self.report_idle = false;
        event
    }

    /// Calls the idle hook, if records were handed back since the last call; `true` when the
    /// caller of [`next_event`](Run::next_event) is to hear of it now.
    fn before_waiting(&mut self) -> bool {
        if !self.yielded_since_idle {
            return false;
        }
        self.yielded_since_idle = false;
        if let Some(idle) = self.idle.as_mut() {
            idle();
        }
        self.report_idle
    }

    /// Reads the next chunk: retries first, then input, sized to the batch's observed job
    /// time. Unreadable items become records at once; items the run does not select are passed
    /// over. A channel source gives what it has, without waiting.
    fn read_chunk(&mut self) {
        let size = self.batch.chunk_size().min(MAX_CHUNK);
        let mut jobs = Vec::with_capacity(size.min(64));
        while jobs.len() < size {
            let Some(record) = self.retry.pop_front() else {
                break;
            };
            jobs.push(QueuedJob {
                seq: record.seq,
                item: record.item,
                attempt: record.attempts + 1,
            });
        }
        let window_end = self.window.next_seq() + self.options.reorder_window.max(1) as u64;
        while jobs.len() < size && (!self.options.keep_order || self.next_seq < window_end) {
            let read = self.source.read();
            let Read::Item(item) = read else {
                break;
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            if self.options.select.as_ref().is_some_and(|s| !s.keeps(seq)) {
                self.window.omit(seq);
                continue;
            }
            match item {
                Ok(item) => jobs.push(QueuedJob::first(seq, item)),
                Err(bad) => {
                    let (status, raw) = (JobStatus::Failed, bad.raw);
                    let mut record = JobRecord::not_run(self.batch.id, seq, raw, status, bad.error);
                    // A failure like any other to the halt policy.
                    self.batch.judge(&mut record);
                    self.finish(record);
                    if self.batch.is_stopped() {
                        break;
                    }
                }
            }
        }
        if !jobs.is_empty() {
            self.pending = Some(Chunk {
                batch: self.batch.clone(),
                jobs,
            });
        }
    }

    /// Waits for one of the selected operations, or the run's deadline.
    fn wait<'a>(&self, select: &mut Select<'a>) -> Option<SelectedOperation<'a>> {
        match self.deadline {
            Some(deadline) => select.select_deadline(deadline).ok(),
            None => Some(select.select()),
        }
    }
}

impl<I> Iterator for Run<'_, I>
where
    I: Iterator<Item = Result<Dynamic, UnreadableItem>>,
{
    type Item = JobRecord;

    // The common case, a record ready to hand back, is kept small enough to inline into the
    // caller's loop: a record then moves once, not through the frames of the whole run.
    #[inline]
    fn next(&mut self) -> Option<JobRecord> {
        match self.window.pop() {
            Some(record) => Some(self.yield_record(record)),
            // Not asked for, an idle moment is never reported: the first event is a record.
            None => match self.wait_for_event()? {
                RunEvent::Record(record) => Some(record),
                RunEvent::Idle => unreachable!("idle is reported only to next_event"),
            },
        }
    }
}

impl<I> Run<'_, I>
where
    I: Iterator<Item = Result<Dynamic, UnreadableItem>>,
{
    fn yield_record(&mut self, record: JobRecord) -> JobRecord {
        self.counts.add(record.status);
        self.yielded_since_idle = true;
        record
    }

    /// Reads input, queues it and takes finished records until one can be handed back, or
    /// the run is over.
    #[inline(never)]
    fn wait_for_event(&mut self) -> Option<RunEvent> {
        loop {
            if let Some(record) = self.window.pop() {
                return Some(RunEvent::Record(self.yield_record(record)));
            }
            self.check_deadline();
            self.note_halt();
            let unstarted = self.pending.is_some() || !self.retry.is_empty();
            if self.batch.is_stopped() && (!self.source.is_ended() || unstarted) {
                self.drain_unstarted();
                self.source.end();
                continue;
            }
            if self.pending.is_none() && (!self.source.is_ended() || !self.retry.is_empty()) {
                let before = (self.next_seq, self.retry.len());
                self.read_chunk();
                if self.pending.is_none() && (self.next_seq, self.retry.len()) != before {
                    // Only unreadable or passed-over items: look again.
                    continue;
                }
            }
            let sender = self
                .pool
                .job_tx
                .as_ref()
                .expect("a pool takes work until it is dropped, and a run borrows it");
            if let Some(chunk) = self.pending.take() {
                let count = chunk.jobs.len() as u64;
                let chunk = match sender.try_send(chunk) {
                    Ok(()) => {
                        self.outstanding += count;
                        continue;
                    }
                    Err(TrySendError::Full(chunk)) => chunk,
                    Err(TrySendError::Disconnected(_)) => return None,
                };
                if self.before_waiting() {
                    self.pending = Some(chunk);
                    return Some(RunEvent::Idle);
                }
                // Wait for whichever comes first: room in the queue, or finished records.
                let mut select = Select::new();
                let send_op = select.send(sender);
                select.recv(&self.results);
                let Some(op) = self.wait(&mut select) else {
                    self.pending = Some(chunk);
                    continue;
                };
                if op.index() == send_op {
                    op.send(sender, chunk).ok()?;
                    self.outstanding += count;
                } else {
                    self.pending = Some(chunk);
                    let records = op.recv(&self.results).ok()?;
                    self.absorb(records);
                }
            } else if let Some(items) = self.source.waiting_channel() {
                let items = items.clone();
                if self.before_waiting() {
                    return Some(RunEvent::Idle);
                }
                // Wait for whichever comes first: more input, a cancel, or finished records.
                let mut select = Select::new();
                let input_op = select.recv(&items);
                let wake_op = select.recv(&self.wake.1);
                if self.outstanding > 0 {
                    select.recv(&self.results);
                }
                let Some(op) = self.wait(&mut select) else {
                    continue;
                };
                if op.index() == input_op {
                    let item = op.recv(&items).ok();
                    self.source.received(item);
                } else if op.index() == wake_op {
                    // Cancelled: the loop's next turn ends the input.
                    let _ = op.recv(&self.wake.1);
                } else {
                    let records = op.recv(&self.results).ok()?;
                    self.absorb(records);
                }
            } else if self.outstanding > 0 {
                let records = match self.results.try_recv() {
                    Ok(records) => records,
                    Err(_) => {
                        if self.before_waiting() {
                            return Some(RunEvent::Idle);
                        }
                        let received = match self.deadline {
                            Some(deadline) => self.results.recv_deadline(deadline).ok(),
                            None => self.results.recv().ok(),
                        };
                        match received {
                            Some(records) => records,
                            None => continue,
                        }
                    }
                };
                self.absorb(records);
            } else {
                return None;
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
