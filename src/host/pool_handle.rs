//! The pool values host scripts hold: the pool, and the batches the script submitted to it
//! until they are received whole or cleared, with a wait that an interrupt can end without
//! losing any record.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::host::Interrupt;
use crate::host::options::ReceiveOptions;
use crate::{Batch, BatchId, BatchStatus, JobRecord, RunspacePool, Wait};

/// How often a waiting receive looks at the interrupt flag.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// A pool as a Rhai value (`RunspacePool` in scripts). Clones share the pool; closing it
/// through any clone shuts it down for all.
#[derive(Clone)]
pub(crate) struct PoolHandle(Arc<PoolState>);

/// A pool value that does not keep its pool alive: the session's list of pools holds these,
/// so that a pool nothing else refers to shuts down.
#[derive(Clone)]
pub(crate) struct WeakPool(Weak<PoolState>);

impl WeakPool {
    pub(crate) fn upgrade(&self) -> Option<PoolHandle> {
        self.0.upgrade().map(PoolHandle)
    }
}

/// A batch a host script submitted, with what the session's job list shows of it.
pub(crate) struct Submitted {
    pub(crate) batch: Batch,
    /// As given (`#{ name: ... }`), or from the script.
    pub(crate) name: String,
    /// How many items the batch has, when its input said so up front (an array, a range).
    pub(crate) total: Option<u64>,
    /// Whether its aggregate is one value (`reduce`), not each worker's partial.
    pub(crate) reduces: bool,
    /// Whether it aggregates (`begin` or `end`), and whether its result was read since: a
    /// receive that takes its last record does not forget it before.
    pub(crate) aggregates: bool,
    pub(crate) result_read: std::sync::atomic::AtomicBool,
}

impl Submitted {
    /// Whether the batch has an aggregate the script has not read yet (a cancelled batch has
    /// none, and is not kept for it).
    fn result_pending(&self) -> bool {
        self.aggregates
            && !self.result_read.load(std::sync::atomic::Ordering::Relaxed)
            && self.aggregate().is_some()
    }
}

impl Deref for Submitted {
    type Target = Batch;

    fn deref(&self) -> &Batch {
        &self.batch
    }
}

struct PoolState {
    /// The pool's number in the process, as its batch ids carry it.
    number: u64,
    /// `None` once closed. The pool itself is shared so that no lock is held while it works.
    pool: Mutex<Option<Arc<RunspacePool>>>,
    /// The batches submitted through this pool value, oldest first, until received whole or
    /// cleared. Shared, so that a wait holds no lock.
    batches: Mutex<Vec<Arc<Submitted>>>,
    /// Time during which some batch was unfinished, for the rate `status` gives.
    busy: Mutex<Busy>,
    threads: usize,
    timeout: Option<Duration>,
}

#[derive(Default)]
struct Busy {
    before: Duration,
    since: Option<Instant>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl PoolHandle {
    pub(crate) fn new(pool: RunspacePool) -> Self {
        PoolHandle(Arc::new(PoolState {
            number: pool.id,
            threads: pool.threads(),
            timeout: pool.timeout(),
            pool: Mutex::new(Some(Arc::new(pool))),
            batches: Mutex::new(Vec::new()),
            busy: Mutex::new(Busy::default()),
        }))
    }

    /// The pool, or an error once it is closed.
    pub(crate) fn pool(&self) -> Result<Arc<RunspacePool>, String> {
        lock(&self.0.pool)
            .clone()
            .ok_or_else(|| "the pool is closed".to_string())
    }

    /// Shuts the pool down: running jobs are cancelled, workers joined, records dropped.
    pub(crate) fn close(&self) {
        let pool = lock(&self.0.pool).take();
        lock(&self.0.batches).clear();
        drop(pool);
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.0.pool).is_none()
    }

    pub(crate) fn threads(&self) -> usize {
        self.0.threads
    }

    /// The pool's number in the process (1 for the first pool built).
    pub(crate) fn number(&self) -> u64 {
        self.0.number
    }

    pub(crate) fn downgrade(&self) -> WeakPool {
        WeakPool(Arc::downgrade(&self.0))
    }

    /// Keeps a batch the script submitted.
    pub(crate) fn add(&self, submitted: Submitted) {
        // A busy interval is open from the first batch after the pool was last seen idle.
        lock(&self.0.busy).since.get_or_insert_with(Instant::now);
        lock(&self.0.batches).push(Arc::new(submitted));
    }

    /// The batch of this id the pool value still holds.
    pub(crate) fn find(&self, batch: BatchId) -> Option<Arc<Submitted>> {
        self.selected(Some(batch)).pop()
    }

    /// Cancels one batch and forgets it, with its records; `false` if the pool value holds
    /// none of that id.
    pub(crate) fn remove(&self, batch: BatchId) -> bool {
        let removed: Vec<Arc<Submitted>> = {
            let mut batches = lock(&self.0.batches);
            let (gone, kept) = std::mem::take(&mut *batches)
                .into_iter()
                .partition(|b| b.id() == batch);
            *batches = kept;
            gone
        };
        // Cancelled, not only dropped: a wait elsewhere may still hold the batch.
        removed.iter().for_each(|b| b.cancel());
        !removed.is_empty()
    }

    /// Whether the batches `batch` selects (all, for `None`) have finished and every record
    /// of theirs was taken (a batch received whole is no longer held).
    pub(crate) fn all_received(&self, batch: Option<BatchId>) -> bool {
        self.selected(batch).iter().all(|b| {
            let status = b.status();
            status.finished && status.unreceived == 0
        })
    }

    /// Holds a batch again that a receive let go of, to give it back records.
    fn hold(&self, batch: &Arc<Submitted>) {
        let mut batches = lock(&self.0.batches);
        if !batches.iter().any(|b| Arc::ptr_eq(b, batch)) {
            batches.push(batch.clone());
        }
    }

    /// Every batch the pool value holds, oldest first, with its status.
    pub(crate) fn submitted(&self) -> Vec<(Arc<Submitted>, BatchStatus)> {
        self.selected(None)
            .into_iter()
            .map(|b| {
                let status = b.status();
                (b, status)
            })
            .collect()
    }

    /// The batches `batch` selects (all, for `None`).
    fn selected(&self, batch: Option<BatchId>) -> Vec<Arc<Submitted>> {
        lock(&self.0.batches)
            .iter()
            .filter(|b| batch.is_none_or(|id| b.id() == id))
            .cloned()
            .collect()
    }

    /// Cancels one batch; `false` if the pool value holds none of that id.
    pub(crate) fn stop(&self, batch: BatchId) -> bool {
        let selected = self.selected(Some(batch));
        selected.iter().for_each(|b| b.cancel());
        !selected.is_empty()
    }

    /// What each batch has done, oldest first.
    pub(crate) fn statuses(&self) -> Vec<BatchStatus> {
        self.selected(None).iter().map(|b| b.status()).collect()
    }

    /// Completed jobs per second over the time some batch was unfinished.
    pub(crate) fn rate(&self, statuses: &[BatchStatus]) -> f64 {
        let mut busy = lock(&self.0.busy);
        if statuses.iter().all(|s| s.finished)
            && let Some(since) = busy.since.take()
        {
            busy.before += since.elapsed();
        }
        let busy = busy.before + busy.since.map_or(Duration::ZERO, |s| s.elapsed());
        let completed: u64 = statuses
            .iter()
            .map(|s| s.counts.get(crate::JobStatus::Completed))
            .sum();
        if busy.is_zero() {
            0.0
        } else {
            completed as f64 / busy.as_secs_f64()
        }
    }

    /// Forgets the finished batches, and their records; with `cancel`, first cancels every
    /// batch and waits for their records.
    pub(crate) fn clear(&self, cancel: bool) {
        if cancel {
            let all = self.selected(None);
            all.iter().for_each(|b| b.cancel());
            all.iter().for_each(|b| {
                b.wait(Wait::Yes);
            });
        }
        lock(&self.0.batches).retain(|b| !b.wait(Wait::No));
        *lock(&self.0.busy) = Busy::default();
    }

    /// Takes (or, with `keep`, copies) the finished records the options select, first waiting
    /// as they say. An interrupt ends the wait with an error, and takes nothing: every record
    /// stays for the next receive. A batch whose records are all taken is forgotten.
    ///
    /// With `receipts`, a copy of what was taken is kept there, so that it can be given back.
    pub(crate) fn receive(
        &self,
        options: &ReceiveOptions,
        interrupt: &Interrupt,
        receipts: &Receipts,
    ) -> Result<Vec<JobRecord>, String> {
        let selected = self.selected(options.batch);
        let deadline = match options.wait {
            // A wait past what an `Instant` can hold waits for the jobs.
            Wait::For(d) => Instant::now().checked_add(d),
            _ => None,
        };
        if options.wait != Wait::No {
            for batch in &selected {
                loop {
                    if interrupt.is_set() {
                        return Err(
                            "interrupted while waiting: the jobs go on, and receive_runspace_job \
                             returns their records"
                                .into(),
                        );
                    }
                    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    if left.is_some_and(|l| l.is_zero()) {
                        break;
                    }
                    let slice = left.map_or(WAIT_SLICE, |l| l.min(WAIT_SLICE));
                    if batch.wait(Wait::For(slice)) {
                        break;
                    }
                }
            }
        }
        let mut taken: Vec<JobRecord> = Vec::new();
        for batch in &selected {
            if options.keep {
                taken.extend(batch.peek_finished());
            } else {
                let records = batch.take_finished();
                receipts.note(self, batch, &records);
                taken.extend(records);
            }
        }
        if !options.keep {
            lock(&self.0.batches).retain(|b| {
                let status = b.status();
                !(status.finished && status.unreceived == 0) || b.result_pending()
            });
        }
        taken.sort_by_key(|r| (r.batch, r.seq));
        Ok(taken)
    }
}

impl fmt::Display for PoolHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_closed() {
            return f.write_str("RunspacePool(closed)");
        }
        write!(f, "RunspacePool(threads: {}", self.0.threads)?;
        if let Some(timeout) = self.0.timeout {
            write!(f, ", timeout: {}", humantime::format_duration(timeout))?;
        }
        f.write_str(")")
    }
}

/// Copies of the records the receives of one host input took, while a host keeps them
/// ([`Host::begin_input`](crate::host::Host::begin_input)): an input that does not complete
/// gives them back, so that a receive hands its records over whole, or not at all.
#[derive(Clone, Default)]
pub(crate) struct Receipts(Arc<Mutex<Option<Vec<Receipt>>>>);

struct Receipt {
    pool: PoolHandle,
    batch: Arc<Submitted>,
    records: Vec<JobRecord>,
}

impl Receipts {
    /// Starts keeping copies (dropping any kept before).
    pub(crate) fn start(&self) {
        *lock(&self.0) = Some(Vec::new());
    }

    fn note(&self, pool: &PoolHandle, batch: &Arc<Submitted>, records: &[JobRecord]) {
        if records.is_empty() {
            return;
        }
        if let Some(receipts) = lock(&self.0).as_mut() {
            receipts.push(Receipt {
                pool: pool.clone(),
                batch: batch.clone(),
                records: records.to_vec(),
            });
        }
    }

    /// Stops keeping copies; gives back what was taken unless `keep_taken`. Returns how many
    /// records were given back.
    pub(crate) fn end(&self, keep_taken: bool) -> usize {
        let Some(receipts) = lock(&self.0).take() else {
            return 0;
        };
        if keep_taken {
            return 0;
        }
        let mut given_back = 0;
        // The latest first, so that each batch's records end up in the order they were taken.
        for receipt in receipts.into_iter().rev() {
            if receipt.pool.is_closed() {
                continue;
            }
            given_back += receipt.records.len();
            receipt.batch.put_back(receipt.records);
            receipt.pool.hold(&receipt.batch);
        }
        given_back
    }
}
