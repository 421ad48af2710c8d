//! A worker thread: it builds its runspace once, in its own thread, then runs the chunks it
//! takes from the queue until the queue closes.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::Receiver;

use super::PoolShared;
use crate::batch::{Chunk, Fate};
use crate::job::{JobRecord, JobStatus};
use crate::job_timer::between;
use crate::runspace::{Evaluator, Runspace, ScriptCopies};

/// A worker: builds its runspace in its own thread, then runs chunks until the queue closes.
pub(super) fn worker_loop(shared: Arc<PoolShared>, index: usize, jobs: Receiver<Chunk>) {
    let clock = shared.clocks[index].clone();
    clock.set_stack(super::worker_stack_size(shared.state.max_call_depth));
    crate::signal::install(clock.clone());
    let mut runspace = Runspace::new(shared.state.clone(), index, clock.clone());
    // The evaluator (a grain `Vm`, kept for every job) borrows the runspace's engine.
    let mut engine = runspace.engine();
    let mut evaluator = Evaluator::new(&engine, &shared.state);
    let mut copies = ScriptCopies::default();
    while let Ok(chunk) = jobs.recv() {
        let batch = &chunk.batch;
        let script = copies.of(&batch.script, || shared.state.compile_engine());
        evaluator.prepare(&batch.script, script);
        clock.set_batch(batch.id.number());
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
                        drop(evaluator);
                        engine = runspace.engine();
                        evaluator = Evaluator::new(&engine, &shared.state);
                    }
                    continue;
                }
                Fate::Skip => JobStatus::Skipped,
                Fate::Cancel => JobStatus::Cancelled,
            };
            records.push(JobRecord::not_started(batch.id, job.seq, job.item, status));
        }
        batch.note_work(between(started, now), count);
        shared.count_worked(&records);
        clock.set_batch(u64::MAX);
        // A receiver that went away (a run dropped early) no longer wants these records.
        let _ = batch.results.send(records);
    }
}
