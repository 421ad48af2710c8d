//! Why a job was stopped before its end, and the token that carries the reason through Rhai's
//! `ErrorTerminated`, to tell a stop from the script's own errors afterwards.

/// Why the clock ended a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Stop {
    TimedOut = 1,
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
    const ALL: [Stop; 5] = [
        Stop::TimedOut,
        Stop::Cancelled,
        Stop::MemoryCap,
        Stop::OpsBudget,
        Stop::StackLow,
    ];

    /// The stop as one byte, never 0 (which stands for none), for an atomic to hold.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    /// The stop whose [`code`](Self::code) is `code`; `None` for 0.
    pub(crate) fn from_code(code: u8) -> Option<Stop> {
        Stop::ALL.into_iter().find(|stop| stop.code() == code)
    }

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
