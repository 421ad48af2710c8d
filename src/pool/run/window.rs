//! The records a run has finished but not yet handed back: the workers' chunks as they came
//! when order does not matter, a bounded reorder window when it does.

use std::collections::VecDeque;

use crate::record::job::JobRecord;

enum Slot {
    /// The job has not finished yet.
    Waiting,
    /// A record, and the bytes it is counted as holding ([`held_bytes`]).
    Ready(JobRecord, u64),
    /// An item the run does not take: its place is passed over silently.
    Omitted,
}

pub(crate) struct Window {
    keep_order: bool,
    /// Unordered: the chunks of records as workers sent them, each handed out from the front.
    /// Keeping the worker's `Vec` spares a move of every record into a queue of its own.
    chunks: VecDeque<std::vec::IntoIter<JobRecord>>,
    /// Ordered: slot `i` is for seq `next + i`.
    slots: VecDeque<Slot>,
    next: u64,
    /// Ordered: the bytes the ready records in `slots` hold.
    held: u64,
}

impl Window {
    pub(crate) fn new(keep_order: bool) -> Self {
        Window {
            keep_order,
            chunks: VecDeque::new(),
            slots: VecDeque::new(),
            next: 0,
            held: 0,
        }
    }

    /// Whether the records held back (ordered runs) take more than `bytes`.
    pub(crate) fn holds_more_than(&self, bytes: u64) -> bool {
        self.held > bytes
    }

    /// The first sequence number not yet handed back (ordered runs).
    pub(crate) fn next_seq(&self) -> u64 {
        self.next
    }

    fn slot(&mut self, seq: u64) -> &mut Slot {
        let index = (seq - self.next) as usize;
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, || Slot::Waiting);
        }
        &mut self.slots[index]
    }

    pub(crate) fn accept(&mut self, record: JobRecord) {
        if self.keep_order {
            self.place(record);
        } else {
            self.chunks.push_back(vec![record].into_iter());
        }
    }

    /// Takes a chunk of finished records at once.
    pub(crate) fn accept_all(&mut self, records: Vec<JobRecord>) {
        if self.keep_order {
            records.into_iter().for_each(|record| self.place(record));
        } else if !records.is_empty() {
            self.chunks.push_back(records.into_iter());
        }
    }

    /// Puts a record of an ordered run in its seq's slot.
    fn place(&mut self, record: JobRecord) {
        let seq = record.seq;
        let bytes = held_bytes(&record);
        self.held += bytes;
        *self.slot(seq) = Slot::Ready(record, bytes);
    }

    /// Passes over `seq`: it yields no record.
    pub(crate) fn omit(&mut self, seq: u64) {
        if self.keep_order {
            *self.slot(seq) = Slot::Omitted;
        }
    }

    /// The next record to hand back, if it is ready.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<JobRecord> {
        if !self.keep_order {
            return self.pop_unordered();
        }
        loop {
            match self.slots.front() {
                Some(Slot::Ready(..)) => {
                    self.next += 1;
                    return match self.slots.pop_front() {
                        Some(Slot::Ready(record, bytes)) => {
                            self.held -= bytes;
                            Some(record)
                        }
                        _ => unreachable!("the front slot was just seen ready"),
                    };
                }
                Some(Slot::Omitted) => {
                    self.slots.pop_front();
                    self.next += 1;
                }
                _ => return None,
            }
        }
    }

    #[inline]
    fn pop_unordered(&mut self) -> Option<JobRecord> {
        loop {
            let front = self.chunks.front_mut()?;
            if let Some(record) = front.next() {
                return Some(record);
            }
            self.chunks.pop_front();
        }
    }
}

/// What a record held back is counted as taking: its item, outputs and stream lines as JSON
/// would write them, the measure stopping at 1 GiB. A record's own fields are small beside
/// what a job can make: a 100 MB string, an array of millions.
fn held_bytes(record: &JobRecord) -> u64 {
    const COUNTED_UP_TO: u64 = 1 << 30;
    let values = std::iter::once(&record.item).chain(record.output.iter());
    let lines: u64 = record.streams.iter().map(|l| l.text.len() as u64).sum();
    crate::value::written_size_up_to(values, COUNTED_UP_TO) + lines
}
