//! The halt policy, judged where jobs end: a worker counts each job it finishes, and the worker
//! whose job reaches the policy halts the batch before it, or any other worker, starts another
//! job. Judged later, by the run reading the records a chunk at a time, a run of tiny jobs went
//! thousands of jobs past its halt.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::halt_policy::{HaltPolicy, HaltThreshold};
use crate::record::job::{JobError, JobErrorKind, JobRecord, JobStatus};

/// A batch's halt policy and its counts of final outcomes.
pub(crate) struct HaltWatch {
    policy: HaltPolicy,
    /// The end of a try numbered up to this, with a status in `retry_on`, is not final: the
    /// job is tried again, and only its last try counts (as GNU parallel's `--halt`).
    retries: u32,
    retry_on: Vec<JobStatus>,
    tally: Tally,
    reached: OnceLock<Reached>,
}

enum Tally {
    /// Failures, for a count: one atomic add per failure, nothing for a completed job.
    Failures { limit: u64, failed: AtomicU64 },
    /// Failures and finished jobs, for a percentage, which reads both at once. Failures are
    /// counted under the lock, each with its finished job, so each sees the exact counts as of
    /// its end. A completion only lowers the share: once the first jobs are in, it needs no
    /// lock, only its add, unless a failure is being judged at that moment (`judging`): then
    /// it waits for the verdict, so that no worker starts a job after the one that reached
    /// the share, not knowing.
    Share {
        finished: AtomicU64,
        failures: Mutex<Failures>,
        judging: AtomicBool,
    },
}

#[derive(Default)]
struct Failures {
    failed: u64,
    reached: bool,
}

/// The counts at which a batch's halt policy was reached.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reached {
    pub(crate) failed: u64,
    /// For a percentage: the finished jobs the failures were a share of.
    pub(crate) finished: Option<u64>,
}

/// What the end of a job means to the halt policy.
#[derive(Clone, Copy, Default)]
pub(crate) struct Verdict {
    /// The policy is reached: the batch halts (again, harmlessly, if it already has).
    pub(crate) halt: bool,
    /// A failure counted after a `now` policy was reached: the job was running when the halt
    /// came, and the halt cancels it.
    pub(crate) cancel: bool,
}

/// Whether a try that ended as `record` says is tried again (runs not stopped). An item that
/// could not be read (`attempts` 0) never is.
pub(crate) fn is_retried(record: &JobRecord, retries: u32, retry_on: &[JobStatus]) -> bool {
    record.attempts >= 1 && record.attempts <= retries && retry_on.contains(&record.status)
}

impl HaltWatch {
    pub(crate) fn new(policy: HaltPolicy, retries: u32, retry_on: &[JobStatus]) -> Self {
        let tally = match policy.threshold {
            HaltThreshold::Count(limit) => Tally::Failures {
                limit,
                failed: AtomicU64::new(0),
            },
            HaltThreshold::Percent(_) => Tally::Share {
                finished: AtomicU64::new(0),
                failures: Mutex::new(Failures::default()),
                judging: AtomicBool::new(false),
            },
        };
        HaltWatch {
            policy,
            retries,
            retry_on: retry_on.to_vec(),
            tally,
            reached: OnceLock::new(),
        }
    }

    pub(crate) fn policy(&self) -> HaltPolicy {
        self.policy
    }

    /// The counts at which the policy was reached, once it was.
    pub(crate) fn reached(&self) -> Option<Reached> {
        self.reached.get().copied()
    }

    /// Counts a job's end. Failed and timed-out jobs are failures, and with completed ones
    /// they are finished; a try that will be retried is neither. The counts are exact: each
    /// failure gets its own number, so exactly one job is the one that reaches a count.
    pub(crate) fn judge(&self, record: &JobRecord) -> Verdict {
        let failed = match record.status {
            JobStatus::Failed | JobStatus::TimedOut => true,
            JobStatus::Completed => false,
            JobStatus::Cancelled | JobStatus::Skipped => return Verdict::default(),
        };
        if failed && is_retried(record, self.retries, &self.retry_on) {
            return Verdict::default();
        }
        match &self.tally {
            Tally::Failures {
                limit,
                failed: count,
            } => {
                if !failed {
                    // A job that ends after the limit-th failure was counted halts the batch
                    // too, before its worker starts another: the failure's own worker may not
                    // have halted it yet.
                    let halt = count.load(Ordering::SeqCst) >= *limit;
                    if halt {
                        // The same counts the failure's worker records, perhaps not yet.
                        let _ = self.reached.set(Reached {
                            failed: *limit,
                            finished: None,
                        });
                    }
                    return Verdict {
                        halt,
                        cancel: false,
                    };
                }
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                if n < *limit {
                    return Verdict::default();
                }
                // The `limit`-th failure halts the batch. A later one, from a job that was
                // running then, halts it too: it may be counted before the halt is set.
                let _ = self.reached.set(Reached {
                    failed: *limit,
                    finished: None,
                });
                Verdict {
                    halt: true,
                    cancel: n > *limit && self.policy.now,
                }
            }
            Tally::Share {
                finished,
                failures,
                judging,
            } => {
                // Until the first jobs are in, a completion can reach the share (the tenth job
                // of a run whose first nine had failures): it takes the lock too. After, a job
                // that read a count below the gate only takes the lock it did not need.
                if !failed && finished.load(Ordering::SeqCst) >= HaltPolicy::MIN_JOBS_FOR_PERCENT {
                    finished.fetch_add(1, Ordering::SeqCst);
                    // Counted after a failure being judged (its add came first): wait for its
                    // verdict. Counted before, this job's end is among the judged ones, and
                    // whatever its worker starts next started before the verdict.
                    if !judging.load(Ordering::SeqCst) {
                        // Judged already: the verdict was set before `judging` was lowered.
                        let halt = self.reached.get().is_some();
                        return Verdict {
                            halt,
                            cancel: false,
                        };
                    }
                    let failures = failures.lock().unwrap_or_else(PoisonError::into_inner);
                    return Verdict {
                        halt: failures.reached,
                        cancel: false,
                    };
                }
                let mut failures = failures.lock().unwrap_or_else(PoisonError::into_inner);
                if failures.reached {
                    return Verdict {
                        halt: true,
                        cancel: failed && self.policy.now,
                    };
                }
                judging.store(true, Ordering::SeqCst);
                let done = finished.fetch_add(1, Ordering::SeqCst) + 1;
                failures.failed += u64::from(failed);
                let reached = self.policy.is_reached(failures.failed, done);
                if reached {
                    failures.reached = true;
                    let _ = self.reached.set(Reached {
                        failed: failures.failed,
                        finished: Some(done),
                    });
                }
                judging.store(false, Ordering::SeqCst);
                Verdict {
                    halt: reached,
                    cancel: false,
                }
            }
        }
    }

    /// Why the batch halted, for the records of the jobs it did not run.
    pub(crate) fn reason(&self, reached: Reached) -> String {
        let policy = self.policy;
        match reached.finished {
            None => format!(
                "the run halted after {} failed jobs (halt {policy})",
                reached.failed
            ),
            Some(finished) => format!(
                "the run halted after {} failed jobs of {finished} finished (halt {policy})",
                reached.failed
            ),
        }
    }
}

/// A failed job that ended after a `now` halt was reached: the halt cancelled it, as it does
/// every job running then, whether or not the job saw the cancel before it ended.
pub(crate) fn cancel_late_failure(record: &mut JobRecord) {
    record.status = JobStatus::Cancelled;
    record.error = Some(Box::new(JobError::new(
        JobErrorKind::Cancelled,
        "cancelled",
    )));
}
