//! The pool's feeder: one thread that reads every submitted batch's items into the pool's
//! queue, a chunk of each batch in turn, as the queue has room.
//!
//! One thread however many batches are submitted: a thread per batch would let a host start
//! threads without bound. An item iterator given to `submit` must therefore not block (a
//! channel whose items come later is what [`RunspacePool::run_receiver`] is for).
//!
//! [`RunspacePool::run_receiver`]: crate::RunspacePool::run_receiver

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use rhai::Dynamic;

use super::Feed;
use crate::batch::{BatchControl, Chunk, QueuedJob};

/// A submitted batch, as the feeder holds it until its input ends or it is stopped.
pub(super) struct Submission {
    pub(super) control: Arc<BatchControl>,
    pub(super) feed: Arc<Feed>,
    pub(super) items: Box<dyn Iterator<Item = Dynamic> + Send>,
    /// Items taken so far: the next one's `seq`.
    pub(super) read: u64,
}

/// The feeder thread of a pool, started at its first submission.
#[derive(Default)]
pub(super) struct Feeder {
    running: Mutex<Option<(Sender<Submission>, JoinHandle<()>)>>,
}

impl Feeder {
    /// Hands `submission` to the feeder thread, starting it first if need be.
    pub(super) fn submit(
        &self,
        submission: Submission,
        queue: &Sender<Chunk>,
        shutting_down: Arc<dyn Fn() -> bool + Send + Sync>,
    ) -> std::io::Result<()> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.is_none() {
            let (tx, rx) = crossbeam_channel::unbounded();
            let queue = queue.clone();
            let thread = std::thread::Builder::new()
                .name("rsparallel-feeder".into())
                .spawn(move || feed(&rx, &queue, &*shutting_down))?;
            *running = Some((tx, thread));
        }
        let (tx, _) = running.as_ref().expect("started above");
        // The thread ends only once `stop` drops the sender.
        let _ = tx.send(submission);
        Ok(())
    }

    /// Ends the feeder thread (the pool is shutting down) and waits for it.
    pub(super) fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((tx, thread)) = running {
            drop(tx);
            let _ = thread.join();
        }
    }
}

/// The feeder's loop: a chunk of each active batch in turn, until the pool shuts down and
/// every submission has been told it is over.
fn feed(
    submissions: &Receiver<Submission>,
    queue: &Sender<Chunk>,
    shutting_down: &dyn Fn() -> bool,
) {
    let mut active: VecDeque<Submission> = VecDeque::new();
    loop {
        if active.is_empty() {
            match submissions.recv() {
                Ok(submission) => active.push_back(submission),
                Err(_) => return,
            }
        }
        active.extend(submissions.try_iter());
        let Some(mut submission) = active.pop_front() else {
            continue;
        };
        if shutting_down() || !feed_chunk(&mut submission, queue) {
            finish(&submission);
        } else {
            active.push_back(submission);
        }
        if shutting_down() {
            active.drain(..).for_each(|s| finish(&s));
        }
    }
}

/// Reads one chunk of `submission`'s items into the queue; `false` once its input ended or
/// it was stopped. A stopped batch reads no further: every item taken has its record (the
/// chunks already queued become `cancelled` records at the workers), and items never taken
/// get none, however many the input still holds.
fn feed_chunk(submission: &mut Submission, queue: &Sender<Chunk>) -> bool {
    let control = &submission.control;
    let size = control.chunk_size();
    let mut jobs = Vec::with_capacity(size.min(64));
    let mut more = true;
    // Looked at before each item is taken, so that no item taken goes without its record.
    while jobs.len() < size {
        if control.is_stopped() {
            more = false;
            break;
        }
        let Some(item) = submission.items.next() else {
            more = false;
            break;
        };
        jobs.push(QueuedJob::first(submission.read, item));
        submission.read += 1;
        submission
            .feed
            .read
            .store(submission.read, Ordering::SeqCst);
    }
    if !jobs.is_empty() {
        let chunk = Chunk {
            batch: control.clone(),
            jobs,
        };
        if queue.send(chunk).is_err() {
            return false;
        }
    }
    more
}

/// Tells whoever waits on the batch that its input is over.
fn finish(submission: &Submission) {
    submission.feed.done.store(true, Ordering::SeqCst);
    let _ = submission.control.results.send(Vec::new());
}
