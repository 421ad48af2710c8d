//! The runspace pool: its builder, its worker threads, and shutdown on drop.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Sender;
use rhai::{AST, Engine};

use crate::error::{CompileError, Error};
use crate::pool::batches::Driver;
use crate::record::job::{BatchId, JobRecord};
use crate::script::vm::ScriptVm;
use crate::script::{Script, library_module};
use crate::worker::PoolShared;
use crate::worker::batch::aggregation::Aggregation;
use crate::worker::batch::{BatchControl, Chunk};
use crate::worker::runspace::{InitialState, is_job_variable};
use run_options::RunOptions;

pub(crate) mod batches;
mod builder;
pub(crate) mod run;
pub(crate) mod run_options;
mod status;

pub use builder::RunspacePoolBuilder;
pub use status::PoolStatus;

/// Default limit on nested script function calls.
pub const DEFAULT_MAX_CALL_DEPTH: usize = 128;
/// Default limit on expression nesting in a script's source.
pub const DEFAULT_MAX_EXPR_DEPTH: usize = 64;
/// The most worker threads a pool may have. Each has its own engine and stack; past a few
/// thousand, a machine runs out of threads or memory before it gains anything.
pub const MAX_THREADS: usize = 4_096;
/// The deepest call nesting a pool accepts; each level needs its share of worker stack.
pub const MAX_CALL_DEPTH_LIMIT: usize = 10_000;

/// A pool of worker threads, each owning a prepared Rhai engine (its *runspace*), that runs
/// one compiled script over many items.
///
/// Work is given to it either as a streaming run ([`RunspacePool::run`]) or as batches of jobs
/// submitted now, running while their owner does something else ([`RunspacePool::submit`]).
///
/// Dropping the pool is its shutdown: running jobs are cancelled at their next operation,
/// queued ones are dropped, and the worker threads are joined.
pub struct RunspacePool {
    pub(crate) shared: Arc<PoolShared>,
    pub(crate) job_tx: Option<Sender<Chunk>>,
    workers: Vec<JoinHandle<()>>,
    compiler: Engine,
    library: Arc<AST>,
    pub(crate) timeout: Option<Duration>,
    next_batch: AtomicU64,
    /// This pool's number in the process, which its batch ids carry.
    pub(crate) id: u64,
    /// Moves the submitted batches on.
    pub(crate) driver: Driver,
    /// Every batch started and not yet dropped (runs and submitted batches), for `cancel_all`,
    /// and the length at which the list is next rid of the batches that ended.
    live: Mutex<(Vec<Weak<BatchControl>>, usize)>,
}

impl RunspacePool {
    /// A builder with every setting at its default.
    pub fn builder() -> RunspacePoolBuilder {
        RunspacePoolBuilder::default()
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// The interpreter setting the workers run job scripts with (for [`ScriptVm::Auto`], each
    /// script runs on the interpreter chosen for it), as the builder set it.
    pub fn vm(&self) -> ScriptVm {
        self.shared.state.vm
    }

    /// The per-job timeout jobs get unless their batch sets its own.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Compiles `source` (named `-e` in errors) with the pool's function libraries merged in.
    pub fn compile(&self, source: &str) -> Result<Script, Error> {
        self.compile_named("-e", source)
    }

    /// Compiles `source`, naming it `name` in compile errors.
    pub fn compile_named(&self, name: &str, source: &str) -> Result<Script, Error> {
        let ast = compile_with(&self.shared.state, &self.compiler, name, source)?;
        let library = library_module(&self.library);
        Ok(Script::new(&self.library, &ast, name, source, library))
    }

    /// Compiles `source`, naming it `name`, with `functions` beside the pool's libraries:
    /// function definitions from elsewhere (a REPL's session), each compiled on its own, a later
    /// one replacing an earlier one of the same name and number of parameters.
    pub fn compile_with_functions(
        &self,
        name: &str,
        source: &str,
        functions: &[impl AsRef<str>],
    ) -> Result<Script, Error> {
        let state = &self.shared.state;
        let mut library = (*self.library).clone();
        for definitions in functions {
            let defined = compile_with(state, &self.compiler, "functions", definitions.as_ref())?;
            library = library.merge(&defined.clone_functions_only());
        }
        let library = Arc::new(library);
        let ast = compile_with(state, &self.compiler, name, source)?;
        let module = library_module(&library);
        Ok(Script::new(&library, &ast, name, source, module))
    }

    /// Reads and compiles a script file; errors name the file.
    pub fn compile_file(&self, path: impl AsRef<Path>) -> Result<Script, Error> {
        let path = path.as_ref();
        let source = read_source(path)?;
        self.compile_named(&path.display().to_string(), &source)
    }

    pub(crate) fn new_batch(
        &self,
        script: &Script,
        options: &RunOptions,
        results: Sender<Vec<JobRecord>>,
    ) -> Result<Arc<BatchControl>, Error> {
        // The job variables are set for each job: a batch variable of the same name would be
        // hidden by them.
        if let Some((name, _)) = options.variables.iter().find(|(n, _)| is_job_variable(n)) {
            return Err(Error::InvalidOption(format!(
                "'{name}' is set by rsparallel for each job and cannot be a batch variable"
            )));
        }
        let scripts = options.aggregate_scripts().map_err(Error::InvalidOption)?;
        let id = BatchId::new(self.id, self.next_batch.fetch_add(1, Ordering::Relaxed));
        let mut batch = Arc::new(BatchControl::new(
            id,
            script.clone(),
            options.timeout.or(self.timeout),
            options.variables.clone(),
            results,
            self.shared.clocks.clone(),
        ));
        if let Some(scripts) = scripts {
            let aggregation = Aggregation::new(scripts, self.shared.clocks.len());
            BatchControl::aggregate(&mut batch, aggregation);
        }
        Ok(batch)
    }

    /// Keeps track of a batch set up to start, so that `cancel_all` reaches it.
    pub(crate) fn track(&self, control: &Arc<BatchControl>) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        let (batches, prune_at) = &mut *live;
        // Forget the batches that ended once the list has doubled since it last did: each
        // batch is looked at a bounded number of times on average, however many stay alive.
        if batches.len() >= *prune_at {
            batches.retain(|batch| batch.strong_count() > 0);
            *prune_at = (batches.len() * 2).max(64);
        }
        batches.push(Arc::downgrade(control));
    }

    pub(crate) fn sender(&self) -> Result<&Sender<Chunk>, Error> {
        match &self.job_tx {
            Some(tx) if !self.shared.shutting_down.load(Ordering::SeqCst) => Ok(tx),
            _ => Err(Error::Closed),
        }
    }

    /// Cancels every job: queued ones are recorded as `cancelled` without running, running
    /// ones end at their next operation.
    pub fn cancel_all(&self) {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        for batch in live.0.iter().filter_map(Weak::upgrade) {
            batch.cancel();
        }
        drop(live);
        for clock in self.shared.clocks.iter() {
            clock.cancel_if_running(None);
        }
    }
}

impl Drop for RunspacePool {
    fn drop(&mut self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        self.cancel_all();
        // The driver's runs hold the queue too: they let go of it as the driver ends.
        self.driver.stop();
        self.job_tx = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        self.shared.ticker.stop();
    }
}

fn read_source(path: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // A byte order mark, as some editors write, is not Rhai.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

fn compile_with(
    state: &InitialState,
    engine: &Engine,
    name: &str,
    source: &str,
) -> Result<AST, Error> {
    let compiled = if crate::script::switches_too_many(source) {
        // Rhai's optimizer takes time exponential in the nesting of `switch` (26 nested
        // defaults: 48 s); parsing alone is linear, and optimizing is only a speed-up.
        let mut plain = state.compile_engine();
        plain.set_optimization_level(rhai::OptimizationLevel::None);
        plain.compile(source)
    } else {
        engine.compile(source)
    };
    let mut ast = compiled.map_err(|e| Error::Compile(CompileError::from_parse(name, &e)))?;
    // Workers run copies without it: every evaluation takes a reference to the tree's source
    // name, and with all workers counting on one shared string, its count went back and forth
    // between their cores at every job, a seventh of a trivial job's time on grain.
    ast.set_source(name);
    Ok(ast)
}
