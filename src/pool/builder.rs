//! The pool's builder: every setting, with its default, and `build`, which compiles the
//! function libraries and starts the workers and the ticker.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use rhai::{AST, Dynamic, Engine};

use super::{
    DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_EXPR_DEPTH, MAX_CALL_DEPTH_LIMIT, MAX_THREADS,
    RunspacePool, compile_with, read_source,
};
use crate::capabilities::Permissions;
use crate::error::Error;
use crate::limits::clock::{JobClock, Ticker};
use crate::pool::batches::Driver;
use crate::record::job::StreamEvent;
use crate::script::library_module;
use crate::script::vm::ScriptVm;
use crate::worker::batch::Chunk;
use crate::worker::runspace::{InitialState, SetupHook, StreamSink};
use crate::worker::{PoolShared, value_walk_stack_size, worker_loop, worker_stack_size};

/// The default of [`RunspacePoolBuilder::max_batches`].
const DEFAULT_MAX_BATCHES: usize = 10_000;

/// Builds a [`RunspacePool`]. Every setting has a default; see each method.
#[must_use]
pub struct RunspacePoolBuilder {
    threads: usize,
    timeout: Option<Duration>,
    max_ops: u64,
    max_call_depth: usize,
    max_expr_depth: usize,
    max_memory: Option<u64>,
    max_batches: usize,
    module_paths: Vec<PathBuf>,
    variables: Vec<(String, Dynamic)>,
    libraries: Vec<(String, Option<String>)>,
    setup: Option<SetupHook>,
    stream_sink: Option<StreamSink>,
    vm: ScriptVm,
    permissions: Permissions,
}

/// How many workers a CPU a pool may have before they share one standard library, and one
/// module of the batteries and capabilities.
const OWN_STD_LIB_WORKERS_PER_CPU: usize = 4;

/// The batteries and the capabilities `permissions` grant, registered once for every worker.
fn shared_functions(permissions: &Arc<Permissions>) -> rhai::Shared<rhai::Module> {
    let mut module = rhai::Module::new();
    crate::batteries::register_into(&mut module);
    crate::capabilities::register(&mut module, permissions);
    module.build_index();
    module.into()
}

impl Default for RunspacePoolBuilder {
    fn default() -> Self {
        RunspacePoolBuilder {
            threads: 0,
            timeout: None,
            max_ops: 0,
            max_call_depth: DEFAULT_MAX_CALL_DEPTH,
            max_expr_depth: DEFAULT_MAX_EXPR_DEPTH,
            max_memory: None,
            max_batches: DEFAULT_MAX_BATCHES,
            module_paths: Vec::new(),
            variables: Vec::new(),
            libraries: Vec::new(),
            setup: None,
            stream_sink: None,
            vm: ScriptVm::default(),
            permissions: Permissions::none(),
        }
    }
}

impl RunspacePoolBuilder {
    /// The number of worker threads, each with its own runspace. `0` (the default) means one
    /// per CPU.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// The per-job timeout, counted from the moment a worker starts the job. A job past it is
    /// stopped at its next operation and recorded as `timed_out`. Default: none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A deterministic CPU budget: the most engine operations one job may run. `0` (the
    /// default) means no budget.
    pub fn max_operations(mut self, operations: u64) -> Self {
        self.max_ops = operations;
        self
    }

    /// The deepest nesting of script function calls. Default: [`DEFAULT_MAX_CALL_DEPTH`].
    pub fn max_call_depth(mut self, depth: usize) -> Self {
        self.max_call_depth = depth;
        self
    }

    /// The deepest expression nesting a script's source may have. Default:
    /// [`DEFAULT_MAX_EXPR_DEPTH`].
    pub fn max_expr_depth(mut self, depth: usize) -> Self {
        self.max_expr_depth = depth;
        self
    }

    /// The most memory one job may allocate (net of what it frees), in bytes. A job past it is
    /// stopped at its next operation and recorded as `failed`, naming the cap. Default: no cap.
    ///
    /// The cap is enforced by counting allocations, so it needs [`CountingAllocator`] as the
    /// program's global allocator; [`build`](Self::build) fails without it.
    ///
    /// [`CountingAllocator`]: crate::CountingAllocator
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.max_memory = Some(bytes);
        self
    }

    /// The most submitted batches in flight at once (submitted and not yet finished; dropping
    /// or cancelling one finishes it soon), so that a host cannot pile up work without bound:
    /// [`submit`](crate::RunspacePool::submit) refuses one more with [`Error::Busy`] until one
    /// finishes ([`Batch::wait`](crate::Batch::wait) waits for that). Default: 10,000.
    pub fn max_batches(mut self, batches: usize) -> Self {
        self.max_batches = batches.max(1);
        self
    }

    /// A folder `import "name"` may load `name.rhai` from (repeatable). Without one, scripts
    /// cannot import modules. Names with `..` or absolute paths are refused.
    pub fn module_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.module_paths.push(dir.into());
        self
    }

    /// What jobs may reach beyond the engine: files, the network, programs, environment
    /// variables ([`crate::capabilities`]). Default: nothing.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// A variable visible, read-only, in every job.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<Dynamic>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }

    /// A function library: a `.rhai` file whose functions every job can call. It is compiled
    /// once, when the pool is built.
    pub fn functions_file(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().display().to_string();
        self.libraries.push((path, None));
        self
    }

    /// A function library given as source text, named `name` in compile errors.
    pub fn functions_source(mut self, name: impl Into<String>, source: impl Into<String>) -> Self {
        self.libraries.push((name.into(), Some(source.into())));
        self
    }

    /// A hook run on every worker's engine when it is built (and on the engine scripts are
    /// compiled with): register native functions and custom types here.
    ///
    /// Register a function that changes its first (`&mut`) argument with
    /// `rhai::FuncRegistration::new(name).with_purity(false)`: Rhai takes a registered function
    /// as pure unless told, and lets a pure one be called as a method on a constant. The
    /// pool's [`variable`](Self::variable)s are constants that all jobs of a worker share:
    /// changed in place, they would stay changed for its later jobs.
    pub fn setup(mut self, hook: impl Fn(&mut Engine) + Send + Sync + 'static) -> Self {
        self.setup = Some(Arc::new(hook));
        self
    }

    /// Receives each line a job writes with `print` or `debug`, live, from the worker's thread.
    /// The lines are also kept in the job's record.
    pub fn on_stream(mut self, sink: impl Fn(&StreamEvent<'_>) + Send + Sync + 'static) -> Self {
        self.stream_sink = Some(Arc::new(sink));
        self
    }

    /// The interpreter that runs job scripts: by default Rhai's tree walker, its reference;
    /// Rhai's grain bytecode VM (faster on scripts that loop, experimental, wrong on some
    /// scripts), or a choice per script between the two, can be chosen instead. See
    /// [`ScriptVm`].
    pub fn vm(mut self, vm: ScriptVm) -> Self {
        self.vm = vm;
        self
    }

    /// Compiles the function libraries and starts the workers.
    ///
    /// Up to four workers a CPU, each builds its own standard
    /// library and registers its own functions; past that the pool is waiting on I/O, and its
    /// workers share one library and one module of functions.
    pub fn build(self) -> Result<RunspacePool, Error> {
        let threads = if self.threads == 0 {
            num_cpus::get()
        } else {
            self.threads
        };
        if threads > MAX_THREADS {
            return Err(Error::InvalidOption(format!(
                "{threads} threads is more than a pool may have ({MAX_THREADS})"
            )));
        }
        if !(1..=MAX_CALL_DEPTH_LIMIT).contains(&self.max_call_depth) {
            return Err(Error::InvalidOption(format!(
                "max call depth must be between 1 and {MAX_CALL_DEPTH_LIMIT}"
            )));
        }
        // The job variables are set for each job: a pool variable of the same name would be
        // hidden by them, silently.
        if let Some((name, _)) = self
            .variables
            .iter()
            .find(|(name, _)| crate::worker::runspace::is_job_variable(name))
        {
            return Err(Error::InvalidOption(format!(
                "'{name}' is set by rsparallel for each job and cannot be a pool variable"
            )));
        }
        if self.max_memory.is_some() && !crate::limits::memory::is_counting() {
            return Err(Error::InvalidOption(
                "a memory cap needs rsparallel::CountingAllocator as the global allocator".into(),
            ));
        }
        let vm = self.vm;
        let permissions = Arc::new(self.permissions);
        let std_lib =
            rhai::packages::Package::as_shared_module(&rhai::packages::StandardPackage::new());
        let mut state = InitialState {
            variables: self.variables,
            setup: self.setup,
            max_ops: self.max_ops,
            max_call_depth: self.max_call_depth,
            max_expr_depth: self.max_expr_depth,
            max_memory: self.max_memory,
            module_paths: self.module_paths,
            module_cache: Default::default(),
            stream_sink: self.stream_sink,
            vm,
            permissions: permissions.clone(),
            library: None,
            std_lib,
            shared_functions: (threads > OWN_STD_LIB_WORKERS_PER_CPU * num_cpus::get())
                .then(|| shared_functions(&permissions)),
            epoch: (Instant::now(), SystemTime::now()),
        };
        let compiler = state.compile_engine();
        let mut library = AST::empty();
        for (name, source) in &self.libraries {
            let source = match source {
                Some(text) => text.clone(),
                None => read_source(Path::new(name))?,
            };
            let ast = compile_with(&state, &compiler, name, &source)?;
            library = library.merge(&ast.clone_functions_only());
        }
        if vm != ScriptVm::TreeWalker {
            state.library = library_module(&library);
        }
        let state = Arc::new(state);

        let clocks: Arc<[Arc<JobClock>]> = (0..threads)
            .map(|_| Arc::new(JobClock::new(state.epoch.0)))
            .collect();
        let ticker = Ticker::start(state.epoch.0, clocks.clone()).map_err(Error::Spawn)?;
        for clock in clocks.iter() {
            clock.set_ticker(ticker.clone());
        }
        let shared = Arc::new(PoolShared {
            state,
            clocks,
            ticker,
            shutting_down: AtomicBool::new(false),
            worked: Default::default(),
        });
        // Two chunks per worker: one being run, one waiting, so no worker idles between chunks
        // while input waits upstream instead of piling up in memory.
        let (job_tx, job_rx) = crossbeam_channel::bounded::<Chunk>(threads * 2);
        let mut workers = Vec::with_capacity(threads);
        for index in 0..threads {
            let worker_shared = shared.clone();
            let job_rx = job_rx.clone();
            let spawned = spawn_worker(
                index,
                worker_stack_size(self.max_call_depth),
                value_walk_stack_size(self.max_memory),
                move |spare| worker_loop(worker_shared, index, job_rx, spare),
            );
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(e) => {
                    // The workers started so far end when the queue's sender is dropped.
                    drop(job_tx);
                    for worker in workers {
                        let _ = worker.join();
                    }
                    shared.ticker.stop();
                    return Err(Error::Spawn(e));
                }
            }
        }
        Ok(RunspacePool {
            shared,
            job_tx: Some(job_tx),
            workers,
            compiler,
            library: Arc::new(library),
            timeout: self.timeout,
            next_batch: AtomicU64::new(0),
            id: {
                /// Pools numbered in the order they are built, from 1 (0 is no pool's).
                static BUILT: AtomicU64 = AtomicU64::new(1);
                BUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
            driver: Driver::new(self.max_batches),
            live: Default::default(),
        })
    }
}

/// Starts worker `index` on a stack of `size` bytes and `extra` more for deep values' walks;
/// where the system refuses that much address space (strict overcommit, a small machine), on
/// `size` alone: deep values are then bounded by it, as without a memory cap. `work` is told
/// how much more it got, 0 or `extra`.
fn spawn_worker(
    index: usize,
    size: usize,
    extra: usize,
    work: impl FnOnce(usize) + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let name = format!("rsparallel-worker-{index}");
    let work = Arc::new(Mutex::new(Some(work)));
    let start = |more: usize| {
        let work = work.clone();
        std::thread::Builder::new()
            .name(name.clone())
            .stack_size(size.saturating_add(more))
            .spawn(move || {
                let work = work.lock().unwrap_or_else(PoisonError::into_inner).take();
                if let Some(work) = work {
                    work(more);
                }
            })
    };
    match start(extra) {
        Err(_) if extra > 0 => start(0),
        spawned => spawned,
    }
}
