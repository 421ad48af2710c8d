//! The pool's driver: one thread that moves every submitted batch on, a turn each, however
//! many are submitted (a thread per batch would let a host start threads without bound).
//!
//! Each batch is a [`Run`], polled instead of read: the driver takes what each run has ready
//! without waiting, passes its records to the batch, and, when none had anything, waits for
//! whichever comes first: records from any batch's jobs, a new batch, a cancel, or a few
//! milliseconds (for room in the queue, which a wait cannot watch for every run at once).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Select, Sender};

use super::{BoxedItems, Shared};
use crate::error::Error;
use crate::pool::run::{Run, RunEvent, Step};
use crate::worker::PoolShared;

/// Records a batch hands over in one turn before the next batch's turn.
const TURN: usize = 4096;

/// The longest the driver waits before it looks again at runs whose chunks found the queue
/// full.
const QUEUE_NAP: Duration = Duration::from_millis(2);

/// A submitted batch's run, as the driver holds it.
pub(crate) struct Driven {
    pub(crate) run: Run<'static, BoxedItems>,
    pub(crate) shared: Arc<Shared>,
}

/// The driver thread of a pool, started at its first submission.
pub(crate) struct Driver {
    running: Mutex<Option<(Sender<Driven>, JoinHandle<()>)>>,
    wake: (Sender<()>, Receiver<()>),
    /// Batches handed to the driver and not yet finished or let go.
    in_flight: Arc<AtomicUsize>,
    max_in_flight: usize,
}

impl Driver {
    pub(crate) fn new(max_in_flight: usize) -> Self {
        Driver {
            running: Mutex::new(None),
            wake: crossbeam_channel::bounded(1),
            in_flight: Arc::default(),
            max_in_flight,
        }
    }

    /// What a batch uses to wake the driver (to see its cancel at once).
    pub(crate) fn waker(&self) -> Sender<()> {
        self.wake.0.clone()
    }

    /// Hands `driven` to the driver thread, starting it first if need be.
    pub(crate) fn drive(&self, driven: Driven, pool: &Arc<PoolShared>) -> Result<(), Error> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if self.in_flight.load(Ordering::SeqCst) >= self.max_in_flight {
            return Err(Error::Busy(self.max_in_flight));
        }
        if running.is_none() {
            let (tx, rx) = crossbeam_channel::unbounded();
            let wake = self.wake.1.clone();
            let pool = pool.clone();
            let in_flight = self.in_flight.clone();
            let thread = std::thread::Builder::new()
                .name("rsparallel-driver".into())
                .spawn(move || drive_all(&rx, &wake, &pool, &in_flight))
                .map_err(Error::Spawn)?;
            *running = Some((tx, thread));
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let (tx, _) = running.as_ref().expect("started above");
        // The thread ends only once `stop` drops the sender.
        let _ = tx.send(driven);
        let _ = self.wake.0.try_send(());
        Ok(())
    }

    /// Ends the driver thread (the pool is shutting down) and waits for it: the batches left
    /// are cancelled and finished as they are.
    pub(crate) fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((tx, thread)) = running {
            drop(tx);
            let _ = self.wake.0.try_send(());
            let _ = thread.join();
        }
    }
}

/// The driver's loop.
fn drive_all(
    new: &Receiver<Driven>,
    wake: &Receiver<()>,
    pool: &PoolShared,
    in_flight: &AtomicUsize,
) {
    let mut active: Vec<Driven> = Vec::new();
    loop {
        if pool.shutting_down.load(Ordering::SeqCst) {
            // The pool closes its queue once this thread ends, and its workers cancel what is
            // left: the batches end as they are, and their runs let go of the queue.
            for driven in active.drain(..).chain(new.try_iter()) {
                driven.shared.finish(driven.run.items_read());
            }
            return;
        }
        if active.is_empty() {
            match new.recv() {
                Ok(driven) => active.push(driven),
                Err(_) => return,
            }
        }
        active.extend(new.try_iter());
        let mut progressed = false;
        active.retain_mut(|driven| {
            let abandoned = driven.shared.is_abandoned();
            for _ in 0..TURN {
                match driven.run.poll_event() {
                    Step::Event(RunEvent::Record(record)) => {
                        progressed = true;
                        // Nobody will read a let-go batch's records: they are dropped here.
                        if !abandoned {
                            driven.shared.push(record, driven.run.items_read());
                        }
                    }
                    Step::Event(_) => {}
                    Step::End => {
                        driven.shared.finish(driven.run.items_read());
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        return false;
                    }
                    Step::Pending => break,
                }
            }
            true
        });
        if !progressed && !active.is_empty() {
            let mut select = Select::new();
            select.recv(new);
            select.recv(wake);
            for driven in &active {
                select.recv(driven.run.results());
            }
            if let Ok(index) = select.ready_timeout(QUEUE_NAP)
                && index == 1
            {
                let _ = wake.try_recv();
            }
        }
    }
}
