//! Why a job was stopped before its end, and how the stop leaves the engine: unwound out of
//! the progress hook ([`Stop::unwind`]), or, found by a native, as Rhai's `ErrorTerminated`
//! carrying a token that tells it from the script's own errors afterwards.

/// Why the clock ended a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    TimedOut,
    Cancelled,
    /// Set by the memory cap, not the clock; it ends a job the same way.
    MemoryCap,
    /// The job ran past `max_ops`, counted by [`JobClock::ops_run`](super::clock::JobClock::ops_run).
    OpsBudget,
    /// The job nested so deep (through `eval`, imports, calls) that the worker's native stack
    /// ran low: stopped before it overflows and aborts the process.
    StackLow,
}

impl Stop {
    /// The token carried by `EvalAltResult::ErrorTerminated`, to tell the two apart afterwards.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Stop::TimedOut => "timed_out",
            Stop::Cancelled => "cancelled",
            Stop::MemoryCap => "memory_cap",
            Stop::OpsBudget => "max_ops",
            Stop::StackLow => "stack_low",
        }
    }

    pub(crate) fn from_token(token: &rhai::Dynamic) -> Option<Stop> {
        match token.clone().into_string().ok()?.as_str() {
            "timed_out" => Some(Stop::TimedOut),
            "cancelled" => Some(Stop::Cancelled),
            "memory_cap" => Some(Stop::MemoryCap),
            "max_ops" => Some(Stop::OpsBudget),
            "stack_low" => Some(Stop::StackLow),
            _ => None,
        }
    }
}

/// The payload of a job's stop unwound out of the engine by [`Stop::unwind`].
#[derive(Debug)]
pub(crate) struct Unwound(pub(crate) Stop);

impl Stop {
    /// Ends the running job by unwinding out of the engine to the worker, which catches it
    /// (`signal::catch_stop`). The progress hook cannot stop a job by returning the stop: in
    /// an interpolation (`${a}`) and in `print(a)`, Rhai takes a failure of the operation
    /// before `to_string` as its cue to write the value with its own `Display`, whole, with no
    /// look at the clock or the cap. An array of a million references to one string of 1 MB
    /// is 16 MB of memory and a terabyte of text: written whole, it aborted the process.
    /// Unwinding leaves no frame of the engine's a say. `resume_unwind` skips the panic hook,
    /// which would print a message.
    #[cold]
    #[inline(never)]
    pub(crate) fn unwind(self) -> ! {
        std::panic::resume_unwind(Box::new(Unwound(self)))
    }
}
