//! `--begin`, `--end` and `--reduce`: per-worker state across a run's jobs, and the one value
//! made of it (see `RunOptions::begin`).

use std::path::Path;

use clap::Args;
use rsparallel::{RunOptions, RunspacePool, Script};

/// Flags that aggregate a run, as `ForEach-Object -Begin/-End` do.
#[derive(Debug, Args)]
#[command(next_help_heading = "Aggregation")]
pub struct AggregateArgs {
    /// Run CODE once on each worker before its first job; the variables it declares persist
    /// across that worker's jobs, which may change them (without --begin, nothing a job does
    /// reaches the next). CODE may also name a .rhai file. Not with --resume, which runs part
    /// of the input: its aggregate would not be the input's.
    #[arg(long, value_name = "CODE", conflicts_with_all = ["resume", "resume_failed"])]
    pub begin: Option<String>,

    /// Run CODE on each worker after the last job, its --begin variables in scope: its value
    /// is that worker's partial result, written after the records (one per worker without
    /// --reduce).
    #[arg(long, value_name = "CODE", conflicts_with_all = ["resume", "resume_failed"])]
    pub end: Option<String>,

    /// Combine two partial results, `a` and `b`, into one: the run's one result, written
    /// after the records. Needs --end.
    #[arg(long, value_name = "CODE", requires = "end")]
    pub reduce: Option<String>,
}

impl AggregateArgs {
    /// `options` with the aggregation's scripts, compiled by `pool`.
    pub fn apply(
        &self,
        pool: &RunspacePool,
        mut options: RunOptions,
    ) -> Result<RunOptions, rsparallel::Error> {
        options.begin = compile(pool, "--begin", self.begin.as_deref())?;
        options.end = compile(pool, "--end", self.end.as_deref())?;
        options.reduce = compile(pool, "--reduce", self.reduce.as_deref())?;
        Ok(options)
    }
}

/// CODE, or the file it names when it ends in `.rhai` (one that cannot be read is an error
/// before any job runs, not code that fails in every worker).
fn compile(
    pool: &RunspacePool,
    flag: &str,
    code: Option<&str>,
) -> Result<Option<Script>, rsparallel::Error> {
    let Some(code) = code else {
        return Ok(None);
    };
    let path = Path::new(code);
    if path.extension().is_some_and(|e| e == "rhai") {
        return pool.compile_file(path).map(Some);
    }
    pool.compile_named(flag, code).map(Some)
}
