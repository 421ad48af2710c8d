//! A batch's aggregation: state each worker keeps across the jobs it runs (`begin`), the
//! partial result it makes of it after the last job (`end`), and the one result those
//! partials combine into (`reduce`), as PowerShell's `ForEach-Object -Begin/-End` give each
//! runspace. Nothing per item is kept: memory follows the state the scripts build, not the
//! input.
//!
//! A worker holds its state in its scope while it runs a chunk of the batch, and leaves it in
//! the batch's slot for that worker between chunks, where the worker that finishes the batch
//! finds every worker's state.

use std::sync::{Mutex, MutexGuard, PoisonError};

use rhai::Dynamic;

use crate::record::job::JobError;
use crate::script::Script;

/// The scripts of an aggregation, as a run takes them
/// ([`RunOptions::begin`](crate::RunOptions#structfield.begin) and the others).
#[derive(Clone, Debug, Default)]
pub(crate) struct AggregateScripts {
    pub(crate) begin: Option<Script>,
    pub(crate) end: Option<Script>,
    pub(crate) reduce: Option<Script>,
}

/// What a run's aggregation gave: the reduced value (one), or each worker's partial result
/// when there is no `reduce` (one per worker that ran jobs, by worker number); or why it
/// failed, naming the script (`begin`, `end` or `reduce`) and the worker.
pub type Aggregate = Result<Vec<Dynamic>, JobError>;

/// The variables `begin` declared, in scope order: name, whether a constant, value.
pub(crate) type WorkerState = Vec<(String, bool, Dynamic)>;

/// One worker's part of the aggregation.
pub(crate) enum Slot {
    /// The worker has not taken a chunk of the batch yet.
    Unused,
    /// Between the worker's chunks, or after its last.
    State(WorkerState),
    /// `begin` failed on this worker: the aggregation fails with this.
    Failed(JobError),
}

pub(crate) struct Aggregation {
    pub(crate) scripts: AggregateScripts,
    /// One per worker, by worker number.
    slots: Mutex<Vec<Slot>>,
    result: Mutex<Option<Aggregate>>,
    /// The first `begin` that failed, on whichever worker: the batch halted for it, and its
    /// aggregate fails with it.
    failure: Mutex<Option<JobError>>,
}

impl Aggregation {
    pub(crate) fn new(scripts: AggregateScripts, workers: usize) -> Self {
        Aggregation {
            scripts,
            slots: Mutex::new((0..workers).map(|_| Slot::Unused).collect()),
            result: Mutex::new(None),
            failure: Mutex::new(None),
        }
    }

    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        // A panic never happens while the lock is held; the slots are sound data either way.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes `worker`'s slot as it starts a chunk; [`Aggregation::put`] gives it back.
    pub(crate) fn take(&self, worker: usize) -> Slot {
        std::mem::replace(&mut self.slots()[worker], Slot::Unused)
    }

    /// Leaves `worker`'s slot in the batch as it ends a chunk, before it sends the chunk's
    /// records: once a run has every record, it has every state too.
    pub(crate) fn put(&self, worker: usize, slot: Slot) {
        self.slots()[worker] = slot;
    }

    /// Every worker's slot that was used, by worker number, for the worker that finishes.
    pub(crate) fn take_all(&self) -> Vec<(usize, Slot)> {
        let mut slots = self.slots();
        let unused = (0..slots.len()).map(|_| Slot::Unused).collect();
        std::mem::replace(&mut *slots, unused)
            .into_iter()
            .enumerate()
            .filter(|(_, slot)| !matches!(slot, Slot::Unused))
            .collect()
    }

    /// Notes that `begin` failed with `error`; the first failure is the one that counts.
    pub(crate) fn fail(&self, error: &JobError) {
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        failure.get_or_insert_with(|| error.clone());
    }

    /// The first `begin` that failed.
    pub(crate) fn failure(&self) -> Option<JobError> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Drops every worker's state: for a batch that will have no result.
    pub(crate) fn discard(&self) {
        drop(self.take_all());
    }

    pub(crate) fn set_result(&self, result: Aggregate) {
        *self.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
    }

    /// The result, once the batch finished (not when it was cancelled first).
    pub(crate) fn result(&self) -> Option<Aggregate> {
        self.result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
