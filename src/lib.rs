//! # rsparallel
//!
//! Runs a [Rhai](https://rhai.rs) script over many items in parallel, in one process, on a
//! pool of worker threads. Each worker owns a prepared engine — its *runspace* — built once and
//! reused for every job; every job has its own timeout, which really stops a runaway script
//! and keeps the worker.
//!
//! ## Quick start
//!
//! ```
//! use rsparallel::{JobStatus, RunspacePool};
//! use std::time::Duration;
//!
//! let pool = RunspacePool::builder()
//!     .threads(2)
//!     .timeout(Duration::from_secs(2))
//!     .variable("base", 10_i64)
//!     .build()?;
//! let script = pool.compile("item * base")?;
//! let mut outputs: Vec<i64> = pool
//!     .run(&script, [1_i64, 2, 3])?
//!     .map(|record| {
//!         assert_eq!(record.status, JobStatus::Completed);
//!         record.output[0].as_int().unwrap()
//!     })
//!     .collect();
//! outputs.sort();
//! assert_eq!(outputs, [10, 20, 30]);
//! # Ok::<(), rsparallel::Error>(())
//! ```
//!
//! Every item yields exactly one [`JobRecord`]: completed, failed, timed out, cancelled or
//! skipped. A failed job is data, not an error.
//!
//! The [`host`] module puts pools and their jobs on a Rhai engine as live objects — the API of
//! `rsparallel repl` and `rsparallel exec` — for applications whose users script them.
#![doc(test(attr(deny(warnings))))]

mod batch;
mod clock;
mod error;
mod job;
mod jobs;
mod memory;
mod modules;
mod pool;
mod run;
mod run_options;
mod runspace;
mod script;
mod signal;
mod source;
mod window;

pub mod batteries;
pub mod host;
pub mod input;
pub mod output;
pub mod timeline;
pub mod value;

pub use error::{CompileError, Error};
pub use job::{
    BatchId, JobError, JobRecord, JobStatus, StatusCounts, StreamEvent, StreamKind, StreamLine,
};
pub use jobs::{BatchSummary, PoolStatus, Receive, Wait};
pub use memory::{CountingAllocator, format_size, is_counting, parse_size, thread_net_allocated};
pub use pool::{DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_EXPR_DEPTH, RunspacePool, RunspacePoolBuilder};
pub use run::{Run, RunCanceller, UnreadableItem};
pub use run_options::{HaltPolicy, HaltThreshold, RunOptions, SeqFilter};
pub use runspace::{SetupHook, StreamSink};
pub use script::Script;
pub use signal::JobSignal;

/// Rhai itself, so that hosts use the same version the pool does.
pub use rhai;
