//! A submitted batch's feeder: the thread that reads its items into the pool's queue.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::Sender;
use rhai::Dynamic;

use super::Feed;
use crate::batch::{BatchControl, Chunk, QueuedJob};
use crate::job::{JobRecord, JobStatus};

/// A batch's feeder thread: reads the items, chunks them, queues the chunks; once the batch is
/// cancelled, the items left are recorded as `cancelled` without queueing them.
pub(super) fn feed_batch(
    items: impl Iterator<Item = Dynamic>,
    control: &Arc<BatchControl>,
    sender: &Sender<Chunk>,
    feed: &Feed,
    shutting_down: impl Fn() -> bool,
) {
    let mut seq = 0_u64;
    let mut jobs = Vec::new();
    let mut cancelled = Vec::new();
    for item in items {
        if shutting_down() {
            break;
        }
        if control.is_stopped() {
            cancelled.push(JobRecord::not_started(
                control.id,
                seq,
                item,
                JobStatus::Cancelled,
            ));
        } else {
            jobs.push(QueuedJob::first(seq, item));
        }
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
        if cancelled.len() >= 1024 {
            let _ = control.results.send(std::mem::take(&mut cancelled));
        }
    }
    if !jobs.is_empty() {
        let _ = sender.send(Chunk {
            batch: control.clone(),
            jobs,
        });
    }
    if !cancelled.is_empty() {
        let _ = control.results.send(cancelled);
    }
    feed.done.store(true, Ordering::SeqCst);
    // Wakes a receiver waiting for this batch to finish.
    let _ = control.results.send(Vec::new());
}
