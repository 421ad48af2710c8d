//! A batch's shared control block: its script, timeout and cancel flag, where its records go,
//! how long its jobs take (for sizing the chunks workers take), and its halt policy.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crossbeam_channel::Sender;
use rhai::Dynamic;

use crate::limits::clock::JobClock;
use crate::record::job::{BatchId, JobRecord};
use crate::script::Script;
use crate::script::reach::holds_function;

pub(crate) mod aggregation;
mod halt;
pub(crate) mod halt_policy;

use aggregation::Aggregation;

pub(crate) use halt::{HaltWatch, Reached, is_retried};

/// A chunk of jobs of one batch: the unit workers take from the queue.
pub(crate) struct Chunk {
    pub(crate) batch: Arc<BatchControl>,
    pub(crate) jobs: Vec<QueuedJob>,
    /// Not jobs but the batch's end: the worker that takes it runs the aggregation's `end` and
    /// `reduce` over every worker's state, and answers with no records.
    pub(crate) finish: bool,
}

impl Chunk {
    pub(crate) fn of_jobs(batch: Arc<BatchControl>, jobs: Vec<QueuedJob>) -> Self {
        Chunk {
            batch,
            jobs,
            finish: false,
        }
    }
}

/// One item waiting for a worker.
pub(crate) struct QueuedJob {
    pub(crate) seq: u64,
    pub(crate) item: Dynamic,
    /// 1 on the first try, 2 on the first retry, and so on.
    pub(crate) attempt: u32,
}

impl QueuedJob {
    pub(crate) fn first(seq: u64, item: Dynamic) -> Self {
        QueuedJob {
            seq,
            item,
            attempt: 1,
        }
    }
}

/// What happens to a batch's jobs that have not started yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// They run.
    Run,
    /// The run was halted or its deadline passed: they are recorded as `skipped`.
    Skip,
    /// The batch was cancelled: they are recorded as `cancelled`.
    Cancel,
}

pub(crate) struct BatchControl {
    pub(crate) id: BatchId,
    pub(crate) script: Script,
    pub(crate) timeout: Option<Duration>,
    /// Variables of this batch's jobs, beside the pool's.
    pub(crate) variables: Vec<(String, Dynamic)>,
    pub(crate) results: Sender<Vec<JobRecord>>,
    /// A `Fate`, as a number: what becomes of jobs not yet started.
    fate: AtomicU8,
    clocks: Arc<[Arc<JobClock>]>,
    busy_nanos: AtomicU64,
    jobs_run: AtomicU64,
    /// The halt policy, judged by the workers as each job ends; `None` costs a job one branch.
    halt: Option<HaltWatch>,
    /// The state workers keep across the batch's jobs, and what it ends as.
    pub(crate) aggregation: Option<Aggregation>,
    /// [`BatchControl::keeps_calls`], found once.
    keeps_calls: OnceLock<bool>,
}

/// How much work a chunk should hold: enough that the cost of a queue message is small beside
/// it, little enough that a worker finishing early never waits long for the last chunk. At
/// 500 µs, jobs of ~0.5 ms went one to a chunk, and each hand-off (waking the reader, which on
/// two cores shares a CPU with the workers) left ~20 µs between jobs: 5–10 % of the work.
const CHUNK_TARGET: Duration = Duration::from_millis(2);
pub(crate) const MAX_CHUNK: usize = 1024;

/// How many bytes of items a chunk holds at most (a chunk holds one item whatever its size).
/// By count alone, fast jobs over big items made chunks of hundreds of items: 1,000 lines of
/// 2 MB each were read into memory 250 at a time, and lines of 64 MiB would have been 1,024.
pub(crate) const MAX_CHUNK_BYTES: u64 = 1 << 20;

/// An item's weight against [`MAX_CHUNK_BYTES`]: the memory it takes, counted no further
/// than that (a string's is its length and a value's slot).
pub(crate) fn item_bytes(item: &Dynamic) -> u64 {
    crate::value::memory_size_up_to(item, MAX_CHUNK_BYTES)
}

impl BatchControl {
    pub(crate) fn new(
        id: BatchId,
        script: Script,
        timeout: Option<Duration>,
        variables: Vec<(String, Dynamic)>,
        results: Sender<Vec<JobRecord>>,
        clocks: Arc<[Arc<JobClock>]>,
    ) -> Self {
        BatchControl {
            id,
            script,
            timeout,
            variables,
            results,
            fate: AtomicU8::new(Fate::Run as u8),
            clocks,
            busy_nanos: AtomicU64::new(0),
            jobs_run: AtomicU64::new(0),
            halt: None,
            aggregation: None,
            keeps_calls: OnceLock::new(),
        }
    }

    /// Whether this batch hands its jobs no function from another script: none of its
    /// variables holds a function pointer, and its `begin`, whose variables the jobs see,
    /// defines no functions and imports nothing (see `runspace::tree_walker`).
    pub(crate) fn keeps_calls(&self) -> bool {
        *self.keeps_calls.get_or_init(|| {
            let begin = self
                .aggregation
                .as_ref()
                .and_then(|a| a.scripts.begin.as_ref());
            !self.variables.iter().any(|(_, v)| holds_function(v))
                && begin.is_none_or(|begin| !begin.ast.has_functions() && !begin.may_import)
        })
    }

    /// Gives a batch that nobody else holds yet its aggregation.
    pub(crate) fn aggregate(batch: &mut Arc<BatchControl>, aggregation: Aggregation) {
        Arc::get_mut(batch)
            .expect("an aggregation is set before the batch is shared")
            .aggregation = Some(aggregation);
    }

    /// Gives a batch that nobody else holds yet its halt policy.
    pub(crate) fn watch_halt(batch: &mut Arc<BatchControl>, watch: HaltWatch) {
        Arc::get_mut(batch)
            .expect("a halt policy is set before the batch is shared")
            .halt = Some(watch);
    }

    /// Counts the end of the job `record` stands for towards the halt policy, if there is one.
    /// The job that reaches it halts the batch before its worker starts another job, and each
    /// worker looks at the batch's fate before each job: none starts after that. A failure
    /// counted after a `now` policy was reached, from a job that was running then, becomes
    /// `cancelled`, so the failures recorded are exactly the policy's.
    pub(crate) fn judge(&self, record: &mut JobRecord) {
        if let Some(watch) = &self.halt {
            self.judge_halt(watch, record);
        }
    }

    /// [`BatchControl::judge`] for the last of a worker's records: the job it just ran.
    #[inline]
    pub(crate) fn judge_last(&self, records: &mut [JobRecord]) {
        if let Some(watch) = &self.halt
            && let Some(record) = records.last_mut()
        {
            self.judge_halt(watch, record);
        }
    }

    fn judge_halt(&self, watch: &HaltWatch, record: &mut JobRecord) {
        let verdict = watch.judge(record);
        if verdict.cancel {
            halt::cancel_late_failure(record);
        }
        if verdict.halt {
            self.halt(watch.policy().now);
        }
    }

    /// Why the batch halted, once its halt policy was reached.
    pub(crate) fn halt_reason(&self) -> Option<String> {
        if let Some(failure) = self.aggregation.as_ref().and_then(Aggregation::failure) {
            return Some(format!("the aggregation's {failure}"));
        }
        let watch = self.halt.as_ref()?;
        let reached: Reached = watch.reached()?;
        Some(watch.reason(reached))
    }

    /// What becomes of the batch's jobs that have not started.
    pub(crate) fn fate(&self) -> Fate {
        match self.fate.load(Ordering::SeqCst) {
            0 => Fate::Run,
            1 => Fate::Skip,
            _ => Fate::Cancel,
        }
    }

    /// Whether the batch takes no more work (halted or cancelled).
    pub(crate) fn is_stopped(&self) -> bool {
        self.fate() != Fate::Run
    }

    /// Cancels the batch: queued jobs become `cancelled` records without running, and running
    /// ones end at their next operation.
    pub(crate) fn cancel(&self) {
        self.fate.store(Fate::Cancel as u8, Ordering::SeqCst);
        self.cancel_running();
    }

    /// Halts the batch: queued jobs become `skipped` records; with `now`, running jobs are
    /// cancelled too, otherwise they finish.
    pub(crate) fn halt(&self, now: bool) {
        let _ = self.fate.compare_exchange(
            Fate::Run as u8,
            Fate::Skip as u8,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        if now {
            self.cancel_running();
        }
    }

    fn cancel_running(&self) {
        for clock in self.clocks.iter() {
            clock.cancel_if_running(Some(self.id.number()));
        }
    }

    pub(crate) fn note_work(&self, busy: Duration, jobs: usize) {
        self.busy_nanos
            .fetch_add(busy.as_nanos() as u64, Ordering::Relaxed);
        self.jobs_run.fetch_add(jobs as u64, Ordering::Relaxed);
    }

    /// The number of jobs a chunk should hold, from the average job time seen so far.
    pub(crate) fn chunk_size(&self) -> usize {
        let jobs = self.jobs_run.load(Ordering::Relaxed);
        if jobs == 0 {
            return 1;
        }
        let average = self.busy_nanos.load(Ordering::Relaxed) / jobs;
        let target = CHUNK_TARGET.as_nanos() as u64;
        (target / average.max(1)).clamp(1, MAX_CHUNK as u64) as usize
    }
}
