//! How a run's records become final: retries, the halt policy, the global deadline, and the
//! records of the jobs a stopped run never starts.

use std::time::{Duration, Instant};

use rhai::Dynamic;

use super::{Run, UnreadableItem};
use crate::batch::Fate;
use crate::job::{JobError, JobRecord, JobStatus};
use crate::source::Read;

/// How long a stopped run goes on reading its input to record the unread items as skipped.
const SKIP_READING_LIMIT: Duration = Duration::from_secs(2);

impl<I> Run<'_, I>
where
    I: Iterator<Item = Result<Dynamic, UnreadableItem>>,
{
    /// Takes a record as final: counts it towards the halt policy and queues it to be yielded.
    pub(super) fn finish(&mut self, mut record: JobRecord) {
        self.settle(&mut record);
        self.window.accept(record);
    }

    /// Counts a final record towards the halt policy; a job that the run's stop kept from
    /// running gets the reason in its record.
    fn settle(&mut self, record: &mut JobRecord) {
        if let Some(reason) = &self.stop_reason {
            let stopped_here = record.status == JobStatus::Skipped
                || (record.status == JobStatus::Cancelled && self.batch.fate() == Fate::Skip);
            if stopped_here {
                record.error = Some(Box::new(JobError::new(reason.clone())));
            }
        }
        if matches!(record.status, JobStatus::Failed | JobStatus::TimedOut) {
            self.failures += 1;
        }
        if matches!(
            record.status,
            JobStatus::Completed | JobStatus::Failed | JobStatus::TimedOut
        ) {
            self.finished += 1;
        }
        if let Some(policy) = self.options.halt
            && self.stop_reason.is_none()
            && policy.is_reached(self.failures, self.finished)
        {
            let reason = format!(
                "the run halted after {} failed jobs (halt {policy})",
                self.failures
            );
            self.stop(policy.now, reason);
        }
    }

    /// Stops the run early: no more input, queued jobs skipped, running ones cancelled with
    /// `now` or left to finish.
    pub(super) fn stop(&mut self, now: bool, reason: String) {
        self.stop_reason = Some(reason);
        self.batch.halt(now);
    }

    pub(super) fn should_retry(&self, record: &JobRecord) -> bool {
        !self.batch.is_stopped()
            && record.attempts <= self.options.retries
            && self.options.retry_on.contains(&record.status)
    }

    /// Takes a chunk of records from a worker: those to try again wait for a retry, the rest
    /// are final and stay in the chunk they came in.
    pub(super) fn absorb(&mut self, mut records: Vec<JobRecord>) {
        self.outstanding -= records.len() as u64;
        if self.options.retries > 0 {
            let retries: Vec<JobRecord> = records
                .extract_if(.., |record| self.should_retry(record))
                .collect();
            self.retry.extend(retries);
        }
        // Without a halt policy and before any stop, settling changes nothing: skip the loop.
        if self.options.halt.is_some() || self.stop_reason.is_some() {
            for record in &mut records {
                self.settle(record);
            }
        }
        self.window.accept_all(records);
    }

    /// Records the jobs that were read but will not start now that the batch is stopped.
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
        // A job waiting to be retried keeps the record of its last try.
        while let Some(record) = self.retry.pop_front() {
            self.finish(record);
        }
        if status == JobStatus::Skipped {
            self.skip_rest_of_input();
        } else if let Some(item) = self.source.take_lookahead() {
            // An item already taken off a channel was read: it gets its record too.
            self.record_unstarted(item, status);
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
    /// each item becomes a `skipped` record, so nothing is dropped silently. An input that is
    /// slow to give its items (a silent pipe) is not waited for: only what it has is taken,
    /// and reading stops after a bounded time.
    fn skip_rest_of_input(&mut self) {
        let started = Instant::now();
        while started.elapsed() < SKIP_READING_LIMIT {
            match self.source.read() {
                // `finish` gives the record the reason the run stopped.
                Read::Item(item) => self.record_unstarted(item, JobStatus::Skipped),
                Read::WouldBlock | Read::Ended => break,
            }
        }
        self.source.end();
    }

    pub(super) fn check_deadline(&mut self) {
        if let Some(deadline) = self.deadline
            && Instant::now() >= deadline
        {
            self.deadline = None;
            let total = self.options.total_timeout.unwrap_or_default();
            let reason = format!(
                "the total timeout of {} passed (total-timeout)",
                humantime::format_duration(total)
            );
            self.stop(true, reason);
        }
    }
}
