//! The worker's network thread: a blocking network call runs there while the worker waits in
//! short slices, so that the job's timeout or cancel ends the call at once, whatever the
//! network does.
//!
//! A blocked connect or name lookup cannot be interrupted from another thread, neither in ureq
//! nor in the standard library. So each worker hands its calls to a helper thread of its own
//! and waits for their answers [`SLICE`] at a time, looking at its job's clock between waits.
//! When the job must stop, the worker returns the job's error at once and abandons the helper.
//! An HTTP request blocked on its connection is then ended by closing the worker's connections
//! (`http::abandon_connections`); a connect or a lookup still blocked lingers until its own
//! timeout (the job's deadline, or the idle limit of a job without one, or the system's for a
//! name lookup), then finds nobody listening and its thread exits. The worker's next call
//! starts a fresh helper.
//!
//! Between calls the helper waits, so a worker's calls cost a message each way, not a thread.

use std::cell::RefCell;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use rhai::EvalAltResult;

use crate::limits::signal::checkpoint;

/// How long the worker waits for an answer before it looks at its job's clock again: the most
/// a cancel waits for a network call to notice it.
const SLICE: Duration = Duration::from_millis(20);

type Task = Box<dyn FnOnce() + Send>;

thread_local! {
    /// The worker's idle helper, if it has one.
    static HELPER: RefCell<Option<Sender<Task>>> = const { RefCell::new(None) };
}

/// A helper busy with a call. [`Busy::release`] gives it back to the worker when the call is
/// over; dropped without it, the helper is abandoned to its call.
pub(super) struct Busy(Option<Sender<Task>>);

impl Busy {
    /// The call is over (its task has returned or is about to, without waiting on the
    /// network): the worker's next call may use this helper.
    pub(super) fn release(mut self) {
        if let Some(helper) = self.0.take() {
            HELPER.with(|h| *h.borrow_mut() = Some(helper));
        }
    }
}

/// Runs `task` on the worker's helper thread, starting one if the worker has none.
pub(super) fn start(task: impl FnOnce() + Send + 'static) -> std::io::Result<Busy> {
    let mut task: Task = Box::new(task);
    if let Some(helper) = HELPER.with(|h| h.borrow_mut().take()) {
        match helper.send(task) {
            Ok(()) => return Ok(Busy(Some(helper))),
            // The helper is gone (a panic in a call): start another.
            Err(mpsc::SendError(returned)) => task = returned,
        }
    }
    let (helper, tasks) = mpsc::channel::<Task>();
    std::thread::Builder::new()
        .name("rsparallel-net".into())
        .spawn(move || {
            for task in tasks {
                task();
            }
        })?;
    helper
        .send(task)
        .expect("a new helper waits for its first task");
    Ok(Busy(Some(helper)))
}

/// The next message from the helper, or `None` when it hung up. Ends early with the error that
/// ends the job when the job times out, is cancelled or passes its memory cap: return it as it
/// is. Outside a pool's worker there is no clock, and it waits for the answer.
pub(super) fn next<T>(answers: &Receiver<T>) -> Result<Option<T>, Box<EvalAltResult>> {
    loop {
        // Never past the job's deadline: a job whose request hangs ends at its timeout, not at
        // the end of the slice it falls in.
        let slice = crate::JobSignal::current()
            .and_then(|signal| signal.remaining())
            .map_or(SLICE, |left| left.min(SLICE) + Duration::from_micros(100));
        match answers.recv_timeout(slice) {
            Ok(answer) => return Ok(Some(answer)),
            Err(RecvTimeoutError::Disconnected) => return Ok(None),
            Err(RecvTimeoutError::Timeout) => checkpoint()?,
        }
    }
}

/// Runs `call` on the worker's helper and waits for its result as [`next`] does. `None` when
/// the helper could not be started or died in the call.
pub(super) fn run<T: Send + 'static>(
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<Option<T>, Box<EvalAltResult>> {
    let (answer, answers) = mpsc::sync_channel(1);
    let Ok(busy) = start(move || {
        let _ = answer.send(call());
    }) else {
        return Ok(None);
    };
    let result = next(&answers)?;
    // A helper that hung up without an answer died in the call: the next call starts another.
    if result.is_some() {
        busy.release();
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_run_on_one_helper_that_outlives_them() {
        let first = run(|| std::thread::current().id()).unwrap().unwrap();
        let second = run(|| std::thread::current().id()).unwrap().unwrap();
        assert_eq!(first, second);
        assert_ne!(first, std::thread::current().id());
    }

    #[test]
    fn a_helper_that_died_is_replaced() {
        assert_eq!(run(|| -> u8 { panic!("in a call") }).unwrap(), None);
        assert_eq!(run(|| 7).unwrap(), Some(7));
    }
}
