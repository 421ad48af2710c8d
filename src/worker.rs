//! A worker thread: it builds its runspace once, in its own thread, then runs the chunks it
//! takes from the queue until the queue closes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crossbeam_channel::Receiver;

pub(crate) mod batch;
pub(crate) mod runspace;

use crate::limits::clock::{JobClock, Ticker};
use crate::limits::stack::SpareStack;
use runspace::InitialState;

use crate::limits::timer::between;
use crate::record::job::{JobRecord, JobStatus, StatusCounts};
use crate::worker::batch::{BatchControl, Chunk, Fate};
use crate::worker::runspace::{Evaluator, Runspace, ScriptCopies};

/// Worker threads get a stack sized for the call depth limit: overflowing it would abort the
/// whole process, not just the job. A call level with nested expressions was measured at up to
/// ~11 KiB of native stack in release builds and ~64 KiB in debug builds; 128 KiB a level
/// leaves room. Only the pages a worker touches are ever committed.
pub(crate) fn worker_stack_size(max_call_depth: usize) -> usize {
    16 * 1024 * 1024 + max_call_depth * 128 * 1024
}

/// The stack a worker gets below [`worker_stack_size`], for Rhai's walks of a value nested
/// deep: dropping, copying, comparing it all recurse, one native frame a level, and a job can
/// chain function pointers or closures a million levels deep in a second. Scripts never nest
/// into it (the floor stays at the call depth's); it lets the deepest value the memory cap
/// allows be walked, so that such a job fails alone instead of overflowing the stack and
/// aborting the process. A level of the cheapest chains takes ~120 bytes of memory and up to
/// ~270 bytes of stack in release builds (a closure capturing the one before), ~4 times that
/// in debug builds. Without a cap there is no bound to size it by (see `README`); under a
/// limit on address space (`ulimit -v`) there is none to spare: the heap needs it.
pub(crate) fn value_walk_stack_size(max_memory: Option<u64>) -> usize {
    const PER_CAPPED_BYTE: u64 = if cfg!(debug_assertions) { 12 } else { 3 };
    if crate::limits::stack::address_space_limited() {
        return 0;
    }
    max_memory.map_or(0, |cap| {
        usize::try_from(cap.saturating_mul(PER_CAPPED_BYTE)).unwrap_or(usize::MAX)
    })
}

/// What a pool's workers share with it: the runspaces' initial state, their clocks and
/// ticker, the shutdown flag, and the count of the records they made.
pub(crate) struct PoolShared {
    pub(crate) state: Arc<InitialState>,
    pub(crate) clocks: Arc<[Arc<JobClock>]>,
    /// Raises each job's alarm at its deadline.
    pub(crate) ticker: Arc<Ticker>,
    pub(crate) shutting_down: AtomicBool,
    /// Records per status that the workers made, for every batch, submitted or streamed:
    /// added once per chunk, so that counting costs nothing a job would notice.
    pub(crate) worked: [AtomicU64; 5],
}

impl PoolShared {
    /// Counts a chunk's records into [`worked`](PoolShared::worked).
    pub(crate) fn count_worked(&self, records: &[JobRecord]) {
        let mut counts = StatusCounts::default();
        for record in records {
            counts.add(record.status);
        }
        for (total, status) in self.worked.iter().zip(JobStatus::ALL) {
            let n = counts.get(status);
            if n > 0 {
                total.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// What [`count_worked`](PoolShared::count_worked) counted so far.
    pub(crate) fn worked(&self) -> StatusCounts {
        let mut counts = StatusCounts::default();
        for (total, status) in self.worked.iter().zip(JobStatus::ALL) {
            counts.add_many(status, total.load(Ordering::Relaxed));
        }
        counts
    }
}

/// A worker: builds its runspace in its own thread, then runs chunks until the queue closes.
/// Its stack is [`worker_stack_size`] and `spare` bytes more for deep values' walks.
pub(crate) fn worker_loop(
    shared: Arc<PoolShared>,
    index: usize,
    jobs: Receiver<Chunk>,
    spare: usize,
) {
    let clock = shared.clocks[index].clone();
    let stack = worker_stack_size(shared.state.max_call_depth);
    clock.set_stack(stack);
    let spare = SpareStack::below_here(stack, spare);
    crate::limits::signal::install(clock.clone());
    let mut runspace = Runspace::new(shared.state.clone(), index, clock.clone());
    // The evaluator (a grain `Vm`, kept for every job) borrows the runspace's engine.
    let mut engine = runspace.engine();
    let mut evaluator = Evaluator::new(&engine, &shared.state);
    let mut copies = ScriptCopies::default();
    while let Ok(chunk) = jobs.recv() {
        let batch = &chunk.batch;
        if chunk.finish {
            finish(&mut runspace, &clock, batch);
            continue;
        }
        let script = copies.of(&batch.script, || shared.state.compile_engine());
        evaluator.prepare(&batch.script, script);
        runspace.enter_batch(batch);
        clock.set_batch(batch.id.number());
        // A cancel left from another batch's job must not stop this batch's `begin` (the job
        // loop clears it again before each job); and a batch already stopped neither needs its
        // state nor gives this worker a partial.
        let aggregation = batch.aggregation.as_ref().filter(|_| {
            clock.clear_cancel();
            !shared.shutting_down.load(Ordering::SeqCst) && batch.fate() == Fate::Run
        });
        if let Some(aggregation) = aggregation {
            runspace.enter_state(batch, aggregation);
        }
        // The chunk's first job starts now, read from the system clock; each job after it
        // starts when the one before it ended (`JobTimer`).
        let started = runspace.now();
        let mut now = started;
        let count = chunk.jobs.len();
        let mut records = Vec::with_capacity(count);
        for job in chunk.jobs {
            // Clear a stale cancel before looking at the batch's fate: a cancel that arrives
            // between the two is then seen by the running job instead of lost.
            clock.clear_cancel();
            let fate = if shared.shutting_down.load(Ordering::SeqCst) {
                Fate::Cancel
            } else {
                batch.fate()
            };
            let status = match fate {
                Fate::Run => {
                    now = runspace.run(batch, script, job, now, &mut records, &mut evaluator);
                    // The halt policy is judged here, as the job ends: the job that reaches it
                    // halts the batch before this worker, or any other, starts another.
                    batch.judge_last(&mut records);
                    if !evaluator.runs_on(&runspace) {
                        // The job panicked and the runspace rebuilt its engine; the evaluator
                        // follows it (a `Vm` is left half-updated by the unwinding, too).
                        // What it learned of functions from elsewhere goes with it.
                        let may_keep = evaluator.may_keep_calls();
                        drop(evaluator);
                        engine = runspace.engine();
                        evaluator = Evaluator::new(&engine, &shared.state);
                        if !may_keep {
                            evaluator.stop_keeping_calls();
                        }
                    }
                    continue;
                }
                Fate::Skip => JobStatus::Skipped,
                Fate::Cancel => JobStatus::Cancelled,
            };
            records.push(JobRecord::not_started(batch.id, job.seq, job.item, status));
        }
        if let Some(aggregation) = aggregation {
            // Before the records go: a run that has them all has every worker's state.
            runspace.leave_state(aggregation);
        }
        batch.note_work(between(started, now), count);
        shared.count_worked(&records);
        clock.set_batch(u64::MAX);
        // A receiver that went away (a run dropped early) no longer wants these records.
        let _ = batch.results.send(records);
        if let Some(spare) = &spare {
            spare.trim();
        }
    }
}

/// The end of an aggregating batch: its `end` and `reduce`, answered with no records.
fn finish(runspace: &mut Runspace, clock: &JobClock, batch: &BatchControl) {
    clock.clear_cancel();
    clock.set_batch(batch.id.number());
    if let Some(aggregation) = &batch.aggregation {
        runspace.finish(batch, aggregation);
    }
    clock.set_batch(u64::MAX);
    let _ = batch.results.send(Vec::new());
}
