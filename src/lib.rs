// The crate documentation is a tutorial, kept in its own file so that it reads (and is
// edited) as one page; every example in it is a doctest.
#![doc = include_str!("tutorial.md")]
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

mod batch;
mod batches;
mod clock;
mod error;
mod job;
mod job_error;
mod job_output;
mod job_streams;
mod job_timer;
mod memory;
mod modules;
mod pool;
mod run;
mod run_options;
mod runspace;
mod script;
mod script_vm;
mod signal;
mod size;
mod source;
mod stack;
mod tag;
#[cfg(feature = "serde")]
mod typed_output;
mod window;

pub mod batteries;
pub mod host;
pub mod input;
pub mod output;
pub mod value;

pub use batches::{Batch, BatchStatus, Wait};
pub use error::{CompileError, Error};
pub use input::UnreadableItem;
pub use job::{
    BatchId, JobError, JobErrorKind, JobRecord, JobStatus, StatusCounts, StreamEvent, StreamKind,
    StreamLine,
};
pub use job_output::JobOutput;
pub use job_streams::JobStreams;
pub use memory::{CountingAllocator, DEFAULT_MAX_MEMORY, is_counting, thread_net_allocated};
pub use pool::PoolStatus;
pub use pool::{DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_EXPR_DEPTH, RunspacePool, RunspacePoolBuilder};
pub use run::{Run, RunCanceller, RunEvent};
pub use run_options::{HaltPolicy, HaltThreshold, RunOptions, SeqFilter};
pub use runspace::{SetupHook, StreamSink, is_job_variable};
pub use script::Script;
pub use script_vm::ScriptVm;
pub use signal::JobSignal;
pub use size::{format_size, parse_size};
#[cfg(feature = "serde")]
pub use typed_output::TypedOutputError;

/// Rhai itself, so that hosts use the same version the pool does.
pub use rhai;

/// The channel crate of [`RunspacePool::run_receiver`], so that hosts send items with the same
/// version the pool receives them with.
pub use crossbeam_channel;
