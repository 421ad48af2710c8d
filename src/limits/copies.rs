//! Rhai's copies of arrays, BLOBs and maps, stopped by the job's stop.
//!
//! A script that reads a container by value (`let b = a;`, `[a, a]`, an argument taken by
//! value) makes Rhai copy it whole, in one operation: the progress hook looks at the job's
//! clock once, before. Copying an array of 30 M values takes ~0.4 s here, and a job stopped
//! by its deadline in the middle of two such copies ended 0.87 s late. Rhai, as rsparallel
//! builds it (`vendor/README.md`), asks a watch every 64 KiB of copies whether to go on; this
//! is that watch. While a job (or a `begin`, `end` or `reduce`) runs, it answers with the
//! job's [`checkpoint`](signal::checkpoint): once the job must stop, the copy is left empty, a
//! stand-in, and the job fails with its stop ([`signal::settle`]) even if it has no operation
//! left for the progress hook to stop it at. Elsewhere (a host script, a script compiled, an
//! application's own engine) every copy goes on.

use std::any::Any;
use std::cell::Cell;

use super::signal;

thread_local! {
    /// Whether a job's evaluation is running on this thread, between
    /// [`signal::forget_stand_in`] and [`signal::settle`].
    static IN_JOB: Cell<bool> = const { Cell::new(false) };
}

struct JobCopies;

impl rhai::CopyWatch for JobCopies {
    fn go_on(&self) -> bool {
        if !IN_JOB.with(Cell::get) {
            return true;
        }
        match signal::checkpoint() {
            Ok(()) => true,
            Err(stop) => {
                signal::stood_in_for(stop);
                false
            }
        }
    }

    fn left_behind(&self, partial: Box<dyn Any>) {
        // Freeing millions of values takes as long as copying them did: after the job's end.
        signal::leave_behind(partial);
    }

    fn drop_later(&self) -> bool {
        // Not a stand-in: a value dropped later leaves the job's answers as they were, and a
        // job past its stop is stopped at its next operation, or found late at its end.
        IN_JOB.with(Cell::get) && signal::checkpoint().is_err()
    }
}

/// Makes this module Rhai's copy watch, for the whole process (once is enough).
pub(crate) fn install() {
    rhai::set_copy_watch(&JobCopies);
}

/// Marks whether a job's evaluation is running on this thread.
pub(super) fn set_in_job(running: bool) {
    IN_JOB.with(|in_job| in_job.set(running));
}
