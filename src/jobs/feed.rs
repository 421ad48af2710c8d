//! A submitted batch's feeder: the thread that reads its items into the pool's queue.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::Sender;
use rhai::Dynamic;

use super::Feed;
use crate::batch::{BatchControl, Chunk, QueuedJob};

/// A batch's feeder thread: reads the items, chunks them, queues the chunks. Once the batch is
/// stopped it reads no further: every item read has its record (the chunks already queued
/// become `cancelled` records at the workers), and items never read get none, however many
/// the input still holds (`stop` of a batch over an endless range returns at once).
pub(super) fn feed_batch(
    items: impl Iterator<Item = Dynamic>,
    control: &Arc<BatchControl>,
    sender: &Sender<Chunk>,
    feed: &Feed,
    shutting_down: impl Fn() -> bool,
) {
    let mut seq = 0_u64;
    let mut jobs = Vec::new();
    let mut items = items;
    // Looked at before each item is taken, so that no item taken goes without its record.
    while !shutting_down() && !control.is_stopped() {
        let Some(item) = items.next() else { break };
        jobs.push(QueuedJob::first(seq, item));
        seq += 1;
        feed.read.store(seq, Ordering::SeqCst);
        if jobs.len() >= control.chunk_size() {
            let chunk = Chunk {
                batch: control.clone(),
                jobs: std::mem::take(&mut jobs),
            };
            if sender.send(chunk).is_err() {
                break;
            }
        }
    }
    if !jobs.is_empty() {
        // A stopped batch's last jobs still go to the workers, which record them as
        // `cancelled` without running them: one way for every read item to get its record.
        let _ = sender.send(Chunk {
            batch: control.clone(),
            jobs,
        });
    }
    feed.done.store(true, Ordering::SeqCst);
    // Wakes a receiver waiting for this batch to finish.
    let _ = control.results.send(Vec::new());
}
