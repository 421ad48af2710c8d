//! Submitted batches: [`RunspacePool::submit`] starts a run of the script over the items with
//! the run's options, returns at once, and hands back an owned [`Batch`]; the pool's driver
//! thread moves every submitted batch on, a turn each, and each batch's records wait in the
//! batch until its owner takes them.
//!
//! A batch is the same run as [`RunspacePool::run`] gives (the same options, records, retries,
//! halting and total timeout), driven by the pool instead of by whoever reads it, so that its
//! jobs go on while its owner does something else: the REPL's and `exec`'s job objects, a
//! service's requests.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rhai::Dynamic;

use crate::error::Error;
use crate::input::UnreadableItem;
use crate::input::source::Source;
use crate::pool::RunspacePool;
use crate::pool::run_options::RunOptions;
use crate::record::job::{BatchId, JobRecord, StatusCounts};
use crate::script::Script;
use crate::worker::batch::BatchControl;

mod driver;

/// The items of a submitted batch, whatever iterator they came from.
pub(crate) type BoxedItems = Box<dyn Iterator<Item = Result<Dynamic, UnreadableItem>> + Send>;

pub(crate) use driver::{Driven, Driver};

/// How long [`Batch::wait`] waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Wait {
    /// Look and return at once.
    No,
    /// Until the batch has every record.
    Yes,
    /// Until the batch has every record, or this long, whichever is first.
    For(Duration),
}

/// What a batch has done so far.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BatchStatus {
    /// The batch.
    pub id: BatchId,
    /// The script's name.
    pub script: String,
    /// Items taken from the batch's input so far.
    pub items: u64,
    /// Records per status so far, taken or not.
    pub counts: StatusCounts,
    /// Records finished and not yet taken from the batch.
    pub unreceived: usize,
    /// Whether every item read has its record and no more will be read.
    pub finished: bool,
    /// Whether its owner cancelled it ([`Batch::cancel`]): a batch cancelled before it read an
    /// item has no record that says so. (Halts and total timeouts show in its records, as
    /// `skipped`.)
    pub stopped: bool,
    /// Time since the batch was submitted, until it finished.
    pub elapsed: Duration,
}

/// A batch submitted to a pool ([`RunspacePool::submit`]): its jobs run whether or not anyone
/// reads it, and its records wait here until taken — as an iterator (blocking), with
/// [`take`](Batch::take) (what has finished so far), or after [`wait`](Batch::wait).
///
/// Owned and `Send`: hand it to another thread, keep it in a table. Dropping it cancels what is
/// left of its work and drops its records; nothing of it stays in the pool.
///
/// ```
/// use rsparallel::{JobStatus, RunOptions, RunspacePool, Wait};
/// use rsparallel::rhai::Dynamic;
///
/// let pool = RunspacePool::builder().threads(2).build()?;
/// let squares = pool.submit(
///     &pool.compile("item * item")?,
///     (1..=100_i64).map(Dynamic::from),
///     RunOptions::default().keep_order(true),
/// )?;
/// // ... the jobs run meanwhile ...
/// let outputs: Vec<i64> = squares.map(|r| r.output[0].as_int().unwrap()).collect();
/// assert_eq!(outputs[99], 10_000);
///
/// let stuck = pool.submit(&pool.compile("loop {}")?, [Dynamic::UNIT], RunOptions::default())?;
/// assert!(!stuck.wait(Wait::For(std::time::Duration::from_millis(50))));
/// stuck.cancel();
/// assert!(stuck.wait(Wait::Yes));
/// assert!(stuck.take_finished().iter().all(|r| r.status == JobStatus::Cancelled));
/// # Ok::<(), rsparallel::Error>(())
/// ```
pub struct Batch {
    shared: Arc<Shared>,
}

/// What a batch's owner and the pool's driver share.
pub(crate) struct Shared {
    pub(crate) id: BatchId,
    script: String,
    control: Arc<BatchControl>,
    state: Mutex<State>,
    changed: Condvar,
    /// Wakes the driver, to see a cancel at once.
    wake_driver: crossbeam_channel::Sender<()>,
}

#[derive(Default)]
struct State {
    /// The task of an async reader waiting for the next record (`Stream`).
    #[cfg(feature = "async")]
    waker: Option<std::task::Waker>,
    records: VecDeque<JobRecord>,
    counts: StatusCounts,
    items: u64,
    finished: bool,
    /// Whether its owner cancelled it.
    cancelled: bool,
    submitted: Option<Instant>,
    ended: Option<Instant>,
}

impl State {
    /// Wakes an async reader, if one waits.
    fn wake(&mut self) {
        #[cfg(feature = "async")]
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A record from the driver.
    pub(crate) fn push(&self, record: JobRecord, items: u64) {
        let mut state = self.lock();
        state.counts.add(record.status);
        state.items = items;
        state.records.push_back(record);
        state.wake();
        self.changed.notify_all();
    }

    /// The driver's word that the batch has every record.
    pub(crate) fn finish(&self, items: u64) {
        let mut state = self.lock();
        state.items = items;
        state.finished = true;
        state.ended = Some(Instant::now());
        state.wake();
        self.changed.notify_all();
    }

    /// Whether the batch's owner let it go (the driver then stops driving it).
    pub(crate) fn is_abandoned(self: &Arc<Self>) -> bool {
        Arc::strong_count(self) == 1
    }
}

impl RunspacePool {
    /// Submits `script` over `items` with `options` and returns the batch at once; the pool's
    /// driver feeds the items to the workers as they have room, a turn for each submitted
    /// batch, whether or not the batch is read meanwhile. `items` must not block waiting for
    /// items to come (give those to [`RunspacePool::run_receiver`]).
    pub fn submit<I>(&self, script: &Script, items: I, options: RunOptions) -> Result<Batch, Error>
    where
        I: IntoIterator,
        I::Item: Into<Dynamic>,
        I::IntoIter: Send + 'static,
    {
        let items = items.into_iter().map(|item| Ok(item.into()));
        self.submit_with(script, items, options)
    }

    /// Like [`submit`](RunspacePool::submit), with items that may have failed to be read: an
    /// unreadable item becomes a `failed` record in its place.
    pub fn submit_with<I>(
        &self,
        script: &Script,
        items: I,
        options: RunOptions,
    ) -> Result<Batch, Error>
    where
        I: IntoIterator<Item = Result<Dynamic, UnreadableItem>>,
        I::IntoIter: Send + 'static,
    {
        let items: BoxedItems = Box::new(items.into_iter());
        self.submit_source(script, Source::Iter(items), options)
    }

    /// Like [`submit`](RunspacePool::submit), over items sent on a channel as they come, as
    /// [`run_receiver`](RunspacePool::run_receiver) takes them: the batch's jobs go on while
    /// the channel is silent, and it ends once every sender is dropped and every job is done
    /// (or it is cancelled). The pool's driver looks at the channel at least every 2 ms.
    pub fn submit_receiver(
        &self,
        script: &Script,
        items: crossbeam_channel::Receiver<Result<Dynamic, UnreadableItem>>,
        options: RunOptions,
    ) -> Result<Batch, Error> {
        let source = Source::Channel {
            items,
            lookahead: None,
        };
        self.submit_source(script, source, options)
    }

    fn submit_source(
        &self,
        script: &Script,
        source: Source<BoxedItems>,
        options: RunOptions,
    ) -> Result<Batch, Error> {
        let run = self.start_run(script, source, options)?;
        let shared = Arc::new(Shared {
            id: run.batch(),
            script: script.name().to_string(),
            control: run.control(),
            state: Mutex::new(State {
                submitted: Some(Instant::now()),
                ..State::default()
            }),
            changed: Condvar::new(),
            wake_driver: self.driver.waker(),
        });
        self.driver.drive(
            Driven {
                run,
                shared: shared.clone(),
            },
            &self.shared,
        )?;
        Ok(Batch { shared })
    }
}

impl Batch {
    /// The batch's id, as its records carry it.
    pub fn id(&self) -> BatchId {
        self.shared.id
    }

    /// Stops the batch: it reads no more items, its queued jobs are recorded `cancelled`
    /// without running, and running ones end at their next operation. Every item it read
    /// still gets its record; items never read get none.
    pub fn cancel(&self) {
        self.shared.lock().cancelled = true;
        self.shared.control.cancel();
        let _ = self.shared.wake_driver.try_send(());
    }

    /// Takes the records finished so far, in the order they finished (input order with
    /// [`RunOptions::keep_order`]).
    pub fn take_finished(&self) -> Vec<JobRecord> {
        self.shared.lock().records.drain(..).collect()
    }

    /// Puts records taken from this batch back before those not taken yet, in their order:
    /// for a host whose reader could not take them after all (an interrupted REPL input).
    pub(crate) fn put_back(&self, records: Vec<JobRecord>) {
        let mut state = self.shared.lock();
        for record in records.into_iter().rev() {
            state.records.push_front(record);
        }
        state.wake();
        self.shared.changed.notify_all();
    }

    /// Copies of the records finished so far, left in the batch for a later take.
    pub fn peek_finished(&self) -> Vec<JobRecord> {
        self.shared.lock().records.iter().cloned().collect()
    }

    /// Waits as `wait` says for the batch to have every record; whether it has.
    pub fn wait(&self, wait: Wait) -> bool {
        // A wait past what an `Instant` can hold waits for the records, as `Wait::Yes`.
        let deadline = match wait {
            Wait::No => return self.shared.lock().finished,
            Wait::Yes => None,
            Wait::For(d) => Instant::now().checked_add(d),
        };
        let mut state = self.shared.lock();
        while !state.finished {
            state = match deadline {
                None => self
                    .shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.shared
                        .changed
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        true
    }

    /// What the batch's `end` and `reduce` ([`RunOptions::begin`](crate::RunOptions#structfield.begin))
    /// made of its workers' state, once it finished; `None` for a batch that does not
    /// aggregate, has not finished, or was cancelled.
    pub fn aggregate(&self) -> Option<crate::Aggregate> {
        self.shared.control.aggregation.as_ref()?.result()
    }

    /// What the batch has done so far.
    pub fn status(&self) -> BatchStatus {
        let state = self.shared.lock();
        let since = state.submitted.unwrap_or_else(Instant::now);
        BatchStatus {
            id: self.shared.id,
            script: self.shared.script.clone(),
            items: state.items,
            counts: state.counts,
            unreceived: state.records.len(),
            finished: state.finished,
            stopped: state.cancelled,
            elapsed: state.ended.unwrap_or_else(Instant::now) - since,
        }
    }
}

/// The batch's records, each as it finishes, waiting for the next; ends once every record is
/// out.
impl Iterator for Batch {
    type Item = JobRecord;

    fn next(&mut self) -> Option<JobRecord> {
        let mut state = self.shared.lock();
        loop {
            if let Some(record) = state.records.pop_front() {
                return Some(record);
            }
            if state.finished {
                return None;
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Let go of, a batch's work stops: nobody will read its records.
impl Drop for Batch {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The batch's records as an async stream, each as it finishes: the pool's driver wakes the
/// reading task when one arrives, so no thread waits per batch.
#[cfg(feature = "async")]
impl futures_core::Stream for Batch {
    type Item = JobRecord;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<JobRecord>> {
        let mut state = self.shared.lock();
        if let Some(record) = state.records.pop_front() {
            return std::task::Poll::Ready(Some(record));
        }
        if state.finished {
            return std::task::Poll::Ready(None);
        }
        state.waker = Some(cx.waker().clone());
        std::task::Poll::Pending
    }
}
