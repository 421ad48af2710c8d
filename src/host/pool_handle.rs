//! The pool and batch values host scripts hold, and receiving records with a wait that an
//! interrupt can end without losing any record.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::host::Interrupt;
use crate::host::options::ReceiveOptions;
use crate::{BatchId, JobRecord, Receive, RunspacePool, Wait};

/// How often a waiting receive looks at the interrupt flag.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// A pool as a Rhai value (`RunspacePool` in scripts). Clones share the pool; closing it
/// through any clone shuts it down for all.
#[derive(Clone)]
pub(crate) struct PoolHandle(Arc<PoolState>);

struct PoolState {
    /// `None` once closed. The pool itself is shared so that no lock is held while it works.
    pool: Mutex<Option<Arc<RunspacePool>>>,
    /// Records taken from the pool by a wait that was interrupted before it could hand them
    /// over: the next receive returns them first, so an interrupt loses nothing.
    pending: Mutex<Vec<JobRecord>>,
    threads: usize,
    timeout: Option<Duration>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl PoolHandle {
    pub(crate) fn new(pool: RunspacePool) -> Self {
        PoolHandle(Arc::new(PoolState {
            threads: pool.threads(),
            timeout: pool.timeout(),
            pool: Mutex::new(Some(Arc::new(pool))),
            pending: Mutex::new(Vec::new()),
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
        lock(&self.0.pending).clear();
        drop(pool);
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.0.pool).is_none()
    }

    pub(crate) fn threads(&self) -> usize {
        self.0.threads
    }

    /// Records held for the next receive, not yet handed to the script.
    pub(crate) fn pending_len(&self) -> usize {
        lock(&self.0.pending).len()
    }

    /// Drops the records held for the next receive.
    pub(crate) fn clear_pending(&self) {
        lock(&self.0.pending).clear();
    }

    /// Takes (or, with `keep`, copies) the finished records the options select, first waiting
    /// as they say. An interrupt ends the wait with an error; records already taken from the
    /// pool are held for the next receive.
    pub(crate) fn receive(
        &self,
        options: &ReceiveOptions,
        interrupt: &Interrupt,
    ) -> Result<Vec<JobRecord>, String> {
        let pool = self.pool()?;
        let deadline = match options.wait {
            // A wait past what an `Instant` can hold waits for the jobs.
            Wait::For(d) => Instant::now().checked_add(d),
            _ => None,
        };
        if options.wait != Wait::No {
            loop {
                if interrupt.is_set() {
                    return Err(
                        "interrupted while waiting: the jobs go on, and receive_runspace_job \
                         returns their records"
                            .into(),
                    );
                }
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                if left.is_some_and(|l| l.is_zero()) || selected_finished(&pool, options.batch) {
                    break;
                }
                let slice = left.map_or(WAIT_SLICE, |l| l.min(WAIT_SLICE));
                let arrived = pool.receive_with(Receive {
                    batch: options.batch,
                    wait: Wait::For(slice),
                    keep: false,
                });
                lock(&self.0.pending).extend(arrived);
            }
        }
        let arrived = pool.receive_with(Receive {
            batch: options.batch,
            wait: Wait::No,
            keep: false,
        });
        let mut pending = lock(&self.0.pending);
        pending.extend(arrived);
        let wanted = |r: &JobRecord| options.batch.is_none_or(|b| b == r.batch);
        let mut taken: Vec<JobRecord> = if options.keep {
            pending.iter().filter(|r| wanted(r)).cloned().collect()
        } else {
            let (taken, left) = std::mem::take(&mut *pending)
                .into_iter()
                .partition(|r| wanted(r));
            *pending = left;
            taken
        };
        taken.sort_by_key(|r| (r.batch, r.seq));
        Ok(taken)
    }
}

/// Whether every batch the receive selects has all its records.
fn selected_finished(pool: &RunspacePool, batch: Option<BatchId>) -> bool {
    pool.batches()
        .iter()
        .filter(|b| batch.is_none_or(|id| id == b.id))
        .all(|b| b.finished)
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
