//! The per-worker job clock: the running job's deadline and cancel flag, read by the engine's
//! `on_progress` hook and by blocking built-ins such as `sleep`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `on_progress` runs on every engine operation; reading the time on each one costs more than
/// the script itself for tiny scripts. Checking on one operation in 1024 keeps the hook's cost
/// to a few percent while a runaway loop still stops well under a millisecond after its deadline.
const CHECK_EVERY_OPS_MASK: u64 = 1023;

/// Longest a blocking built-in sleeps before looking at the cancel flag again.
const CANCEL_POLL: Duration = Duration::from_millis(2);

const NO_DEADLINE: u64 = u64::MAX;

/// The job has not run an operation yet.
const NO_OPS_YET: u64 = u64::MAX;

/// Why the clock ended a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    TimedOut,
    Cancelled,
    /// Set by the memory cap, not the clock; it ends a job the same way.
    MemoryCap,
    /// The job ran past `max_ops`, counted by [`JobClock::ops_run`].
    OpsBudget,
}

impl Stop {
    /// The token carried by `EvalAltResult::ErrorTerminated`, to tell the two apart afterwards.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Stop::TimedOut => "timed_out",
            Stop::Cancelled => "cancelled",
            Stop::MemoryCap => "memory_cap",
            Stop::OpsBudget => "max_ops",
        }
    }

    pub(crate) fn from_token(token: &rhai::Dynamic) -> Option<Stop> {
        match token.clone().into_string().ok()?.as_str() {
            "timed_out" => Some(Stop::TimedOut),
            "cancelled" => Some(Stop::Cancelled),
            "memory_cap" => Some(Stop::MemoryCap),
            "max_ops" => Some(Stop::OpsBudget),
            _ => None,
        }
    }
}

/// One worker's clock. The deadline is written and read by the worker thread only; the cancel
/// flag and the current batch are also touched by whoever cancels.
///
/// Aligned to two cache lines: the pool allocates all its workers' clocks one after the other,
/// and each worker writes its own on every job. Side by side in one line, two workers' clocks
/// would pass that line back and forth between their cores at every job.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct JobClock {
    epoch: Instant,
    /// Nanoseconds after `epoch`, or `NO_DEADLINE`.
    deadline: AtomicU64,
    cancel: AtomicBool,
    /// The batch the worker is running, so a cancel of that batch reaches the running job.
    current_batch: AtomicU64,
    busy: AtomicBool,
    /// The engine's operation count just before the running job's first operation.
    ops_before_job: AtomicU64,
}

impl JobClock {
    pub(crate) fn new(epoch: Instant) -> Self {
        JobClock {
            epoch,
            deadline: AtomicU64::new(NO_DEADLINE),
            cancel: AtomicBool::new(false),
            current_batch: AtomicU64::new(u64::MAX),
            busy: AtomicBool::new(false),
            ops_before_job: AtomicU64::new(NO_OPS_YET),
        }
    }

    /// Forgets a cancel aimed at an earlier job.
    pub(crate) fn clear_cancel(&self) {
        // A sequentially consistent store is a locked instruction on x86, paid on every job;
        // the flag is nearly always clear already, and a load is a plain read.
        if self.cancel.load(Ordering::SeqCst) {
            self.cancel.store(false, Ordering::SeqCst);
        }
    }

    /// Starts a job: sets the deadline counted from `start`, in nanoseconds after the epoch.
    pub(crate) fn start_job(&self, start: u64, timeout: Option<Duration>) {
        // A timeout too long for the nanosecond count (`--timeout 1000000y`) is never reached:
        // no deadline, rather than a panic that would kill the worker.
        let deadline = timeout
            .and_then(|t| u64::try_from(t.as_nanos()).ok())
            .and_then(|t| start.checked_add(t))
            .unwrap_or(NO_DEADLINE);
        self.deadline.store(deadline, Ordering::Relaxed);
        self.busy.store(true, Ordering::Relaxed);
        self.ops_before_job.store(NO_OPS_YET, Ordering::Relaxed);
    }

    pub(crate) fn end_job(&self) {
        self.deadline.store(NO_DEADLINE, Ordering::Relaxed);
        self.busy.store(false, Ordering::Relaxed);
    }

    /// Whether the worker is running a job now.
    pub(crate) fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    pub(crate) fn set_batch(&self, batch: u64) {
        self.current_batch.store(batch, Ordering::SeqCst);
    }

    /// Cancels the running job if it belongs to `batch` (or whatever runs, for `None`).
    pub(crate) fn cancel_if_running(&self, batch: Option<u64>) {
        if batch.is_none_or(|b| self.current_batch.load(Ordering::SeqCst) == b) {
            self.cancel.store(true, Ordering::SeqCst);
        }
    }

    /// Whether the running job must stop now, and why.
    pub(crate) fn check(&self) -> Option<Stop> {
        if self.cancel.load(Ordering::Relaxed) {
            return Some(Stop::Cancelled);
        }
        let deadline = self.deadline.load(Ordering::Relaxed);
        if deadline != NO_DEADLINE && self.epoch.elapsed().as_nanos() as u64 >= deadline {
            return Some(Stop::TimedOut);
        }
        None
    }

    /// The `on_progress` test: cheap on most operations, a real check on one in 1024.
    #[inline]
    pub(crate) fn on_progress(&self, ops: u64) -> Option<rhai::Dynamic> {
        if ops & CHECK_EVERY_OPS_MASK != 0 {
            return None;
        }
        self.checked_progress()
    }

    /// Kept out of line, so that the hook's common path stays a few instructions.
    #[cold]
    #[inline(never)]
    fn checked_progress(&self) -> Option<rhai::Dynamic> {
        self.check().map(|stop| stop.token().into())
    }

    /// How many operations the running job has run, given the engine's count `ops`.
    ///
    /// The tree walker counts each job from zero, but a grain `Vm` counts on across all the
    /// jobs it runs, and cannot be reset: the count at the job's first operation is its zero.
    pub(crate) fn ops_run(&self, ops: u64) -> u64 {
        let mut before = self.ops_before_job.load(Ordering::Relaxed);
        if before == NO_OPS_YET {
            before = ops.saturating_sub(1);
            self.ops_before_job.store(before, Ordering::Relaxed);
        }
        ops.saturating_sub(before)
    }

    /// The time left before the deadline, `None` when there is none.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        let deadline = self.deadline.load(Ordering::Relaxed);
        (deadline != NO_DEADLINE)
            .then(|| Duration::from_nanos(deadline).saturating_sub(self.epoch.elapsed()))
    }

    /// Sleeps for `wanted`, ending early (with the reason) at the deadline or on cancel.
    pub(crate) fn sleep(&self, wanted: Duration) -> Result<(), Stop> {
        // `None`: longer than an `Instant` can count, so only the deadline or a cancel ends it.
        let until = Instant::now().checked_add(wanted);
        loop {
            if let Some(stop) = self.check() {
                return Err(stop);
            }
            let now = Instant::now();
            if until.is_some_and(|until| now >= until) {
                return Ok(());
            }
            let mut nap = until.map_or(CANCEL_POLL, |until| (until - now).min(CANCEL_POLL));
            if let Some(left) = self.remaining() {
                if left.is_zero() {
                    return Err(Stop::TimedOut);
                }
                nap = nap.min(left);
            }
            std::thread::sleep(nap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_count_from_each_job_start() {
        let clock = JobClock::new(Instant::now());
        clock.start_job(0, None);
        assert_eq!(clock.ops_run(1), 1);
        assert_eq!(clock.ops_run(500), 500);
        // A `Vm` that ran 500 operations already: its next job counts from its own start.
        clock.start_job(1_000, None);
        assert_eq!(clock.ops_run(501), 1);
        assert_eq!(clock.ops_run(600), 100);
    }
}
