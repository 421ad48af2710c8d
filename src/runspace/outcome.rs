//! How a job's evaluation error becomes its record's status and error.

use std::time::Duration;

use rhai::{Dynamic, EvalAltResult};

use super::InitialState;
use crate::clock::Stop;
use crate::job::{JobError, JobStatus};
use crate::memory;

/// Turns an evaluation error into the job's status and error.
pub(super) fn classify(
    err: &EvalAltResult,
    timeout: Option<Duration>,
    state: &InitialState,
) -> (JobStatus, Option<JobError>) {
    let inner = err.unwrap_inner();
    let position = inner.position();
    let (status, message) = match inner {
        EvalAltResult::ErrorTerminated(token, _) => match Stop::from_token(token) {
            Some(Stop::TimedOut) => (
                JobStatus::TimedOut,
                match timeout {
                    Some(t) => format!("timed out after {}", humantime::format_duration(t)),
                    None => "timed out".to_string(),
                },
            ),
            Some(Stop::Cancelled) => (JobStatus::Cancelled, "cancelled".to_string()),
            Some(Stop::MemoryCap) => (
                JobStatus::Failed,
                format!(
                    "exceeded the memory cap of {} (max-memory)",
                    memory::format_size(state.max_memory.unwrap_or(0))
                ),
            ),
            Some(Stop::OpsBudget) => (JobStatus::Failed, ops_budget_message(state)),
            Some(Stop::StackLow) => (
                JobStatus::Failed,
                "nested too deep for the worker's stack (through eval, imports or calls)"
                    .to_string(),
            ),
            None => (JobStatus::Failed, "the script was terminated".to_string()),
        },
        EvalAltResult::ErrorTooManyOperations(_) => (JobStatus::Failed, ops_budget_message(state)),
        EvalAltResult::ErrorStackOverflow(_) => (
            JobStatus::Failed,
            format!(
                "exceeded the call depth limit of {} (max-call-depth)",
                state.max_call_depth
            ),
        ),
        EvalAltResult::ErrorRuntime(value, _) => (JobStatus::Failed, thrown_message(value)),
        other => {
            // The display ends with the position, which the record keeps as fields instead.
            let text = other.to_string();
            let suffix = format!(" ({position})");
            let text = match text.strip_suffix(&suffix) {
                Some(bare) if !position.is_none() => bare.to_string(),
                _ => text,
            };
            (JobStatus::Failed, text)
        }
    };
    let mut message = message;
    if let EvalAltResult::ErrorInFunctionCall(name, ..) = err
        && status == JobStatus::Failed
    {
        message.push_str(&format!(" (in function '{name}')"));
    }
    let error = JobError {
        message,
        line: position.line(),
        column: position.position(),
    };
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
        value.to_string()
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
