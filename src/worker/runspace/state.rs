//! A runspace's part in an aggregation (`worker::batch::aggregation`): the variables `begin`
//! declares live in the scope between the batch's variables and the job's, where every job of
//! the batch this worker runs sees and changes them, and nothing else does. Between chunks
//! they wait in the batch; at the batch's end one worker runs `end` over each worker's state
//! and `reduce` over the partial results.
//!
//! Each script runs as a job does: bounded by the batch's timeout, the memory cap and
//! cancellation, on the tree walker (the scripts run once per worker, not per item).

use std::panic::{AssertUnwindSafe, catch_unwind};

use rhai::{AST, Dynamic};

use super::Runspace;
use super::outcome::{classify, panic_message};
use crate::limits::{memory, signal};
use crate::record::job::{JobError, JobErrorKind};
use crate::worker::batch::aggregation::{Aggregate, Aggregation, Slot, WorkerState};
use crate::worker::batch::{BatchControl, Fate};

/// Names `begin` may not declare: each job sets them, and would hide the state.
const RESERVED: [&str; 3] = ["item", "seq", "attempt"];

impl Runspace {
    /// Before a chunk of `batch`, which aggregates: puts this worker's state in the scope, made
    /// by `begin` on the worker's first chunk of the batch.
    pub(crate) fn enter_state(&mut self, batch: &BatchControl, aggregation: &Aggregation) {
        let slot = aggregation.take(self.worker);
        self.scope.rewind(self.base_len);
        let state = match slot {
            Slot::State(state) => state,
            Slot::Failed(error) => {
                self.state_failure = Some(error);
                Vec::new()
            }
            Slot::Unused => match self.begin(batch, aggregation) {
                Ok(state) => state,
                Err(error) => {
                    // Its jobs would run without their state, each failing for want of it: the
                    // batch halts, naming why (running jobs, which have theirs, finish), and
                    // its aggregate fails with the first such error. A cancel is the batch's
                    // own end, not a failure of `begin`.
                    if error.kind != JobErrorKind::Cancelled {
                        aggregation.fail(&error);
                        batch.halt(false);
                    }
                    self.state_failure = Some(error);
                    Vec::new()
                }
            },
        };
        self.push_state(state);
    }

    /// After a chunk: leaves the state in the batch, before the chunk's records are sent.
    pub(crate) fn leave_state(&mut self, aggregation: &Aggregation) {
        let slot = match self.state_failure.take() {
            Some(error) => Slot::Failed(error),
            None => Slot::State(self.take_state()),
        };
        aggregation.put(self.worker, slot);
    }

    /// The state in the scope, taken out of it; the scope keeps the batch's variables and the
    /// job's.
    pub(super) fn take_state(&mut self) -> WorkerState {
        self.scope.rewind(self.base_len);
        let state = self.take_tail(self.held_state);
        self.base_len = self.scope.len();
        self.held_state = 0;
        self.reset_job_variables();
        state
    }

    /// The scope's last `count` entries, moved out of it, in scope order.
    fn take_tail(&mut self, count: usize) -> WorkerState {
        // `iter_raw` goes from the scope's end: the entries, the last first.
        let names: Vec<(String, bool)> = self
            .scope
            .iter_raw()
            .take(count)
            .map(|(name, constant, _)| (name.to_string(), constant))
            .collect();
        // Each removal takes the scope's last entry: the last of the names left.
        let mut state: WorkerState = names
            .into_iter()
            .map(|(name, constant)| {
                let value = self.scope.remove::<Dynamic>(&name).unwrap_or_default();
                (name, constant, value)
            })
            .collect();
        state.reverse();
        state
    }

    /// Puts `state` in the scope, after the batch's variables (the job's are rewound first and
    /// follow it).
    pub(super) fn push_state(&mut self, state: WorkerState) {
        self.scope.rewind(self.base_len);
        self.held_state = state.len();
        for (name, constant, value) in state {
            if constant {
                self.scope.push_constant_dynamic(name, value);
            } else {
                self.scope.push_dynamic(name, value);
            }
        }
        self.base_len = self.scope.len();
        self.reset_job_variables();
    }

    /// Runs `begin` where the state goes; what it declares is the state.
    fn begin(
        &mut self,
        batch: &BatchControl,
        aggregation: &Aggregation,
    ) -> Result<WorkerState, JobError> {
        let Some(begin) = &aggregation.scripts.begin else {
            return Ok(Vec::new());
        };
        let mark = self.scope.len();
        let what = format!("begin on worker {}", self.worker);
        let result = self.run_script(batch, &begin.ast, &what);
        let state = self.take_tail(self.scope.len().saturating_sub(mark));
        let _: Dynamic = result?;
        if let Some((name, ..)) = state.iter().find(|(n, ..)| RESERVED.contains(&n.as_str())) {
            return Err(JobError::new(
                JobErrorKind::Script,
                format!(
                    "begin on worker {}: '{name}' is set for each job and cannot be a variable \
                     of begin",
                    self.worker
                ),
            ));
        }
        Ok(state)
    }

    /// At the batch's end, on whichever worker takes it: `end` over each worker's state, then
    /// `reduce` over the partial results, into the batch's result. A cancelled batch has none.
    pub(crate) fn finish(&mut self, batch: &BatchControl, aggregation: &Aggregation) {
        let slots = aggregation.take_all();
        if batch.fate() == Fate::Cancel {
            return;
        }
        self.enter_batch(batch);
        let result = self.aggregate(batch, aggregation, slots);
        // Whatever the scripts left, the scope is the batch's again, ready for a job.
        self.scope.rewind(self.base_len);
        self.reset_job_variables();
        // Cancelled while `end` or `reduce` ran: a cancelled batch has no result.
        if batch.fate() != Fate::Cancel {
            aggregation.set_result(result);
        }
    }

    fn aggregate(
        &mut self,
        batch: &BatchControl,
        aggregation: &Aggregation,
        slots: Vec<(usize, Slot)>,
    ) -> Aggregate {
        // The first `begin` that failed, whichever worker it was on, not the cancels that may
        // have followed it on others.
        if let Some(error) = aggregation.failure() {
            return Err(error);
        }
        let mut states = Vec::with_capacity(slots.len());
        for (worker, slot) in slots {
            match slot {
                Slot::State(state) => states.push((worker, state)),
                Slot::Failed(error) => return Err(error),
                Slot::Unused => {}
            }
        }
        if states.is_empty() {
            // No worker ran a job: the state as `begin` makes it, so that a count over no
            // items is 0, not nothing.
            self.scope.rewind(self.base_len);
            let state = self.begin(batch, aggregation)?;
            states.push((self.worker, state));
        }
        let Some(end) = &aggregation.scripts.end else {
            return Ok(Vec::new());
        };
        let mut partials = Vec::with_capacity(states.len());
        for (worker, state) in states {
            self.push_state(state);
            self.scope.rewind(self.base_len);
            let partial = self.run_script(batch, &end.ast, &format!("end on worker {worker}"));
            self.take_state();
            partials.push(partial?);
        }
        let Some(reduce) = &aggregation.scripts.reduce else {
            partials.retain(|value| !value.is_unit());
            return self.within_cap(partials);
        };
        let mut partials = partials.into_iter();
        let Some(mut reduced) = partials.next() else {
            return Ok(Vec::new());
        };
        for b in partials {
            self.scope.rewind(self.base_len);
            self.scope.push_dynamic("a", reduced).push_dynamic("b", b);
            let result = self.run_script(batch, &reduce.ast, "reduce");
            self.scope.rewind(self.base_len);
            reduced = result?;
        }
        let values = if reduced.is_unit() {
            Vec::new()
        } else {
            vec![reduced]
        };
        self.within_cap(values)
    }

    /// `values`, unless writing them would take more than the job's memory cap, as a job's
    /// output would not be written: a value can share one string many times, and its text be
    /// far larger than the memory it takes.
    fn within_cap(&self, values: Vec<Dynamic>) -> Aggregate {
        match self.state.max_memory {
            Some(cap) if crate::value::written_size_exceeds(values.iter(), cap) => {
                Err(JobError::new(
                    JobErrorKind::MemoryCap,
                    format!(
                        "the aggregate would take more than the memory cap of {} to write \
                         (max-memory)",
                        crate::limits::size::format_size(cap)
                    ),
                ))
            }
            _ => Ok(values),
        }
    }

    /// Runs one of the aggregation's scripts in the scope as it is, as a job runs: under the
    /// batch's timeout, the memory cap and cancellation. What it prints goes to the pool's
    /// live stream, as a job's does, but to no record, and what it emits is dropped: its value
    /// is its result. A native panic fails the script; the engine needs no rebuild,
    /// as it does after a grain `Vm` unwinds (these run on the tree walker, which holds no
    /// state of its own), and the scope is rewound by the caller.
    fn run_script(
        &mut self,
        batch: &BatchControl,
        ast: &AST,
        what: &str,
    ) -> Result<Dynamic, JobError> {
        let start = self.timer.now();
        self.clock.start_job(start.nanos, batch.timeout);
        if self.state.max_memory.is_some() {
            memory::arm(self.state.max_memory);
        }
        signal::forget_stand_in();
        let mut result = catch_unwind(AssertUnwindSafe(|| {
            self.engine
                .eval_ast_with_scope::<Dynamic>(&mut self.scope, ast)
        }));
        let over_cap = self.state.max_memory.is_some() && memory::over_cap();
        signal::settle(&mut result, over_cap, self.clock.owed_stop());
        self.clock.end_job();
        if self.state.max_memory.is_some() {
            memory::disarm();
        }
        signal::drop_left_behind();
        if self
            .capture
            .used
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            let mut capture = super::lock(&self.capture.capture);
            capture.emitted.clear();
            capture.streams.clear();
        }
        let mut error = match result {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(err)) => classify(&err, batch.timeout, &self.state)
                .1
                .unwrap_or_else(|| JobError::new(JobErrorKind::Script, err.to_string())),
            Err(panic) => JobError::new(
                JobErrorKind::NativePanic,
                format!(
                    "a native function panicked: {}",
                    panic_message(panic.as_ref())
                ),
            ),
        };
        error.message = format!("{what}: {}", error.message);
        Err(error)
    }
}
