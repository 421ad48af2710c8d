// The crate documentation is a tutorial, kept in its own file so that it reads (and is
// edited) as one page; every example in it is a doctest.
#![doc = include_str!("tutorial.md")]
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

// The modules, from the bottom layer up; each imports only from the layers below it.
//
// Values and sizes: what a script's values are outside the engine.
pub mod value;
// The script and its limits: compiling, the interpreter, imports; the job clock, the native
// stack guard, the memory cap and the job timer.
mod limits;
mod script;
// Functions for job scripts beyond Rhai's own: the batteries, and files, network, processes
// and environment as granted.
pub mod batteries;
pub mod capabilities;
// Records: what one job produced and how it ended.
mod record;
// Input: item readers, and where a run's items come from.
pub mod input;
// The queue's unit (a chunk of a batch) and the worker that runs it in its runspace.
mod worker;
// The pool, its runs and its submitted batches.
mod error;
mod pool;
// Output: record writers.
pub mod output;
// The host API: pools and batches as values of a host script (the REPL, exec).
pub mod host;

pub use error::{CompileError, Error};
pub use input::UnreadableItem;
pub use limits::memory::{
    CountingAllocator, DEFAULT_MAX_MEMORY, is_counting, thread_net_allocated,
};
pub use limits::signal::JobSignal;
pub use limits::size::{format_size, parse_size};
pub use pool::batches::{Batch, BatchStatus, Wait};
pub use pool::run::{Run, RunCanceller, RunEvent};
pub use pool::run_options::{RunOptions, SeqFilter};
pub use pool::{
    DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_EXPR_DEPTH, PoolStatus, RunspacePool, RunspacePoolBuilder,
};
pub use record::job::{
    BatchId, JobError, JobErrorKind, JobRecord, JobStatus, StatusCounts, StreamEvent, StreamKind,
    StreamLine,
};
pub use record::output::JobOutput;
pub use record::streams::JobStreams;
#[cfg(feature = "serde")]
pub use record::typed_output::TypedOutputError;
pub use script::Script;
pub use script::vm::ScriptVm;
pub use worker::batch::aggregation::Aggregate;
pub use worker::batch::halt_policy::{HaltPolicy, HaltThreshold};
pub use worker::runspace::{SetupHook, StreamSink, is_job_variable};

/// Rhai itself, so that hosts use the same version the pool does.
pub use rhai;

/// The channel crate of [`RunspacePool::run_receiver`], so that hosts send items with the same
/// version the pool receives them with.
pub use crossbeam_channel;
