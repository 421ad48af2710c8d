//! A run's last step when it aggregates: once every record is in, and so every worker's state
//! is back in the batch, one worker takes the batch's end, runs `end` and `reduce`, and
//! answers with no records.

use crossbeam_channel::TrySendError;
use rhai::Dynamic;

use super::{Run, Step};
use crate::input::UnreadableItem;
use crate::record::job::{JobError, JobErrorKind};
use crate::worker::batch::aggregation::Aggregate;
use crate::worker::batch::{BatchControl, Chunk, Fate};

/// Where a run's aggregation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Finish {
    /// The run does not aggregate, or its end was answered.
    Done,
    /// The batch's end is still to be sent, after the last record.
    ToSend,
    /// A worker has it.
    Sent,
}

impl Finish {
    pub(super) fn of(batch: &BatchControl) -> Self {
        match batch.aggregation {
            Some(_) => Finish::ToSend,
            None => Finish::Done,
        }
    }
}

impl<I> Run<'_, I>
where
    I: Iterator<Item = Result<Dynamic, UnreadableItem>>,
{
    /// With every record in: sends the batch's end to the workers, if it aggregates and was not
    /// cancelled. `None` when the run goes on waiting for the answer; else the step to hand back.
    pub(super) fn send_finish(&mut self) -> Option<Step> {
        if self.finish != Finish::ToSend {
            return Some(Step::End);
        }
        if self.batch.fate() == Fate::Cancel {
            // No result will come: the workers' state goes now, not with the batch.
            if let Some(aggregation) = &self.batch.aggregation {
                aggregation.discard();
            }
            return Some(Step::End);
        }
        if self.past_deadline {
            // The total timeout bounds the whole run: `end` and `reduce` have no time left.
            self.finish = Finish::Done;
            if let (Some(aggregation), Some(reason)) = (&self.batch.aggregation, &self.stop_reason)
            {
                let why = format!("end and reduce did not run: {reason}");
                aggregation.set_result(Err(JobError::new(JobErrorKind::Cancelled, why)));
            }
            return Some(Step::End);
        }
        let chunk = Chunk {
            batch: self.batch.clone(),
            jobs: Vec::new(),
            finish: true,
        };
        let sent = if self.nonblocking {
            match self.queue.try_send(chunk) {
                Ok(()) => true,
                // Workers take what is queued, and their records wake the driver again.
                Err(TrySendError::Full(_)) => return Some(Step::Pending),
                Err(TrySendError::Disconnected(_)) => false,
            }
        } else {
            self.queue.send(chunk).is_ok()
        };
        if !sent {
            return Some(Step::End);
        }
        self.finish = Finish::Sent;
        self.outstanding += 1;
        None
    }

    /// A worker answered the batch's end.
    pub(super) fn finished(&mut self) {
        if self.finish == Finish::Sent {
            self.finish = Finish::Done;
            self.outstanding -= 1;
            self.name_the_deadline();
        }
    }

    /// An `end` or `reduce` that the total timeout cancelled fails saying so, not only
    /// "cancelled".
    fn name_the_deadline(&self) {
        let (Some(aggregation), Some(reason)) = (&self.batch.aggregation, &self.stop_reason) else {
            return;
        };
        if let Some(Err(error)) = aggregation.result()
            && self.past_deadline
            && error.kind == JobErrorKind::Cancelled
        {
            let why = format!("{} ({reason})", error.message);
            aggregation.set_result(Err(JobError::new(JobErrorKind::Cancelled, why)));
        }
    }

    /// What the run's `end` and `reduce` made of its workers' state, once the run has handed
    /// back its last record; `None` for a run that does not aggregate, or was cancelled.
    pub fn aggregate(&self) -> Option<Aggregate> {
        self.batch.aggregation.as_ref()?.result()
    }
}
