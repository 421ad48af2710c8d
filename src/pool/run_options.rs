//! How a streaming run behaves: ordering, per-run timeout, retries, halting, a global
//! deadline, and which items it takes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rhai::Dynamic;

use crate::record::job::JobStatus;
use crate::script::Script;
use crate::worker::batch::aggregation::AggregateScripts;
use crate::worker::batch::halt_policy::HaltPolicy;

/// Options of one [`RunspacePool::run_with`](crate::RunspacePool::run_with).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RunOptions {
    /// Hand records back in input order. Default: `false` (as they finish).
    pub keep_order: bool,
    /// The most records held back waiting for an earlier one, when `keep_order` is set; input
    /// is not read further until the earliest outstanding job finishes. Default: 65,536.
    pub reorder_window: usize,
    /// The most bytes of records held back that way (their items, outputs and stream lines,
    /// as JSON would write them): records of 100 MB each, 65,536 of them, would not fit in any
    /// memory. Input is not read further while they take more. Default: 256 MiB.
    pub reorder_window_bytes: u64,
    /// A timeout for this run's jobs, instead of the pool's.
    pub timeout: Option<Duration>,
    /// How many more times a job that ended with a status in `retry_on` is tried. Scripts see
    /// the try's number as `attempt` (1 on the first). Default: 0.
    pub retries: u32,
    /// The statuses that are retried. Default: failed and timed out.
    pub retry_on: Vec<JobStatus>,
    /// When to stop the run early because too many jobs failed. Default: never.
    ///
    /// The policy is judged as each job ends, on its worker: the job that reaches it halts the
    /// run before any job starts after it. With `now`, a failure that ends after that (a job
    /// that was running on another worker) is recorded as `cancelled`, so exactly the failures
    /// that reached the policy are `failed`; with `soon`, running jobs finish as they end. A
    /// try that will be retried is not a failure; a retry the halt keeps from starting is
    /// `skipped`.
    pub halt: Option<HaltPolicy>,
    /// A deadline for the whole run, counted from its start: when it passes, running jobs
    /// are cancelled and every item read but not started is recorded as `skipped`.
    pub total_timeout: Option<Duration>,
    /// Which items to run, by sequence number. Items it rejects are read (so sequence numbers
    /// stay those of the whole input) but yield no record: they belong to another shard, or
    /// an earlier run already did them. Default: every item.
    pub select: Option<SeqFilter>,
    /// Variables of this run's jobs, read-only, beside the pool's (whose variable of the same
    /// name they hide): what the run's jobs share that differs from run to run, as PowerShell's
    /// `-ArgumentList`. `item`, `seq` and `attempt` are refused. Default: none.
    pub variables: Vec<(String, Dynamic)>,
    /// Runs once on each worker, before its first job of the run; the variables it declares
    /// persist across that worker's jobs, which see and change them (an explicit opt-in to
    /// runspace state: without it, nothing a job does reaches the next). Default: none.
    ///
    /// A job that fails or times out keeps the changes it made before it stopped.
    pub begin: Option<Script>,
    /// Runs once on each worker that ran jobs (or on one worker, when none did), after the
    /// run's last job, with that worker's `begin` variables in scope; its value is that
    /// worker's partial result. Default: none.
    pub end: Option<Script>,
    /// Combines two partial results, `a` and `b` in scope, into one: folded over every
    /// worker's, it gives the run's one [`Aggregate`](crate::Aggregate) value. Needs `end`.
    /// Default: none.
    pub reduce: Option<Script>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            keep_order: false,
            reorder_window: 65_536,
            reorder_window_bytes: 256 << 20,
            timeout: None,
            retries: 0,
            retry_on: vec![JobStatus::Failed, JobStatus::TimedOut],
            halt: None,
            total_timeout: None,
            select: None,
            variables: Vec::new(),
            begin: None,
            end: None,
            reduce: None,
        }
    }
}

/// Each option set in a chain, as the fields are documented: `RunOptions::default()
/// .keep_order(true).retries(2)`. (The fields are public to read; new ones may come, so the
/// struct is built from its default.)
impl RunOptions {
    /// Sets [`keep_order`](RunOptions#structfield.keep_order).
    pub fn keep_order(mut self, keep_order: bool) -> Self {
        self.keep_order = keep_order;
        self
    }

    /// Sets [`reorder_window`](RunOptions#structfield.reorder_window).
    pub fn reorder_window(mut self, records: usize) -> Self {
        self.reorder_window = records;
        self
    }

    /// Sets [`reorder_window_bytes`](RunOptions#structfield.reorder_window_bytes).
    pub fn reorder_window_bytes(mut self, bytes: u64) -> Self {
        self.reorder_window_bytes = bytes;
        self
    }

    /// Sets [`timeout`](RunOptions#structfield.timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets [`retries`](RunOptions#structfield.retries).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// A status that can be retried, by its name: `failed` or `timed_out` (as `--retry-on` and
    /// the host API's `retry_on` take them).
    pub fn retry_status(name: &str) -> Result<JobStatus, String> {
        match name {
            "failed" => Ok(JobStatus::Failed),
            "timed_out" => Ok(JobStatus::TimedOut),
            other => Err(format!("'{other}' cannot be retried (failed, timed_out)")),
        }
    }

    /// Sets [`retry_on`](RunOptions#structfield.retry_on).
    pub fn retry_on(mut self, statuses: impl IntoIterator<Item = JobStatus>) -> Self {
        self.retry_on = statuses.into_iter().collect();
        self
    }

    /// Sets [`halt`](RunOptions#structfield.halt).
    pub fn halt(mut self, policy: HaltPolicy) -> Self {
        self.halt = Some(policy);
        self
    }

    /// Sets [`total_timeout`](RunOptions#structfield.total_timeout).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// Sets [`select`](RunOptions#structfield.select).
    pub fn select(mut self, filter: SeqFilter) -> Self {
        self.select = Some(filter);
        self
    }

    /// Sets [`begin`](RunOptions#structfield.begin).
    pub fn begin(mut self, script: Script) -> Self {
        self.begin = Some(script);
        self
    }

    /// Sets [`end`](RunOptions#structfield.end).
    pub fn end(mut self, script: Script) -> Self {
        self.end = Some(script);
        self
    }

    /// Sets [`reduce`](RunOptions#structfield.reduce).
    pub fn reduce(mut self, script: Script) -> Self {
        self.reduce = Some(script);
        self
    }

    /// The run's aggregation scripts, when it aggregates.
    pub(crate) fn aggregate_scripts(&self) -> Result<Option<AggregateScripts>, String> {
        if self.reduce.is_some() && self.end.is_none() {
            return Err(
                "reduce needs end: end's value on each worker is what reduce combines".into(),
            );
        }
        if self.begin.is_none() && self.end.is_none() {
            return Ok(None);
        }
        Ok(Some(AggregateScripts {
            begin: self.begin.clone(),
            end: self.end.clone(),
            reduce: self.reduce.clone(),
        }))
    }

    /// Adds one of the [`variables`](RunOptions#structfield.variables).
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<Dynamic>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }
}

/// A predicate over sequence numbers, for [`RunOptions::select`].
#[derive(Clone)]
pub struct SeqFilter(Arc<dyn Fn(u64) -> bool + Send + Sync>);

impl SeqFilter {
    /// Runs the items for which `keep` returns `true`.
    pub fn new(keep: impl Fn(u64) -> bool + Send + Sync + 'static) -> Self {
        SeqFilter(Arc::new(keep))
    }

    /// Shard `index` of `count`: the items with `seq % count == index`.
    pub fn shard(index: u64, count: u64) -> Self {
        SeqFilter::new(move |seq| seq % count == index)
    }

    /// A shard as `--shard` and the host API's `shard` write it, `K/N` with `0 <= K < N`: its
    /// index and count.
    pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
        let bad = || format!("invalid shard '{text}': expected K/N with 0 <= K < N");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n): (u64, u64) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if n == 0 || k >= n {
            return Err(bad());
        }
        Ok((k, n))
    }

    pub(crate) fn keeps(&self, seq: u64) -> bool {
        (self.0)(seq)
    }
}

impl fmt::Debug for SeqFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeqFilter(..)")
    }
}
