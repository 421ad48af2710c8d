//! The table of a pool's submitted batches: each batch until its records are all received or
//! cleared, the finished records not yet received, and the counts and busy time the pool's
//! status reports.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use super::{Feed, Receive};
use crate::batch::BatchControl;
use crate::job::{BatchId, JobRecord, StatusCounts};

pub(super) struct Entry {
    pub(super) control: Arc<BatchControl>,
    pub(super) feed: Arc<Feed>,
    pub(super) counts: StatusCounts,
    pub(super) submitted: SystemTime,
    /// When its last job ended, as far as the records received tell.
    pub(super) last_end: Option<SystemTime>,
}

impl Entry {
    pub(super) fn is_finished(&self) -> bool {
        self.feed.done.load(Ordering::SeqCst)
            && self.counts.total() == self.feed.read.load(Ordering::SeqCst)
    }

    /// Jobs read but not yet finished.
    fn outstanding(&self) -> u64 {
        self.feed.read.load(Ordering::SeqCst) - self.counts.total()
    }
}

#[derive(Default)]
pub(super) struct Table {
    pub(super) batches: BTreeMap<BatchId, Entry>,
    pub(super) finished: Vec<JobRecord>,
    /// Records per status since the pool started or was last cleared, received or not.
    pub(super) counts: StatusCounts,
    /// Time during which some submitted job was outstanding, before `busy_since`.
    busy: Duration,
    /// Since when jobs have been outstanding, while they are.
    busy_since: Option<SystemTime>,
    last_end: Option<SystemTime>,
}

impl Table {
    pub(super) fn insert(&mut self, entry: Entry) {
        self.busy_since.get_or_insert(entry.submitted);
        self.batches.insert(entry.control.id, entry);
    }

    /// Takes in records that arrived from the workers.
    pub(super) fn absorb(&mut self, records: Vec<JobRecord>) {
        for record in records {
            if let Some(entry) = self.batches.get_mut(&record.batch) {
                entry.counts.add(record.status);
                entry.last_end = entry.last_end.max(record.end);
            }
            self.counts.add(record.status);
            self.last_end = self.last_end.max(record.end);
            self.finished.push(record);
        }
    }

    /// Closes the busy interval once every batch has finished: an idle pool's rate does not
    /// fall.
    pub(super) fn settle_busy(&mut self) {
        if let Some(since) = self.busy_since
            && self.batches.values().all(Entry::is_finished)
        {
            let end = self.last_end.unwrap_or(since).max(since);
            self.busy += end.duration_since(since).unwrap_or_default();
            self.busy_since = None;
        }
    }

    pub(super) fn outstanding(&self) -> u64 {
        self.batches.values().map(Entry::outstanding).sum()
    }

    /// How long jobs have been outstanding, in all.
    pub(super) fn busy(&self) -> Duration {
        let open = self
            .busy_since
            .map(|since| since.elapsed().unwrap_or_default());
        self.busy + open.unwrap_or_default()
    }

    /// Takes (or, with `keep`, copies) the records `options` select, sorted by batch and
    /// sequence number. A batch whose every record has been taken is forgotten.
    pub(super) fn take(&mut self, options: Receive) -> Vec<JobRecord> {
        let wanted = |r: &JobRecord| options.batch.is_none_or(|b| b == r.batch);
        let mut taken: Vec<JobRecord> = if options.keep {
            self.finished
                .iter()
                .filter(|r| wanted(r))
                .cloned()
                .collect()
        } else {
            let (taken, left) = std::mem::take(&mut self.finished)
                .into_iter()
                .partition(|r| wanted(r));
            self.finished = left;
            self.forget_received();
            taken
        };
        taken.sort_by_key(|r| (r.batch, r.seq));
        taken
    }

    /// Forgets the finished batches none of whose records are left to receive.
    fn forget_received(&mut self) {
        let unreceived: HashSet<BatchId> = self.finished.iter().map(|r| r.batch).collect();
        self.batches
            .retain(|id, e| !e.is_finished() || unreceived.contains(id));
    }

    /// Drops the finished batches and their records, and the counts; batches still running
    /// keep theirs.
    pub(super) fn clear(&mut self) {
        let running: HashSet<BatchId> = self
            .batches
            .iter()
            .filter(|(_, e)| !e.is_finished())
            .map(|(id, _)| *id)
            .collect();
        self.finished.retain(|r| running.contains(&r.batch));
        self.batches.retain(|id, _| running.contains(id));
        self.counts = StatusCounts::default();
        self.busy = Duration::ZERO;
        self.busy_since = (!running.is_empty()).then(SystemTime::now);
    }
}
