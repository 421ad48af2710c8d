//! A streaming run: items pulled lazily into the pool's queue, records handed back as jobs
//! finish (or in input order), with retries, halting and a global deadline.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};
use rhai::Dynamic;

use crate::error::Error;
use crate::input::UnreadableItem;
use crate::input::source::{Read, Source};
use crate::pool::RunspacePool;
use crate::pool::run_options::RunOptions;
use crate::record::job::{BatchId, JobRecord, JobStatus, StatusCounts};
use crate::script::Script;
use crate::worker::batch::{
    BatchControl, Chunk, HaltWatch, MAX_CHUNK, MAX_CHUNK_BYTES, QueuedJob, item_bytes,
};
use finishing::Finish;
use window::Window;

mod finishing;
mod stopping;
mod waiting;
mod window;

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

/// What a run did when asked for its next event.
pub(crate) enum Step {
    Event(RunEvent),
    /// Every record is out.
    End,
    /// Nothing to hand back without waiting (only when polled).
    Pending,
}

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
    /// The pool's queue. A run started by [`RunspacePool::run`] borrows the pool (`'pool`);
    /// one the pool's driver runs for a submitted [`Batch`](crate::Batch) lives as long as
    /// the driver, which the pool stops before it closes the queue.
    queue: Sender<Chunk>,
    _pool: PhantomData<&'pool ()>,
    batch: Arc<BatchControl>,
    results: Receiver<Vec<JobRecord>>,
    source: Source<I>,
    /// A chunk read from the input that the queue has not taken yet.
    pending: Option<Chunk>,
    /// Failed tries waiting to be retried; each keeps its record in case the run stops first.
    retry: VecDeque<JobRecord>,
    next_seq: u64,
    outstanding: u64,
    /// Where the run's aggregation is: its end is one more thing a worker does.
    finish: Finish,
    window: Window,
    options: RunOptions,
    deadline: Option<Instant>,
    /// Whether the deadline passed: it bounds the aggregation's end too.
    past_deadline: bool,
    /// Why the run stopped early, for the records of the jobs it did not run.
    stop_reason: Option<String>,
    /// A stopped run skipping the rest of its input: how long it may still spend reading.
    skip_time_left: Option<std::time::Duration>,
    counts: StatusCounts,
    idle: Option<Box<dyn FnMut() + Send + 'pool>>,
    yielded_since_idle: bool,
    /// Whether the caller takes [`RunEvent::Idle`] ([`Run::next_event`]).
    report_idle: bool,
    /// Whether the run hands back [`Step::Pending`] instead of waiting (the pool's driver,
    /// which serves many runs from one thread).
    nonblocking: bool,
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
        self.start_run(script, Source::Iter(items.into_iter()), options)
    }

    /// A run of `script` over `source`, for `run_with` and `run_receiver` (borrowing the pool)
    /// and for the driver of submitted batches (`'static`).
    pub(crate) fn start_run<'a, I>(
        &self,
        script: &Script,
        source: Source<I>,
        options: RunOptions,
    ) -> Result<Run<'a, I>, Error> {
        let queue = self.sender()?.clone();
        let (tx, rx) = crossbeam_channel::bounded(self.threads() * 4);
        let mut batch = self.new_batch(script, &options, tx)?;
        if let Some(policy) = options.halt {
            // The workers judge the policy as each job ends (`BatchControl::judge`).
            let watch = HaltWatch::new(policy, options.retries, &options.retry_on);
            BatchControl::watch_halt(&mut batch, watch);
        }
        self.track(&batch);
        let finish = Finish::of(&batch);
        Ok(Run {
            queue,
            _pool: PhantomData,
            batch,
            results: rx,
            source,
            pending: None,
            retry: VecDeque::new(),
            next_seq: 0,
            outstanding: 0,
            finish,
            window: Window::new(options.keep_order),
            // A deadline past what an `Instant` can hold is never reached: none.
            deadline: options
                .total_timeout
                .and_then(|t| Instant::now().checked_add(t)),
            past_deadline: false,
            options,
            stop_reason: None,
            skip_time_left: None,
            counts: StatusCounts::default(),
            idle: None,
            yielded_since_idle: false,
            report_idle: false,
            nonblocking: false,
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

    /// The batch's control block, for a submitted batch's handle to cancel it.
    pub(crate) fn control(&self) -> Arc<BatchControl> {
        self.batch.clone()
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
        let step = self.wait_for_event();
        self.report_idle = false;
        match step {
            Step::Event(event) => Some(event),
            Step::End => None,
            Step::Pending => unreachable!("a blocking run waits instead"),
        }
    }

    /// The next event if there is one without waiting: for the pool's driver, which serves
    /// every submitted batch from one thread.
    pub(crate) fn poll_event(&mut self) -> Step {
        if let Some(record) = self.window.pop() {
            return Step::Event(RunEvent::Record(self.yield_record(record)));
        }
        self.nonblocking = true;
        let step = self.wait_for_event();
        self.nonblocking = false;
        step
    }

    /// The channel the workers send this run's records on, for a driver to wait on.
    pub(crate) fn results(&self) -> &Receiver<Vec<JobRecord>> {
        &self.results
    }

    /// Items taken from the input so far.
    pub(crate) fn items_read(&self) -> u64 {
        self.next_seq
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
        // Bounded in bytes as well as in jobs: memory must not follow the items' size.
        let mut bytes = 0;
        while jobs.len() < size && bytes < MAX_CHUNK_BYTES {
            let Some(record) = self.retry.pop_front() else {
                break;
            };
            bytes += item_bytes(&record.item);
            jobs.push(QueuedJob {
                seq: record.seq,
                item: record.item,
                attempt: record.attempts + 1,
            });
        }
        let window_end = self.window.next_seq() + self.options.reorder_window.max(1) as u64;
        let held_bytes = self.options.reorder_window_bytes;
        let room = |run: &Self| {
            !run.options.keep_order
                || (run.next_seq < window_end && !run.window.holds_more_than(held_bytes))
        };
        while jobs.len() < size && bytes < MAX_CHUNK_BYTES && room(self) {
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
                Ok(item) => {
                    bytes += item_bytes(&item);
                    jobs.push(QueuedJob::first(seq, item));
                }
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
            self.pending = Some(Chunk::of_jobs(self.batch.clone(), jobs));
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
            None => match self.wait_for_event() {
                Step::Event(RunEvent::Record(record)) => Some(record),
                Step::End => None,
                Step::Event(RunEvent::Idle) | Step::Pending => {
                    unreachable!("idle is reported only to next_event, pending only to poll_event")
                }
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
}

impl<I> Drop for Run<'_, I> {
    fn drop(&mut self) {
        // Records nobody will read: stop the jobs that would make them.
        self.batch.cancel();
    }
}
