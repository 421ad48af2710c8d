//! One worker's runspace: an engine built once from the pool's initial state, a template
//! scope, and the code that runs one job and turns its outcome into a record.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use rhai::packages::{Package, StandardPackage};
use rhai::{Dynamic, Engine, Module, Scope, Shared};

use crate::limits::clock::JobClock;
use crate::limits::timer::{JobTimer, Stamp};
use crate::limits::{memory, signal};
use crate::record::job::{
    BatchId, JobError, JobErrorKind, JobRecord, JobStatus, StreamEvent, StreamLine,
};
use crate::record::output::JobOutput;
use crate::record::streams::JobStreams;
use crate::script::modules::SandboxedResolver;
use crate::script::reach::holds_function;
use crate::script::vm::ScriptVm;
use crate::worker::batch::{BatchControl, QueuedJob};

mod cycles;
mod evaluator;
mod hooks;
mod outcome;
mod script_copies;
mod state;
mod tree_walker;
mod variables;

pub(crate) use evaluator::Evaluator;
use hooks::wire_job_hooks;
use outcome::{classify, panic_message};
pub(crate) use script_copies::{ScriptCopies, ScriptCopy};
pub use variables::is_job_variable;
use variables::{ITEM, JOB_VARIABLES, push_job_variables};

/// A host hook run on every worker's engine, to register native functions and types.
pub type SetupHook = Arc<dyn Fn(&mut Engine) + Send + Sync>;

/// Receives every line a job prints, live, while the job runs.
pub type StreamSink = Arc<dyn Fn(&StreamEvent<'_>) + Send + Sync>;

pub(crate) type ModuleCache =
    Arc<Mutex<std::collections::HashMap<std::path::PathBuf, Shared<Module>>>>;

/// What every runspace of a pool is built from.
pub(crate) struct InitialState {
    pub(crate) variables: Vec<(String, Dynamic)>,
    pub(crate) setup: Option<SetupHook>,
    /// 0: no operation budget.
    pub(crate) max_ops: u64,
    pub(crate) max_call_depth: usize,
    pub(crate) max_expr_depth: usize,
    /// Bytes one job may allocate net; `None`: no cap.
    pub(crate) max_memory: Option<u64>,
    /// Folders `import` may load modules from.
    pub(crate) module_paths: Vec<std::path::PathBuf>,
    pub(crate) module_cache: ModuleCache,
    pub(crate) stream_sink: Option<StreamSink>,
    pub(crate) vm: ScriptVm,
    /// What the jobs may reach: files, network, programs, environment.
    pub(crate) permissions: Arc<crate::capabilities::Permissions>,
    /// The pool's function libraries, registered on the engine of a runspace that may run
    /// grain (`Grain`, `Auto`): see [`crate::script::library_module`].
    pub(crate) library: Option<Shared<Module>>,
    /// Built once per pool, for the engine scripts are compiled with. Each runspace builds its
    /// own (~180 µs, ~220 KiB): the engine takes a counted reference to each standard function
    /// a job calls, and with one library shared by all workers, those counts would pass between
    /// their cores at every job (see `runspace::script_copies`).
    pub(crate) std_lib: Shared<Module>,
    /// For a pool with far more workers than cores, the batteries and capabilities registered
    /// once, in a module its workers share, with `std_lib` too; `None`: each runspace builds
    /// its own standard library and registers its own functions (see `std_lib`). Such a pool is
    /// waiting on I/O, where shared counts cost nothing a job would notice, and its own would
    /// cost each worker ~220 KiB and ~180 µs, and ~50 KB of functions.
    pub(crate) shared_functions: Option<Shared<Module>>,
    /// Pairs an `Instant` with wall-clock time: jobs are timed in nanoseconds after it
    /// (`job_timer`), and their records in wall-clock time.
    pub(crate) epoch: (Instant, SystemTime),
}

impl InitialState {
    /// An engine with the standard library `std_lib`, the batteries (`shared`, a module of
    /// them, or else its own) and limits, before the job hooks and the host's functions are
    /// added.
    fn base_engine(&self, std_lib: Shared<Module>, shared: Option<&Shared<Module>>) -> Engine {
        let mut engine = Engine::new_raw();
        engine.register_global_module(std_lib);
        if let Some(library) = &self.library {
            engine.register_global_module(library.clone());
        }
        engine.set_max_call_levels(self.max_call_depth);
        engine.set_max_expr_depths(self.max_expr_depth, self.max_expr_depth);
        engine.set_module_resolver(SandboxedResolver::new(
            &self.module_paths,
            self.module_cache.clone(),
        ));
        match shared {
            // Registered after the standard library, so it comes first, as an engine's own
            // functions do: the batteries that replace Rhai's (`to_json`, `print` of arrays)
            // still do.
            Some(functions) => {
                engine.register_global_module(functions.clone());
            }
            None => crate::batteries::register(&mut engine),
        }
        engine
    }

    /// The engine scripts are compiled with: a runspace's functions, but for those wired to
    /// the running job (`emit`, `warn`, `verbose`, `error`, `sleep`). At
    /// `OptimizationLevel::Full`, compiling calls native functions on constant arguments; these
    /// must not run then (nor, as stubs, fold a job's `emit(7)` away), so the compiler does not
    /// know them, and leaves each call for the job.
    pub(crate) fn compile_engine(&self) -> Engine {
        let mut engine = self.base_engine(self.std_lib.clone(), None);
        if let Some(setup) = &self.setup {
            setup(&mut engine);
        }
        engine
    }
}

/// What the running job has emitted and printed so far.
#[derive(Default)]
struct Capture {
    emitted: Vec<Dynamic>,
    streams: Vec<StreamLine>,
}

/// A job's capture, and whether anything went into it: most jobs neither emit nor print, and
/// then the worker need not lock the capture at all.
#[derive(Default)]
struct Captured {
    used: AtomicBool,
    capture: Mutex<Capture>,
}

impl Captured {
    fn lock(&self) -> MutexGuard<'_, Capture> {
        self.used.store(true, Ordering::Relaxed);
        lock(&self.capture)
    }
}

fn lock(capture: &Mutex<Capture>) -> MutexGuard<'_, Capture> {
    // A panicking host function can poison the lock; the capture is still sound data.
    capture
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One worker's engine and scope, reused for every job the worker runs.
pub(crate) struct Runspace {
    state: Arc<InitialState>,
    /// Shared with the worker's [`Evaluator`], which borrows it.
    engine: Arc<Engine>,
    scope: Scope<'static>,
    /// Scope length after the pool's variables, before the batch's.
    pool_len: usize,
    /// The batch whose variables follow the pool's; `None` until the first chunk.
    batch_in_scope: Option<BatchId>,
    /// Scope length before `item`, `seq` and `attempt`, which follow at fixed places; rewinding
    /// to just after them drops what the last job defined.
    base_len: usize,
    /// The value `attempt` has in the scope: nearly every job is a first try, and then the
    /// variable need not be looked up by name and written again.
    attempt_in_scope: u32,
    /// Whether the last job's script had functions, and so perhaps closures that made the job
    /// variables shared: the next job, whatever its script, must look before writing them.
    last_may_share: bool,
    /// How many of the scope's variables before the job's are the worker's aggregation state
    /// (`state`), after the batch's; 0 for a batch that does not aggregate.
    held_state: usize,
    /// `begin` failed on this worker: the batch's aggregation fails with this.
    state_failure: Option<JobError>,
    capture: Arc<Captured>,
    clock: Arc<JobClock>,
    timer: JobTimer,
    worker: usize,
}

impl Runspace {
    pub(crate) fn new(state: Arc<InitialState>, worker: usize, clock: Arc<JobClock>) -> Self {
        let capture = Arc::new(Captured::default());
        let shared = state.shared_functions.as_ref();
        let std_lib = match shared {
            None => StandardPackage::new().as_shared_module(),
            Some(_) => state.std_lib.clone(),
        };
        let mut engine = state.base_engine(std_lib, shared);
        wire_job_hooks(&mut engine, &state, worker, &clock, &capture);
        // Not on the engine scripts are compiled with: an optimizer that folds calls on
        // constant arguments must never do I/O at compile time. (A shared module has them.)
        if shared.is_none() {
            crate::capabilities::register(&mut engine, &state.permissions);
        }
        if let Some(setup) = &state.setup {
            // Run the host's hook last, so that it may replace a built-in on purpose.
            setup(&mut engine);
        }
        let mut scope = Scope::new();
        for (name, value) in &state.variables {
            // Constants: a job cannot change what the next job sees.
            scope.push_constant_dynamic(name.clone(), crate::value::unshared_copy(value));
        }
        let base_len = scope.len();
        // The per-job variables stay in the scope, their values replaced by each job: pushing
        // them anew would allocate each name again, for every job.
        push_job_variables(&mut scope, Dynamic::UNIT, 0, 0);
        Runspace {
            timer: JobTimer::new(state.epoch),
            state,
            engine: Arc::new(engine),
            scope,
            pool_len: base_len,
            batch_in_scope: None,
            base_len,
            attempt_in_scope: 0,
            last_may_share: false,
            held_state: 0,
            state_failure: None,
            capture,
            clock,
            worker,
        }
    }

    /// The time now, read from the system clock: a chunk's first job starts then.
    pub(crate) fn now(&mut self) -> Stamp {
        self.timer.now()
    }

    /// The engine jobs run on, for the worker's [`Evaluator`]; a new one after a native panic.
    pub(crate) fn engine(&self) -> Arc<Engine> {
        self.engine.clone()
    }

    /// Runs `script` over one item with `evaluator` (on this runspace's engine) and adds the
    /// outcome's record to `records` (in place: a record is moved as few times as possible).
    /// Panics in host functions are caught; the runspace is rebuilt after one, so the worker
    /// goes on with a sound engine.
    ///
    /// `start` is a time read just before: the time the worker's previous job returned, or the
    /// moment it took the chunk; the time this one returns is returned, after what it left was
    /// dropped. Two time reads per job, both from the CPU's counter where it can be
    /// (`job_timer`): at a few hundred nanoseconds a job, each system-clock read is several
    /// percent of it.
    pub(crate) fn run(
        &mut self,
        batch: &BatchControl,
        copy: &ScriptCopy,
        job: QueuedJob,
        start: Stamp,
        records: &mut Vec<JobRecord>,
        evaluator: &mut Evaluator<'_>,
    ) -> Stamp {
        let QueuedJob { seq, item, attempt } = job;
        let (script, timeout) = (&copy.ast, batch.timeout);
        let scoped_item = item.clone();
        // Walking the item for function pointers is for a worker that still keeps resolved
        // calls; one that has stopped resolves afresh whatever the item holds.
        let foreign = evaluator.may_keep_calls() && (!batch.keeps_calls() || holds_function(&item));
        // Only the live stream sink needs the job's seq and item while the job runs: the item
        // is lent to the stream hooks (a move, not a second copy) and taken back after the job.
        let mut item = Some(item);
        if self.state.stream_sink.is_some() {
            hooks::lend_running_item(seq, item.take().unwrap_or_default());
        }

        self.clock.start_job(start.nanos, timeout);
        signal::forget_stand_in();
        if self.state.max_memory.is_some() {
            memory::arm(self.state.max_memory);
        }
        // Setting the job variables is guarded too: whatever panics, the job fails and the
        // worker goes on with a rebuilt runspace, instead of dying with its chunk's records.
        // A batch that aggregates runs on the tree walker: its jobs change variables that
        // outlive them, which grain's differential tests do not cover.
        let tree = batch.aggregation.is_some();
        let mut result = catch_unwind(AssertUnwindSafe(|| {
            self.set_job_variables(script, scoped_item, seq, attempt);
            if tree {
                evaluator.eval_on_tree(&mut self.scope, copy, foreign)
            } else {
                evaluator.eval(&mut self.scope, &batch.script, copy, foreign)
            }
        }));
        let end = self.timer.job_end();
        let over_cap = self.state.max_memory.is_some() && memory::over_cap();
        signal::settle(&mut result, over_cap, self.clock.owed_stop());
        self.clock.end_job();
        if self.state.max_memory.is_some() {
            memory::disarm();
        }
        signal::drop_left_behind();
        if self.last_may_share {
            // Only closures make shared cells (see `cycles`).
            let value = result.as_mut().ok().and_then(|r| r.as_mut().ok());
            cycles::break_cycles(&self.scope, self.base_len, value, &self.capture);
        }
        // A job of fewer than 1,024 operations nested nothing deep enough to matter.
        if self.clock.job_was_checked() {
            cycles::drop_variables_flat(&mut self.scope, self.base_len + JOB_VARIABLES);
        }
        self.scope.rewind(self.base_len + JOB_VARIABLES);
        let item = item.unwrap_or_else(hooks::take_running_item);

        // Load before swapping: most jobs leave the capture unused, and a plain read is cheaper
        // than a locked exchange on every job.
        let used = self.capture.used.load(Ordering::Relaxed)
            && self.capture.used.swap(false, Ordering::Relaxed);
        let (mut output, streams) = if used {
            let mut capture = lock(&self.capture.capture);
            (
                JobOutput::from(std::mem::take(&mut capture.emitted)),
                JobStreams::from(std::mem::take(&mut capture.streams)),
            )
        } else {
            (JobOutput::new(), JobStreams::new())
        };
        let (status, error) = match result {
            Ok(Ok(value)) => {
                if !value.is_unit() {
                    output.push(value);
                }
                (JobStatus::Completed, None)
            }
            Ok(Err(err)) => classify(&err, timeout, &self.state),
            Err(panic) => {
                let message = panic_message(panic.as_ref());
                // The aggregation state outlives the engine: it is the batch's, not the job's.
                let state = (self.held_state > 0).then(|| self.take_state());
                let state_failure = self.state_failure.take();
                let mut rebuilt =
                    Runspace::new(self.state.clone(), self.worker, self.clock.clone());
                // The timer goes on: it has measured the counter's rate already.
                std::mem::swap(&mut rebuilt.timer, &mut self.timer);
                *self = rebuilt;
                self.enter_batch(batch);
                if let Some(state) = state {
                    self.push_state(state);
                }
                self.state_failure = state_failure;
                (
                    JobStatus::Failed,
                    Some(JobError::new(
                        JobErrorKind::NativePanic,
                        format!("a native function panicked: {message}"),
                    )),
                )
            }
        };
        let (status, error) = outcome::cap_output(status, error, &mut output, &self.state);
        records.push(JobRecord {
            seq,
            batch: batch.id,
            item,
            status,
            output,
            error: error.map(Box::new),
            worker: Some(self.worker),
            start: Some(start.wall),
            end: Some(end.wall),
            streams,
            attempts: attempt,
        });
        // The next job starts now: dropping what this one left can take tens of milliseconds.
        self.timer.job_end()
    }
}
