//! The host API: Rhai functions that make runspace pools and their jobs live objects in a
//! host engine — the engine of the REPL and of `rsparallel exec` driver scripts, or of any
//! application that embeds Rhai.
//!
//! ```
//! use rsparallel::host::Host;
//!
//! let host = Host::new();
//! let engine = host.engine();
//! let total: i64 = engine.eval(r#"
//!     let pool = new_runspace_pool(#{ threads: 2, variables: #{ base: 10 } });
//!     let batch = new_runspace_job(pool, "item * base", 1..=3);
//!     let records = receive_runspace_job(pool, #{ wait: true });
//!     pool.close();
//!     records.reduce(|sum, r| sum + r.output[0], 0)
//! "#)?;
//! assert_eq!(total, 60);
//! # Ok::<(), Box<rsparallel::rhai::EvalAltResult>>(())
//! ```
//!
//! Only the public pool API is used here: what the host scripts do, a Rust program can do too.

mod batch_handle;
mod convert;
mod functions;
mod options;
mod pool_handle;
mod session;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rhai::{Dynamic, Engine, EvalAltResult, Position};

use crate::record::job::StreamEvent;
use crate::script::vm::ScriptVm;
use crate::worker::runspace::{SetupHook, StreamSink};

pub use functions::{HOST_FUNCTIONS, HostFunction};
pub use session::WaitProgress;

use pool_handle::Receipts;

/// The text form of the host API's own values — a pool, a batch — as scripts' `to_string`
/// gives it; `None` for any other value. (`Dynamic`'s own `Display` knows only Rust's name for
/// a custom type.)
pub fn describe_handle(value: &Dynamic) -> Option<String> {
    if let Some(pool) = value.read_lock::<pool_handle::PoolHandle>() {
        return Some(pool.to_string());
    }
    value
        .read_lock::<batch_handle::BatchHandle>()
        .map(|batch| batch.to_string())
}

/// What the token of a script stopped by [`Interrupt`] says.
pub const INTERRUPTED: &str = crate::limits::signal::INTERRUPTED;

/// The token of a host script stopped because it nested too deep for its thread's stack.
pub const STACK_LOW: &str = "nested too deep for the stack (through eval, imports or calls)";

/// A flag that stops the host script's evaluation: waits in `receive_runspace_job` and
/// `sleep` end with an error, and the script itself ends at its next operation. Jobs already
/// submitted go on; their records stay in their batches for the next receive.
///
/// It stays set until [`Interrupt::clear`]: a REPL clears it before each line it evaluates.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Asks the running host script to stop. Safe to call from a signal handler's thread.
    pub fn interrupt(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether an interrupt was asked for and not yet cleared.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Clears the flag; returns whether it was set.
    pub fn clear(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

/// The host API's configuration: where job output goes, what every pool's workers get, and
/// the interrupt flag. [`Host::register`] puts the functions on an engine.
#[derive(Clone, Default)]
pub struct Host {
    stream_sink: Option<StreamSink>,
    setup: Option<SetupHook>,
    interrupt: Interrupt,
    vm: ScriptVm,
    /// The status a host script's `exit` asked for, until taken.
    exit: Arc<Mutex<Option<ExitRequest>>>,
    /// Every pool the host's scripts made, while something refers to it.
    session: session::Session,
    /// What the current input's receives took, while a REPL keeps it.
    receipts: Receipts,
    /// Function definitions of the session, for job scripts submitted after them.
    functions: Arc<Mutex<Vec<String>>>,
    on_wait: Option<WaitHook>,
    /// What the host script itself may reach, and the most its pools may be granted.
    permissions: Arc<crate::capabilities::Permissions>,
}

/// What [`Host::on_wait`] is given.
type WaitHook = Arc<dyn Fn(&WaitProgress) + Send + Sync>;

/// What a host script's `exit()` or `exit(value)` asked its host to exit with.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ExitRequest {
    /// The process's exit status: `exit()` is 0, `exit(n)` is `n` for 0 to 255, anything else
    /// is 1.
    pub status: u8,
    /// What `exit(value)` gave that is not a status, as text, for the host to show.
    pub message: Option<String>,
}

impl ExitRequest {
    fn of(value: &Dynamic) -> Self {
        if value.is_unit() {
            return ExitRequest {
                status: 0,
                message: None,
            };
        }
        match value.as_int().ok().and_then(|n| u8::try_from(n).ok()) {
            Some(status) => ExitRequest {
                status,
                message: None,
            },
            None => ExitRequest {
                status: 1,
                message: Some(crate::value::message_text(&value)),
            },
        }
    }
}

impl Host {
    /// A host whose pools keep job output in the records only, with no extra worker setup.
    pub fn new() -> Self {
        Host::default()
    }

    /// Receives every line a job `print`s or `debug`s, live, from the worker's thread, for
    /// every pool the host scripts create.
    pub fn on_stream(mut self, sink: impl Fn(&StreamEvent<'_>) + Send + Sync + 'static) -> Self {
        self.stream_sink = Some(Arc::new(sink));
        self
    }

    /// A hook run on every worker engine of every pool the host scripts create: register the
    /// native functions their jobs may call.
    pub fn setup(mut self, hook: impl Fn(&mut Engine) + Send + Sync + 'static) -> Self {
        self.setup = Some(Arc::new(hook));
        self
    }

    /// What the host's scripts may reach themselves (files, network, programs, environment:
    /// `rsparallel exec`'s `--allow-*` flags), and the most a pool they make may grant its
    /// jobs (the pool option `allow`). Default: nothing.
    pub fn permissions(mut self, permissions: crate::capabilities::Permissions) -> Self {
        self.permissions = Arc::new(permissions);
        self
    }

    /// Called while a host script waits in `wait_runspace_job`, every tenth of a second and
    /// once when the wait is over: a REPL shows how far the batches are.
    pub fn on_wait(mut self, hook: impl Fn(&WaitProgress) + Send + Sync + 'static) -> Self {
        self.on_wait = Some(Arc::new(hook));
        self
    }

    /// The interpreter of pools whose options do not name one (`vm`); the tree walker unless
    /// set.
    pub fn vm(mut self, vm: ScriptVm) -> Self {
        self.vm = vm;
        self
    }

    /// The flag that stops a running host script; clones share it.
    pub fn interrupt(&self) -> Interrupt {
        self.interrupt.clone()
    }

    /// Adds function definitions (`fn name(..) { .. }`, as source text) that every job script
    /// submitted afterwards can call, beside its pool's libraries: a REPL passes the functions
    /// each input defines. A later definition replaces an earlier one of the same name and
    /// number of parameters.
    pub fn define_functions(&self, definitions: impl Into<String>) {
        self.functions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(definitions.into());
    }

    pub(crate) fn functions(&self) -> Vec<String> {
        self.functions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Starts an input of a REPL: until [`end_input`](Host::end_input), what receives take is
    /// copied, so that an input that does not complete can give it back.
    pub fn begin_input(&self) {
        self.receipts.start();
    }

    /// Ends an input begun with [`begin_input`](Host::begin_input). When it did not complete
    /// (an error, Ctrl-C), the records its receives took go back to their batches, for the next
    /// receive: a receive hands its records over whole, or not at all. Returns how many went
    /// back.
    pub fn end_input(&self, completed: bool) -> usize {
        self.receipts.end(completed)
    }

    /// What a host script's `exit` asked for, if it called it since the last take. `exit` ends
    /// the script at once (a `catch` does not stop it); Rhai then hands back the value given to
    /// `exit` as the script's result, so this is how a host tells an exit from a result.
    pub fn take_exit(&self) -> Option<ExitRequest> {
        self.exit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Registers the host API on `engine`, and an `on_progress` callback that ends the script
    /// once the interrupt flag is set (replacing any callback the engine had).
    ///
    /// The callback also stops a script that nests so deep (an `eval` of itself) that the
    /// stack of the thread `register` is called on would overflow: call it on the thread that
    /// runs the scripts.
    pub fn register(&self, engine: &mut Engine) {
        functions::register(self, engine);
        session::register(self, engine);
        crate::capabilities::register(engine, &self.permissions);
        for with_value in [false, true] {
            let exit = self.exit.clone();
            let request = move |value: Dynamic| -> Result<Dynamic, Box<EvalAltResult>> {
                *exit.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(ExitRequest::of(&value));
                Err(EvalAltResult::Exit(value, Position::NONE).into())
            };
            if with_value {
                engine.register_fn("exit", request);
            } else {
                engine.register_fn("exit", move || request(Dynamic::UNIT));
            }
        }
        let interrupt = self.interrupt.clone();
        crate::limits::stack::set_host_floor();
        // Long native calls on this thread (a request, a program) end at Ctrl-C too.
        crate::limits::signal::install_host_interrupt(self.interrupt.0.clone());
        engine.on_progress(move |_| {
            if crate::limits::stack::host_stack_low() {
                return Some(Dynamic::from(STACK_LOW));
            }
            interrupt.is_set().then(|| Dynamic::from(INTERRUPTED))
        });
    }

    /// A full engine (`Engine::new`) with the batteries and the host API registered.
    pub fn engine(&self) -> Engine {
        let mut engine = Engine::new();
        crate::batteries::register(&mut engine);
        self.register(&mut engine);
        engine
    }
}
