//! How a run waits: reads input, queues it and takes finished records until one can be handed
//! back (or, polled by the pool's driver, until it would have to wait).

use crossbeam_channel::{Select, SelectedOperation, TryRecvError, TrySendError};
use rhai::Dynamic;

use super::stopping::Skip;
use super::{Run, RunEvent, Step};
use crate::input::UnreadableItem;

impl<I> Run<'_, I>
where
    I: Iterator<Item = Result<Dynamic, UnreadableItem>>,
{
    /// Reads input, queues it and takes finished records until one can be handed back, or
    /// the run is over.
    #[inline(never)]
    pub(super) fn wait_for_event(&mut self) -> Step {
        loop {
            if let Some(record) = self.window.pop() {
                return Step::Event(RunEvent::Record(self.yield_record(record)));
            }
            self.check_deadline();
            self.note_halt();
            let unstarted = self.pending.is_some() || !self.retry.is_empty();
            let stopped = self.batch.is_stopped();
            if stopped && (!self.source.is_ended() || unstarted) {
                self.drain_unstarted();
                match self.skip_some() {
                    Skip::Read => continue,
                    Skip::Done => {
                        self.source.end();
                        continue;
                    }
                    // Ordered, with jobs out: wait for their records before reading more.
                    Skip::Held => {}
                }
            }
            if !stopped
                && self.pending.is_none()
                && (!self.source.is_ended() || !self.retry.is_empty())
            {
                let before = (self.next_seq, self.retry.len());
                self.read_chunk();
                if self.pending.is_none() && (self.next_seq, self.retry.len()) != before {
                    // Only unreadable or passed-over items: look again.
                    continue;
                }
            }
            if let Some(chunk) = self.pending.take() {
                let count = chunk.jobs.len() as u64;
                let chunk = match self.queue.try_send(chunk) {
                    Ok(()) => {
                        self.outstanding += count;
                        continue;
                    }
                    Err(TrySendError::Full(chunk)) => chunk,
                    Err(TrySendError::Disconnected(_)) => return Step::End,
                };
                if self.before_waiting() {
                    self.pending = Some(chunk);
                    return Step::Event(RunEvent::Idle);
                }
                if self.nonblocking {
                    self.pending = Some(chunk);
                    match self.results.try_recv() {
                        Ok(records) => {
                            self.absorb(records);
                            continue;
                        }
                        Err(_) => return Step::Pending,
                    }
                }
                // A handle of its own (the queue full, so rarely): the wait below borrows it
                // while the run changes.
                let queue = self.queue.clone();
                let sender = &queue;
                // Wait for whichever comes first: room in the queue, or finished records.
                let mut select = Select::new();
                let send_op = select.send(sender);
                select.recv(&self.results);
                let Some(op) = self.wait(&mut select) else {
                    self.pending = Some(chunk);
                    continue;
                };
                if op.index() == send_op {
                    if op.send(sender, chunk).is_err() {
                        return Step::End;
                    }
                    self.outstanding += count;
                } else {
                    self.pending = Some(chunk);
                    let Ok(records) = op.recv(&self.results) else {
                        return Step::End;
                    };
                    self.absorb(records);
                }
            } else if let Some(items) = self.source.waiting_channel().filter(|_| !stopped) {
                let items = items.clone();
                if self.before_waiting() {
                    return Step::Event(RunEvent::Idle);
                }
                if self.nonblocking {
                    // The driver runs only iterator sources; a channel would be polled here.
                    match items.try_recv() {
                        Ok(item) => self.source.received(Some(item)),
                        Err(TryRecvError::Disconnected) => self.source.received(None),
                        Err(TryRecvError::Empty) => match self.results.try_recv() {
                            Ok(records) => self.absorb(records),
                            Err(_) => return Step::Pending,
                        },
                    }
                    continue;
                }
                // Wait for whichever comes first: more input, a cancel, or finished records.
                let mut select = Select::new();
                let input_op = select.recv(&items);
                let wake_op = select.recv(&self.wake.1);
                if self.outstanding > 0 {
                    select.recv(&self.results);
                }
                let Some(op) = self.wait(&mut select) else {
                    continue;
                };
                if op.index() == input_op {
                    let item = op.recv(&items).ok();
                    self.source.received(item);
                } else if op.index() == wake_op {
                    // Cancelled: the loop's next turn ends the input.
                    let _ = op.recv(&self.wake.1);
                } else {
                    let Ok(records) = op.recv(&self.results) else {
                        return Step::End;
                    };
                    self.absorb(records);
                }
            } else if self.outstanding > 0 {
                let records = match self.results.try_recv() {
                    Ok(records) => records,
                    Err(_) => {
                        if self.before_waiting() {
                            return Step::Event(RunEvent::Idle);
                        }
                        if self.nonblocking {
                            return Step::Pending;
                        }
                        let received = match self.deadline {
                            Some(deadline) => self.results.recv_deadline(deadline).ok(),
                            None => self.results.recv().ok(),
                        };
                        match received {
                            Some(records) => records,
                            None => continue,
                        }
                    }
                };
                self.absorb(records);
            } else if let Some(step) = self.send_finish() {
                return step;
            }
        }
    }

    /// Waits for one of the selected operations, or the run's deadline.
    fn wait<'a>(&self, select: &mut Select<'a>) -> Option<SelectedOperation<'a>> {
        match self.deadline {
            Some(deadline) => select.select_deadline(deadline).ok(),
            None => Some(select.select()),
        }
    }
}
