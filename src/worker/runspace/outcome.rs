//! How a job's evaluation error becomes its record's status and error.

use std::time::Duration;

use rhai::{Dynamic, EvalAltResult};

use super::InitialState;
use crate::limits::stop::Stop;
use crate::record::job::{JobError, JobErrorKind, JobStatus};
use crate::record::output::JobOutput;

/// Turns an evaluation error into the job's status and error.
pub(super) fn classify(
    err: &EvalAltResult,
    timeout: Option<Duration>,
    state: &InitialState,
) -> (JobStatus, Option<JobError>) {
    let inner = err.unwrap_inner();
    // A stop that ended an `eval`'s parse is a stop like any other.
    let stop_of_parse = crate::limits::signal::stop_of_parse(inner);
    let inner = stop_of_parse.as_ref().unwrap_or(inner);
    let position = inner.position();
    let mut thrown = None;
    let (status, kind, message) = match inner {
        EvalAltResult::ErrorTerminated(token, _) => match Stop::from_token(token) {
            Some(Stop::TimedOut) => (
                JobStatus::TimedOut,
                JobErrorKind::TimedOut,
                match timeout {
                    Some(t) => format!("timed out after {}", humantime::format_duration(t)),
                    None => "timed out".to_string(),
                },
            ),
            Some(Stop::Cancelled) => (
                JobStatus::Cancelled,
                JobErrorKind::Cancelled,
                "cancelled".to_string(),
            ),
            Some(Stop::MemoryCap) => (
                JobStatus::Failed,
                JobErrorKind::MemoryCap,
                format!(
                    "exceeded the memory cap of {} (max-memory)",
                    crate::limits::size::format_size(state.max_memory.unwrap_or(0))
                ),
            ),
            Some(Stop::OpsBudget) => (
                JobStatus::Failed,
                JobErrorKind::OpsBudget,
                ops_budget_message(state),
            ),
            Some(Stop::StackLow) => (
                JobStatus::Failed,
                JobErrorKind::CallDepth,
                "nested too deep for the worker's stack (through eval, imports or calls)"
                    .to_string(),
            ),
            // A host function's own token: the script was stopped, not broken.
            None => (
                JobStatus::Failed,
                JobErrorKind::Script,
                "the script was terminated".to_string(),
            ),
        },
        EvalAltResult::ErrorTooManyOperations(_) => (
            JobStatus::Failed,
            JobErrorKind::OpsBudget,
            ops_budget_message(state),
        ),
        EvalAltResult::ErrorStackOverflow(_) => (
            JobStatus::Failed,
            JobErrorKind::CallDepth,
            format!(
                "exceeded the call depth limit of {} (max-call-depth)",
                state.max_call_depth
            ),
        ),
        // A native refused to build what would not fit in the job's memory (`batteries`).
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            (JobStatus::Failed, JobErrorKind::MemoryCap, what.clone())
        }
        EvalAltResult::ErrorRuntime(value, _) => {
            // Kept for the record as an output is: unless its text would pass the cap.
            if !state
                .max_memory
                .is_some_and(|cap| crate::value::written_size_exceeds([value], cap))
            {
                thrown = Some(value.clone());
            }
            (
                JobStatus::Failed,
                JobErrorKind::Thrown,
                thrown_message(value),
            )
        }
        other => {
            let kind = match other {
                EvalAltResult::ErrorParsing(..) => JobErrorKind::Compile,
                _ => JobErrorKind::Script,
            };
            // The display ends with the position, which the record keeps as fields instead.
            let text = crate::value::message_text(other);
            let suffix = format!(" ({position})");
            let text = match text.strip_suffix(&suffix) {
                Some(bare) if !position.is_none() => bare.to_string(),
                _ => text,
            };
            (JobStatus::Failed, kind, text)
        }
    };
    let mut message = message;
    if let EvalAltResult::ErrorInFunctionCall(name, ..) = err
        && status == JobStatus::Failed
    {
        message.push_str(&format!(" (in function '{name}')"));
    }
    let mut error = JobError::new(kind, message).at(position.line(), position.position());
    error.thrown = thrown;
    (status, Some(error))
}

fn ops_budget_message(state: &InitialState) -> String {
    format!(
        "exceeded the budget of {} operations (max-ops)",
        state.max_ops
    )
}

fn thrown_message(value: &Dynamic) -> String {
    if value.is_unit() {
        "error thrown".to_string()
    } else {
        crate::value::message_text(value)
    }
}

pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// A job's outputs that would take more than the memory cap to write are dropped: the job
/// fails saying so, unless it failed already, whose own failure says more.
pub(super) fn cap_output(
    status: JobStatus,
    error: Option<JobError>,
    output: &mut JobOutput,
    state: &InitialState,
) -> (JobStatus, Option<JobError>) {
    let Some(cap) = state.max_memory else {
        return (status, error);
    };
    if output.is_empty() || !crate::value::written_size_exceeds(output.iter(), cap) {
        return (status, error);
    }
    *output = JobOutput::new();
    if status != JobStatus::Completed {
        return (status, error);
    }
    let why = format!(
        "the job's output would take more than the memory cap of {} to write (max-memory)",
        crate::limits::size::format_size(cap)
    );
    (
        JobStatus::Failed,
        Some(JobError::new(JobErrorKind::MemoryCap, why)),
    )
}
