//! Buffers handed back once emptied, for the next chunk to be filled in: the chunks of jobs
//! and of records that pass between a run and the workers.
//!
//! A chunk of 4,096 records is half a megabyte. Freed on the reading thread and allocated
//! anew on a worker's, such buffers went back to the kernel and came again as fresh pages:
//! 13,000 page faults per million trivial items, a tenth of the run's CPU time spent in the
//! kernel. Kept and reused, they fault once.

use std::collections::VecDeque;

use crossbeam_channel::{Receiver, Sender};

/// A bounded store of empty buffers, shared by the threads that fill and empty them.
pub(crate) struct Spares<T> {
    tx: Sender<VecDeque<T>>,
    rx: Receiver<VecDeque<T>>,
}

impl<T> Clone for Spares<T> {
    fn clone(&self) -> Self {
        Spares {
            tx: self.tx.clone(),
            rx: self.rx.clone(),
        }
    }
}

impl<T> Spares<T> {
    /// Keeps at most `capacity` buffers; more given back are freed.
    pub(crate) fn new(capacity: usize) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        Spares { tx, rx }
    }

    /// An empty buffer with room for at least `len` elements: a spare if there is one.
    pub(crate) fn take(&self, len: usize) -> VecDeque<T> {
        match self.rx.try_recv() {
            Ok(mut spare) => {
                spare.reserve(len);
                spare
            }
            Err(_) => VecDeque::with_capacity(len),
        }
    }

    /// Gives back a buffer, once every element has been taken out of it.
    pub(crate) fn give(&self, buffer: VecDeque<T>) {
        if buffer.is_empty() && buffer.capacity() > 0 {
            let _ = self.tx.try_send(buffer);
        }
    }
}
