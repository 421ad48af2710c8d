//! Reading items on a thread of their own, for inputs that may go silent (stdin, a FIFO): the
//! run never blocks on a read, records keep flowing while the input says nothing, and Ctrl-C
//! ends a run even then. What the reader holds ahead of the run is bounded in items and in
//! bytes, so that memory does not follow the input: by count alone, 4,096 lines of 2 MB each
//! were held while the workers were busy.

use std::collections::VecDeque;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::ItemResult;

/// Items read ahead of the run, at most.
const AHEAD_ITEMS: usize = 4096;

/// Bytes of items read ahead of the run, at most (one item is read ahead whatever its size).
const AHEAD_BYTES: u64 = 16 << 20;

/// How often a reader that is ahead by [`AHEAD_BYTES`] looks again: the run takes items from
/// the channel without telling the reader, which sees it from the channel's length. After a
/// second of waiting (every worker busy with a long job), it looks less often.
const POLL: Duration = Duration::from_millis(1);
const SLOW_POLL: Duration = Duration::from_millis(50);

/// Reads `items` on a thread of its own into a channel for
/// [`RunspacePool::run_receiver`](crate::RunspacePool::run_receiver), staying at most 4,096
/// items and 16 MiB (or one item) ahead of the run. The thread ends at the end of the input,
/// or at its next item once the receiver is dropped; one waiting for the run to take what it
/// read cannot tell that the receiver was dropped, and waits while the process lives: this is
/// for the inputs of a process's own run.
pub fn read_in_background(
    items: impl Iterator<Item = ItemResult> + Send + 'static,
) -> std::io::Result<Receiver<ItemResult>> {
    let (tx, rx) = crossbeam_channel::bounded(AHEAD_ITEMS);
    std::thread::Builder::new()
        .name("rsparallel-input".into())
        .spawn(move || {
            let mut ahead = Ahead::default();
            for item in items {
                if !ahead.send(&tx, item) {
                    break;
                }
            }
        })?;
    Ok(rx)
}

/// The sizes of the items sent and not yet taken, oldest first.
#[derive(Default)]
struct Ahead {
    sizes: VecDeque<u64>,
    bytes: u64,
}

impl Ahead {
    /// Sends `item` once the items ahead leave room for it; `false` when the run is gone.
    fn send(&mut self, tx: &Sender<ItemResult>, item: ItemResult) -> bool {
        let size = match &item {
            Ok(value) => crate::value::memory_size_up_to(value, AHEAD_BYTES),
            Err(bad) => crate::value::memory_size_up_to(&bad.raw, AHEAD_BYTES),
        };
        let waiting = std::time::Instant::now();
        // The count of what was sent is looked at only when it could matter: the sum of all
        // sent since then is within the bound, or the record of them is as long as it gets.
        while self.bytes + size > AHEAD_BYTES || self.sizes.len() >= AHEAD_ITEMS {
            self.forget_taken(tx.len());
            if self.sizes.is_empty() || self.bytes + size <= AHEAD_BYTES {
                break;
            }
            let long = waiting.elapsed() > Duration::from_secs(1);
            std::thread::sleep(if long { SLOW_POLL } else { POLL });
        }
        if tx.send(item).is_err() {
            return false;
        }
        self.sizes.push_back(size);
        self.bytes += size;
        true
    }

    /// The run took all but `in_channel` of the items sent: forgets the oldest.
    fn forget_taken(&mut self, in_channel: usize) {
        while self.sizes.len() > in_channel {
            self.bytes -= self.sizes.pop_front().unwrap_or(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::Dynamic;

    fn text(len: usize) -> ItemResult {
        Ok(Dynamic::from("x".repeat(len)))
    }

    #[test]
    fn the_reader_counts_only_what_the_run_has_not_taken() {
        let (tx, rx) = crossbeam_channel::bounded(AHEAD_ITEMS);
        let mut ahead = Ahead::default();
        // One item bigger than the bound goes ahead alone.
        assert!(ahead.send(&tx, text(AHEAD_BYTES as usize + 10)));
        assert!(ahead.bytes > AHEAD_BYTES);
        assert!(rx.recv().unwrap().is_ok());
        // Taken: the next one is sent without waiting, and the first one is forgotten.
        assert!(ahead.send(&tx, text(1000)));
        assert!(ahead.send(&tx, text(3000)));
        assert_eq!(ahead.sizes, [1066, 3066]);
        assert!(rx.recv().unwrap().is_ok());
        ahead.forget_taken(tx.len());
        assert_eq!((ahead.sizes.len(), ahead.bytes), (1, 3066));
        drop(rx);
        assert!(!ahead.send(&tx, text(1)), "the run is gone");
    }
}
