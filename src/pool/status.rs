//! A snapshot of a pool's work, for a host to show or to decide on.

use super::RunspacePool;
use crate::record::job::StatusCounts;
use crate::script::vm::ScriptVm;

/// A snapshot of a pool's work: its workers, and every job they ran, of submitted batches and
/// streaming runs alike. (Each [`Batch`](crate::Batch) says what it did itself.)
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PoolStatus {
    /// Worker threads.
    pub threads: usize,
    /// The pool's interpreter setting: for [`ScriptVm::Auto`], each script still runs on the
    /// interpreter chosen for it.
    pub vm: ScriptVm,
    /// Jobs a worker is running now.
    pub running: u64,
    /// Chunks of jobs waiting in the queue for a worker.
    pub queued_chunks: usize,
    /// Records per status of every job the workers took since the pool started.
    pub counts: StatusCounts,
}

impl RunspacePool {
    /// What the pool's workers are doing and have done.
    pub fn status(&self) -> PoolStatus {
        PoolStatus {
            threads: self.threads(),
            vm: self.vm(),
            running: self.shared.clocks.iter().filter(|c| c.is_busy()).count() as u64,
            queued_chunks: self.job_tx.as_ref().map_or(0, |tx| tx.len()),
            counts: self.shared.worked(),
        }
    }
}
