//! Jobs and their records: what one script run over one item produced, and how it ended.

use std::fmt;
use std::time::{Duration, SystemTime};

use rhai::Dynamic;

pub use crate::record::error::{JobError, JobErrorKind};
use crate::record::output::JobOutput;
use crate::record::streams::JobStreams;
pub use crate::record::streams::{StreamKind, StreamLine};

/// Identifies the jobs submitted together by one [`RunspacePool::submit`] or one
/// [`RunspacePool::run`].
///
/// [`RunspacePool::submit`]: crate::RunspacePool::submit
/// [`RunspacePool::run`]: crate::RunspacePool::run
///
/// It names its pool as well as its number, so that a batch of one pool is never taken for a
/// batch of another: a pool refuses ids it did not make. Only a pool makes them.
///
/// One word, as every record carries one: the pool's number in its top 24 bits
/// (pools are numbered from 1 as they are built, 0 is no pool's), the batch's number in its
/// pool below.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId(u64);

/// Bits of a [`BatchId`] that name its pool: 16 million pools a process, each with a million
/// million batches, before a number wraps.
const POOL_BITS: u32 = 24;
const NUMBER_BITS: u32 = 64 - POOL_BITS;

impl BatchId {
    pub(crate) fn new(pool: u64, number: u64) -> Self {
        let pool = pool & ((1 << POOL_BITS) - 1);
        BatchId(pool << NUMBER_BITS | number & ((1 << NUMBER_BITS) - 1))
    }

    /// The batch's number in its pool: 0 for the pool's first batch, then 1, 2, ...
    pub fn number(self) -> u64 {
        self.0 & ((1 << NUMBER_BITS) - 1)
    }

    /// Whether the pool numbered `pool` made this id.
    pub(crate) fn is_of(self, pool: u64) -> bool {
        self.0 >> NUMBER_BITS == pool & ((1 << POOL_BITS) - 1)
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// How a job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobStatus {
    /// The script ran to its end; its value and emitted values are the output.
    Completed,
    /// The script threw, hit a limit, or its item could not be read.
    Failed,
    /// The script ran past the job's timeout and was stopped.
    TimedOut,
    /// The job was stopped (or never started) because its batch or the pool was cancelled.
    Cancelled,
    /// The item was read but never started, because the run was halted or its deadline passed.
    Skipped,
}

impl JobStatus {
    /// Every status, in the order summaries list them.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::TimedOut,
        JobStatus::Cancelled,
        JobStatus::Skipped,
    ];

    /// The status as written in records and summaries: `completed`, `failed`, `timed_out`,
    /// `cancelled` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::TimedOut => "timed_out",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Skipped => "skipped",
        }
    }

    /// A position in [`JobStatus::ALL`], for counting per status.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A line of a job's stream as it is forwarded live to the host, while the job runs.
#[derive(Debug)]
pub struct StreamEvent<'a> {
    /// The job's sequence number.
    pub seq: u64,
    /// The job's item.
    pub item: &'a Dynamic,
    /// The worker running the job.
    pub worker: usize,
    /// The line.
    pub line: &'a StreamLine,
}

impl StreamEvent<'_> {
    /// The line as a terminal shows it: `print` text as it is, other streams as
    /// `[seq N] warn: text`. Tagged (GNU parallel's `--tag`), every line starts with the job's
    /// seq and item, tab-separated.
    pub fn format(&self, tagged: bool) -> String {
        let text = &self.line.text;
        let kind = self.line.kind;
        match (tagged, kind) {
            (false, StreamKind::Print) => text.clone(),
            (false, _) => format!("[seq {}] {}: {text}", self.seq, kind.as_str()),
            (true, StreamKind::Print) => format!("{}\t{text}", self.tag()),
            (true, _) => format!("{}\t{}: {text}", self.tag(), kind.as_str()),
        }
    }

    /// `seq<TAB>item`, the prefix of a tagged line.
    pub fn tag(&self) -> String {
        format!("{}\t{}", self.seq, crate::record::tag::tag_text(self.item))
    }
}

/// The outcome of one job. Every item given to a pool yields exactly one record.
#[derive(Clone, Debug)]
pub struct JobRecord {
    /// The item's 0-based position in its batch's input.
    pub seq: u64,
    /// The batch the job belonged to.
    pub batch: BatchId,
    /// The item the script ran over (for an unreadable input line: its raw text).
    pub item: Dynamic,
    /// How the job ended.
    pub status: JobStatus,
    /// Values passed to `emit(..)`, then the script's final value unless it was `()`.
    pub output: JobOutput,
    /// Why the job did not complete; `None` when it did. Boxed: most records have none, and a
    /// smaller record is cheaper to move at millions a second.
    pub error: Option<Box<JobError>>,
    /// The worker that ran the job; `None` when no worker started it.
    pub worker: Option<usize>,
    /// When the worker began the job; `None` when it never started.
    pub start: Option<SystemTime>,
    /// When the worker ended the job; `None` when it never started.
    pub end: Option<SystemTime>,
    /// Lines the job wrote to its streams (`print`, `debug`, `warn`, `verbose`, `error`), in
    /// order.
    pub streams: JobStreams,
    /// How many times the job was tried: 1, plus its retries.
    pub attempts: u32,
}

// Copied inline, at every move, up to 128 bytes; above, through a call to `memcpy`: at millions
// of records a second, those calls were a quarter of the reading thread's instructions.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<JobRecord>() <= 128);

impl JobRecord {
    /// A record for an item that no worker ran (unreadable input, cancelled or skipped before
    /// it started).
    pub fn not_run(
        batch: BatchId,
        seq: u64,
        item: Dynamic,
        status: JobStatus,
        error: JobError,
    ) -> Self {
        JobRecord {
            seq,
            batch,
            item,
            status,
            output: JobOutput::new(),
            error: Some(Box::new(error)),
            worker: None,
            start: None,
            end: None,
            streams: JobStreams::new(),
            attempts: 0,
        }
    }

    /// A record for an item read but never started, `cancelled` or `skipped`, saying so.
    pub fn not_started(batch: BatchId, seq: u64, item: Dynamic, status: JobStatus) -> Self {
        let kind = match status {
            JobStatus::Skipped => JobErrorKind::Skipped,
            _ => JobErrorKind::Cancelled,
        };
        let error = JobError::new(kind, format!("{status} before it started"));
        JobRecord::not_run(batch, seq, item, status, error)
    }

    /// How long the job ran: from its start to its end, zero when it never started.
    pub fn duration(&self) -> Duration {
        match (self.start, self.end) {
            (Some(start), Some(end)) => end.duration_since(start).unwrap_or_default(),
            _ => Duration::ZERO,
        }
    }

    /// Whether the job ran to completion.
    pub fn is_completed(&self) -> bool {
        self.status == JobStatus::Completed
    }

    /// Whether the job reported a non-terminating error with `error(..)`.
    pub fn has_errors(&self) -> bool {
        self.streams.iter().any(|l| l.kind == StreamKind::Error)
    }
}

/// Counts of records per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts([u64; 5]);

impl StatusCounts {
    /// Counts one more record with this status.
    pub fn add(&mut self, status: JobStatus) {
        self.0[status.index()] += 1;
    }

    /// Counts `n` more records with this status.
    pub(crate) fn add_many(&mut self, status: JobStatus, n: u64) {
        self.0[status.index()] += n;
    }

    /// Adds another set of counts to these.
    pub fn merge(&mut self, other: &StatusCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    /// The number of records with this status.
    pub fn get(&self, status: JobStatus) -> u64 {
        self.0[status.index()]
    }

    /// The number of records counted.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Whether every record counted was completed.
    pub fn all_completed(&self) -> bool {
        self.total() == self.get(JobStatus::Completed)
    }
}

impl fmt::Display for StatusCounts {
    /// `1980 completed, 20 timed_out`: only the statuses that occurred.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for status in JobStatus::ALL {
            let n = self.get(status);
            if n == 0 {
                continue;
            }
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{n} {status}")?;
            first = false;
        }
        if first {
            f.write_str("no jobs")?;
        }
        Ok(())
    }
}
