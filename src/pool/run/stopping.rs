//! How a run's records become final: retries, the halt policy, the global deadline, and the
//! records of the jobs a stopped run never starts.

use std::time::{Duration, Instant};

use rhai::Dynamic;

use super::Run;
use crate::input::UnreadableItem;
use crate::input::source::Read;
use crate::record::job::{JobError, JobErrorKind, JobRecord, JobStatus};
use crate::record::output::JobOutput;
use crate::worker::batch::{Fate, MAX_CHUNK, MAX_CHUNK_BYTES, is_retried, item_bytes};

/// What a stopped run did when it skipped some of its input.
pub(super) enum Skip {
    /// It recorded a chunk of items as skipped.
    Read,
    /// It keeps order and jobs are out: it waits for their records before reading more.
    Held,
    /// The input is ended, silent, or took its time: no more is read.
    Done,
}

/// How long a stopped run goes on reading its input to record the unread items as skipped.
const SKIP_READING_LIMIT: Duration = Duration::from_secs(2);

impl<I> Run<'_, I>
where
    I: Iterator<Item = Result<Dynamic, UnreadableItem>>,
{
    /// Takes a record as final and queues it to be yielded.
    pub(super) fn finish(&mut self, mut record: JobRecord) {
        self.settle(&mut record);
        self.window.accept(record);
    }

    /// A job that the run's stop kept from running, or cancelled, gets the reason in its
    /// record. (The halt policy is counted by the workers, as jobs end: `BatchControl::judge`.)
    fn settle(&mut self, record: &mut JobRecord) {
        self.note_halt();
        if let Some(reason) = &self.stop_reason {
            let stopped_here = record.status == JobStatus::Skipped
                || (record.status == JobStatus::Cancelled && self.batch.fate() == Fate::Skip);
            if stopped_here {
                let kind = match record.status {
                    JobStatus::Skipped => JobErrorKind::Skipped,
                    _ => JobErrorKind::Cancelled,
                };
                record.error = Some(Box::new(JobError::new(kind, reason.clone())));
            }
        }
    }

    /// Takes the reason from the batch once a worker halted it under the run's halt policy.
    /// A worker sets the reason before it halts the batch and before it sends the records the
    /// halt touched, so the run sees it before any of them.
    pub(super) fn note_halt(&mut self) {
        if self.stop_reason.is_none()
            && let Some(reason) = self.batch.halt_reason()
        {
            self.stop_reason = Some(reason);
        }
    }

    /// Stops the run early: no more input, queued jobs skipped, running ones cancelled with
    /// `now` or left to finish.
    pub(super) fn stop(&mut self, now: bool, reason: String) {
        self.stop_reason = Some(reason);
        self.batch.halt(now);
    }

    /// Whether a try's end is not final: it is tried again. The workers judge the halt
    /// policy by the same rule (`batch::is_retried`), so a try that is retried never counts as
    /// a failure; one whose retry a stopped run never starts is recorded as `skipped`.
    fn is_retried(&self, record: &JobRecord) -> bool {
        is_retried(record, self.options.retries, &self.options.retry_on)
    }

    /// Takes a chunk of records from a worker: those to try again wait for a retry, the rest
    /// are final and stay in the chunk they came in.
    pub(super) fn absorb(&mut self, mut records: Vec<JobRecord>) {
        if records.is_empty() {
            // Only the batch's end is answered with no records (`Run::send_finish`).
            self.finished();
            return;
        }
        self.outstanding -= records.len() as u64;
        self.note_halt();
        if self.options.retries > 0 {
            let retries: Vec<JobRecord> = records
                .extract_if(.., |record| self.is_retried(record))
                .collect();
            match self.batch.fate() {
                Fate::Run => self.retry.extend(retries),
                Fate::Skip => {
                    for record in retries {
                        self.retry_not_started(record);
                    }
                }
                // A cancelled run keeps the record of each job's last try.
                Fate::Cancel => records.extend(retries),
            }
        }
        // Before any stop, settling changes nothing: skip the loop.
        if self.stop_reason.is_some() {
            for record in &mut records {
                self.settle(record);
            }
        }
        self.window.accept_all(records);
    }

    /// Records a job whose retry a halted run (or one past its deadline) never starts as
    /// `skipped`: its tries did not run out, so it did not fail, and `--resume` runs it again.
    /// Its error says why, and how its last try ended.
    fn retry_not_started(&mut self, mut record: JobRecord) {
        self.note_halt();
        let reason = self.stop_reason.as_deref().unwrap_or("the run stopped");
        let last = match record.error.as_deref() {
            Some(error) => format!("{}: {}", record.status, error.message),
            None => record.status.to_string(),
        };
        let message = format!(
            "{reason}; its retry did not start (try {} {last})",
            record.attempts
        );
        record.status = JobStatus::Skipped;
        record.output = JobOutput::new();
        record.error = Some(Box::new(JobError::new(JobErrorKind::Skipped, message)));
        self.window.accept(record);
    }

    /// Records the jobs that were read but will not start now that the batch is stopped. A
    /// halted run, or one past its deadline, then goes on to skip the rest of its input
    /// ([`skip_some`](Self::skip_some)); a cancelled one reads no more.
    pub(super) fn drain_unstarted(&mut self) {
        let status = match self.batch.fate() {
            Fate::Cancel => JobStatus::Cancelled,
            _ => JobStatus::Skipped,
        };
        if let Some(chunk) = self.pending.take() {
            for job in chunk.jobs {
                let record = JobRecord::not_started(self.batch.id, job.seq, job.item, status);
                self.finish(record);
            }
        }
        // A job waiting to be retried is skipped by a halt or a deadline; a cancelled run
        // keeps the record of its last try.
        while let Some(record) = self.retry.pop_front() {
            if status == JobStatus::Skipped {
                self.retry_not_started(record);
            } else {
                self.finish(record);
            }
        }
        if status == JobStatus::Skipped {
            if self.skip_time_left.is_none() {
                self.skip_time_left = Some(SKIP_READING_LIMIT);
            }
        } else {
            if let Some(item) = self.source.take_lookahead() {
                // An item already taken off a channel was read: it gets its record too.
                self.record_unstarted(item, status);
            }
            self.source.end();
        }
    }

    /// Gives an item read from the input but never queued its sequence number and, if the
    /// run selects it, its record.
    fn record_unstarted(&mut self, item: Result<Dynamic, UnreadableItem>, status: JobStatus) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.options.select.as_ref().is_some_and(|s| !s.keeps(seq)) {
            self.window.omit(seq);
            return;
        }
        let raw = item.unwrap_or_else(|bad| bad.raw);
        self.finish(JobRecord::not_started(self.batch.id, seq, raw, status));
    }

    /// A halted run, or one past its deadline, accounts for the input it has not read yet:
    /// each item becomes a `skipped` record, so nothing is dropped silently. The records are
    /// made a chunk at a time (as many items and bytes as a chunk of jobs), each chunk handed
    /// back before the next is read, so memory does not follow the rest of the input. An
    /// ordered run could hand back none of them while a job is out: it waits for the jobs
    /// first ([`Skip::Held`]).
    /// An input that is slow to give its items (a silent pipe) is not waited for: only what
    /// it has is taken, and reading stops after a bounded time spent reading.
    pub(super) fn skip_some(&mut self) -> Skip {
        let Some(time_left) = self.skip_time_left else {
            return Skip::Done;
        };
        if self.options.keep_order && self.outstanding > 0 {
            // Records behind a running job's are held back, not handed out: read no further.
            return Skip::Held;
        }
        let started = Instant::now();
        let (mut count, mut bytes) = (0, 0);
        while count < MAX_CHUNK && bytes < MAX_CHUNK_BYTES {
            match self.source.read() {
                Read::Item(item) => {
                    bytes += match &item {
                        Ok(item) => item_bytes(item),
                        Err(bad) => item_bytes(&bad.raw),
                    };
                    count += 1;
                    // `finish` gives the record the reason the run stopped.
                    self.record_unstarted(item, JobStatus::Skipped);
                }
                Read::WouldBlock | Read::Ended => {
                    self.skip_time_left = None;
                    return Skip::Done;
                }
            }
        }
        match time_left.checked_sub(started.elapsed()) {
            Some(left) if !left.is_zero() => {
                self.skip_time_left = Some(left);
                Skip::Read
            }
            _ => {
                self.skip_time_left = None;
                Skip::Done
            }
        }
    }

    pub(super) fn check_deadline(&mut self) {
        if let Some(deadline) = self.deadline
            && Instant::now() >= deadline
        {
            self.deadline = None;
            self.past_deadline = true;
            let total = self.options.total_timeout.unwrap_or_default();
            let reason = format!(
                "the total timeout of {} passed (total-timeout)",
                humantime::format_duration(total)
            );
            self.stop(true, reason);
        }
    }
}
