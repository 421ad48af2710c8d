//! The per-worker job clock: the running job's deadline and cancel flag, read by the engine's
//! `on_progress` hook and by blocking built-ins such as `sleep`.
//!
//! An operation is not a unit of time: one can be a native call that takes milliseconds, so
//! counting operations between looks at the time lets a loop of heavy calls run far past its
//! deadline. Instead each clock has an *alarm*, a flag read on every operation (one load): a
//! cancel raises it at once, and the pool's [`Ticker`] raises it when the deadline passes, so a
//! job stops at the first operation after its deadline, whatever its operations cost. Natives
//! that can run long look at the clock itself between pieces of their work
//! ([`crate::limits::signal::checkpoint`]).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::stop::Stop;

/// `on_progress` runs on every engine operation; reading the time on each one costs more than
/// the script itself for tiny scripts. The alarm is read on every operation; the time itself
/// on one operation in 1024, so that a job still stops close to its deadline should the
/// ticker be late (a machine so loaded that the ticker thread is not scheduled).
const CHECK_EVERY_OPS_MASK: u64 = 1023;

/// How often the ticker looks at the workers' deadlines while any job has one.
const TICK: Duration = Duration::from_millis(1);

/// The longest the ticker sleeps with no deadline to watch.
const IDLE_NAP: Duration = Duration::from_millis(20);

/// Longest a blocking built-in sleeps before looking at the cancel flag again.
const CANCEL_POLL: Duration = Duration::from_millis(2);

const NO_DEADLINE: u64 = u64::MAX;

/// The job has not run an operation yet.
const NO_OPS_YET: u64 = u64::MAX;

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
    /// Raised by a cancel, or by the ticker when the deadline passes: the running job must
    /// look at its clock now. Read on every operation.
    alarm: AtomicBool,
    /// The batch the worker is running, so a cancel of that batch reaches the running job.
    current_batch: AtomicU64,
    busy: AtomicBool,
    /// Whether the running job reached a full check of its clock: it ran 1,024 operations or
    /// more, or its alarm rang. A job that did not cannot have nested a value more than ~1,000
    /// levels deeper than it was given (see `worker::runspace::cycles`).
    checked: AtomicBool,
    /// The engine's operation count at the hook's last call, `NO_OPS_YET` before the job's
    /// first operation.
    last_ops: AtomicU64,
    /// The operations the running job has run, counted by [`Self::ops_run`].
    ops_counted: AtomicU64,
    /// The [`Stop::code`] of the first stop the progress hook answered in the running job, 0
    /// for none: Rhai can swallow an answer (the one before an interpolation's `to_string`)
    /// and the job run to its end with nothing after to ask again (see [`Self::answer`]).
    answered: AtomicU8,
    /// The lowest address the worker's stack may reach before its job is stopped (stacks grow
    /// down); 0 until the worker sets it.
    stack_floor: std::sync::atomic::AtomicUsize,
    /// The pool's ticker, woken when a job with a deadline starts.
    ticker: std::sync::OnceLock<std::sync::Arc<Ticker>>,
}

impl JobClock {
    pub(crate) fn new(epoch: Instant) -> Self {
        JobClock {
            epoch,
            deadline: AtomicU64::new(NO_DEADLINE),
            cancel: AtomicBool::new(false),
            alarm: AtomicBool::new(false),
            current_batch: AtomicU64::new(u64::MAX),
            busy: AtomicBool::new(false),
            checked: AtomicBool::new(false),
            last_ops: AtomicU64::new(NO_OPS_YET),
            ops_counted: AtomicU64::new(0),
            answered: AtomicU8::new(0),
            ticker: std::sync::OnceLock::new(),
            stack_floor: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Called by the worker thread near the top of its stack, of `size` bytes: every operation
    /// compares the stack's depth with the floor this sets, and stops the job that reaches it
    /// (see [`crate::limits::stack`]).
    pub(crate) fn set_stack(&self, size: usize) {
        let floor = crate::limits::stack::floor_below_here(size);
        self.stack_floor.store(floor, Ordering::Relaxed);
    }

    /// Gives the clock the pool's ticker, which raises its alarm at each job's deadline.
    pub(crate) fn set_ticker(&self, ticker: std::sync::Arc<Ticker>) {
        let _ = self.ticker.set(ticker);
    }

    /// Forgets a cancel aimed at an earlier job.
    pub(crate) fn clear_cancel(&self) {
        // A sequentially consistent store is a locked instruction on x86, paid on every job;
        // the flag is nearly always clear already, and a load is a plain read.
        if self.cancel.load(Ordering::SeqCst) {
            self.cancel.store(false, Ordering::SeqCst);
        }
        if self.alarm.load(Ordering::Relaxed) {
            self.alarm.store(false, Ordering::SeqCst);
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
        self.checked.store(false, Ordering::Relaxed);
        self.last_ops.store(NO_OPS_YET, Ordering::Relaxed);
        self.ops_counted.store(0, Ordering::Relaxed);
        if self.answered.load(Ordering::Relaxed) != 0 {
            self.answered.store(0, Ordering::Relaxed);
        }
        if deadline != NO_DEADLINE
            && let Some(ticker) = self.ticker.get()
        {
            ticker.wake();
        }
    }

    pub(crate) fn end_job(&self) {
        self.deadline.store(NO_DEADLINE, Ordering::Relaxed);
        self.busy.store(false, Ordering::Relaxed);
    }

    /// The progress hook's answer: `stop`'s token, which ends the job at the operation that
    /// asked. Remembered for [`owed_stop`](Self::owed_stop), should the job run on to its end
    /// all the same.
    #[cold]
    pub(crate) fn answer(&self, stop: Stop) -> Option<rhai::Dynamic> {
        if self.answered.load(Ordering::Relaxed) == 0 {
            self.answered.store(stop.code(), Ordering::Relaxed);
        }
        Some(stop.token().into())
    }

    /// The stop owed to a job that ran to its end: the first one the hook answered during it,
    /// which Rhai swallowed, or else one its alarm rang for, which no operation after looked
    /// at (grain looks on loops' jumps back). Two loads when there is none.
    pub(crate) fn owed_stop(&self) -> Option<Stop> {
        Stop::from_code(self.answered.load(Ordering::Relaxed)).or_else(|| {
            self.alarm
                .load(Ordering::Relaxed)
                .then(|| self.check())
                .flatten()
        })
    }

    /// Whether the last job reached a full check (`checked`).
    pub(crate) fn job_was_checked(&self) -> bool {
        self.checked.load(Ordering::Relaxed)
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
            self.alarm.store(true, Ordering::SeqCst);
        }
    }

    /// Raises the alarm if the running job's deadline is at or before `now` (nanoseconds after
    /// the epoch). Returns the deadline, if any, so that the ticker knows when to look again.
    pub(crate) fn ring_if_due(&self, now: u64) -> Option<u64> {
        let deadline = self.deadline.load(Ordering::Relaxed);
        if deadline == NO_DEADLINE {
            return None;
        }
        if now >= deadline && !self.alarm.load(Ordering::Relaxed) {
            self.alarm.store(true, Ordering::Relaxed);
        }
        Some(deadline)
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

    /// The `on_progress` test: one load on most operations, a real check when the alarm is up
    /// and on one operation in 1024.
    #[inline]
    pub(crate) fn on_progress(&self, ops: u64) -> Option<rhai::Dynamic> {
        if crate::limits::stack::position() < self.stack_floor.load(Ordering::Relaxed) {
            return self.answer(Stop::StackLow);
        }
        if ops & CHECK_EVERY_OPS_MASK != 0 && !self.alarm.load(Ordering::Relaxed) {
            return None;
        }
        self.checked_progress()
    }

    /// Kept out of line, so that the hook's common path stays a few instructions.
    #[cold]
    #[inline(never)]
    fn checked_progress(&self) -> Option<rhai::Dynamic> {
        self.checked.store(true, Ordering::Relaxed);
        self.check_and_settle().and_then(|stop| self.answer(stop))
    }

    /// [`check`](Self::check), and lowers an alarm that proved stale: the ticker can ring for
    /// the deadline of a job that ended just before, and the next job must not pay the full
    /// check on every operation for it.
    pub(crate) fn check_and_settle(&self) -> Option<Stop> {
        let stop = self.check();
        if stop.is_some() {
            // Found before the ticker rang (a native reads the time itself): every operation
            // from now on must see it too. A text form that found it gives `<stopped>` and
            // leaves the stop to the job's next operation, which reads only the alarm.
            self.alarm.store(true, Ordering::Relaxed);
        } else if self.alarm.load(Ordering::Relaxed) {
            self.alarm.store(false, Ordering::Relaxed);
            // A cancel raised between the check and the store must not be lost.
            if self.cancel.load(Ordering::SeqCst) {
                self.alarm.store(true, Ordering::SeqCst);
                return Some(Stop::Cancelled);
            }
        }
        stop
    }

    /// How many operations the running job has run, given the engine's count `ops` at this
    /// call of the progress hook.
    ///
    /// The engine's count is not the job's. A grain `Vm` counts on across all the jobs it runs,
    /// and cannot be reset. And a closure a native calls (`map`, `filter`, a sort's comparer)
    /// counts from its caller's count on a copy that is thrown away when it returns, so that
    /// the caller counts again from where it was: by the engine's count, 2 M calls of a closure
    /// with a loop in it stayed under a budget of 100. So the job's count is kept here: what
    /// the engine's count went up by since the last call, or one operation where it went back.
    pub(crate) fn ops_run(&self, ops: u64) -> u64 {
        let last = self.last_ops.load(Ordering::Relaxed);
        let ran = match ops.checked_sub(last) {
            Some(more) if last != NO_OPS_YET && more > 0 => more,
            _ => 1,
        };
        let total = self.ops_counted.load(Ordering::Relaxed).saturating_add(ran);
        self.last_ops.store(ops, Ordering::Relaxed);
        self.ops_counted.store(total, Ordering::Relaxed);
        total
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

/// The pool's timer thread: while any worker runs a job with a deadline, it looks at the
/// deadlines every [`TICK`] and raises the alarm of each job past its own. With no deadline to
/// watch it sleeps until a worker starts a job with one ([`Ticker::wake`]).
#[derive(Debug)]
pub(crate) struct Ticker {
    thread: std::thread::Thread,
    /// Whether the ticker is parked without a deadline to watch, and must be woken.
    idle: AtomicBool,
    stop: AtomicBool,
}

impl Ticker {
    /// Starts the ticker thread for `clocks`; it ends when [`Ticker::stop`] is called.
    pub(crate) fn start(
        epoch: Instant,
        clocks: std::sync::Arc<[std::sync::Arc<JobClock>]>,
    ) -> std::io::Result<std::sync::Arc<Ticker>> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::sync::Arc<Ticker>>(1);
        let handle = std::thread::Builder::new()
            .name("rsparallel-ticker".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let Ok(ticker) = rx.recv() else { return };
                ticker.watch(epoch, &clocks);
            })?;
        let ticker = std::sync::Arc::new(Ticker {
            thread: handle.thread().clone(),
            idle: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let _ = tx.send(ticker.clone());
        Ok(ticker)
    }

    fn watch(&self, epoch: Instant, clocks: &[std::sync::Arc<JobClock>]) {
        while !self.stop.load(Ordering::SeqCst) {
            let now = epoch.elapsed().as_nanos() as u64;
            let mut next = None::<u64>;
            for clock in clocks {
                if let Some(deadline) = clock.ring_if_due(now) {
                    next = Some(next.map_or(deadline, |n| n.min(deadline)));
                }
            }
            match next {
                // Sleep to the next deadline, but look again within a tick: a job that
                // starts meanwhile may have an earlier one.
                Some(next) => {
                    let wait = Duration::from_nanos(next.saturating_sub(now))
                        .clamp(Duration::from_micros(50), TICK);
                    std::thread::sleep(wait);
                }
                None => {
                    self.idle.store(true, Ordering::SeqCst);
                    // Look once more: a worker may have started a job before seeing `idle`.
                    let busy = clocks.iter().any(|c| c.ring_if_due(0).is_some());
                    if !busy && !self.stop.load(Ordering::SeqCst) {
                        // Not for ever: `wake` reads `idle` without a fence (it runs on every
                        // job), so in a rare race it misses the ticker's going idle.
                        std::thread::park_timeout(IDLE_NAP);
                    }
                    self.idle.store(false, Ordering::SeqCst);
                }
            }
        }
    }

    /// Called when a job with a deadline starts: wakes the ticker if it sleeps. One load on the
    /// common path, where it is awake already.
    #[inline]
    pub(crate) fn wake(&self) {
        if self.idle.load(Ordering::Relaxed) {
            self.thread.unpark();
        }
    }

    /// Ends the ticker thread.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

#[cfg(test)]
mod tests;
