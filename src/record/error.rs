//! Why a job did not complete: a kind a program can match, a message a person can read, the
//! script position, and the value the script threw.

use std::fmt;

use rhai::Dynamic;

/// What ended a job that did not complete, for a program to act on (retry a timeout, report a
/// thrown value, raise a budget) without reading the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobErrorKind {
    /// The script threw a value (`throw`), or a function it called failed with an error the
    /// script could have caught (a battery's bad argument: `parse_json: ...`);
    /// [`JobError::thrown`] holds the value (for a function's error, its message).
    Thrown,
    /// The engine failed the script: a function not found, a type mismatch, an index out of
    /// range, a module that would not load.
    Script,
    /// Source the job compiled as it ran (`eval`) did not compile.
    Compile,
    /// The job ran past its timeout.
    TimedOut,
    /// The job ran past its operation budget (max-ops).
    OpsBudget,
    /// The job allocated, or its output would take, more than its memory cap (max-memory).
    MemoryCap,
    /// The job nested its calls (or `eval`s, or imports) deeper than the call depth limit or
    /// the worker's stack allows.
    CallDepth,
    /// The job, its batch or the pool was cancelled.
    Cancelled,
    /// The item was never started: its run was halted or passed its total timeout.
    Skipped,
    /// A native function the job called panicked.
    NativePanic,
    /// The item could not be read (bad JSON, a ragged CSV row, an over-long line).
    UnreadableInput,
    /// The job's output has no form the output format can write.
    Output,
}

impl JobErrorKind {
    /// The kind as records write it: `thrown`, `script`, `compile`, `timed_out`,
    /// `ops_budget`, `memory_cap`, `call_depth`, `cancelled`, `skipped`, `native_panic`,
    /// `unreadable_input` or `output`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobErrorKind::Thrown => "thrown",
            JobErrorKind::Script => "script",
            JobErrorKind::Compile => "compile",
            JobErrorKind::TimedOut => "timed_out",
            JobErrorKind::OpsBudget => "ops_budget",
            JobErrorKind::MemoryCap => "memory_cap",
            JobErrorKind::CallDepth => "call_depth",
            JobErrorKind::Cancelled => "cancelled",
            JobErrorKind::Skipped => "skipped",
            JobErrorKind::NativePanic => "native_panic",
            JobErrorKind::UnreadableInput => "unreadable_input",
            JobErrorKind::Output => "output",
        }
    }
}

impl fmt::Display for JobErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a job did not complete: its kind, a message, where in the script it happened when
/// known, and the value thrown when the script threw one.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct JobError {
    /// What ended the job.
    pub kind: JobErrorKind,
    /// What went wrong, in one line where possible.
    pub message: String,
    /// 1-based script line, when the error has a position.
    pub line: Option<usize>,
    /// 1-based script column, when the error has a position.
    pub column: Option<usize>,
    /// The value the script threw, as it threw it, for [`JobErrorKind::Thrown`].
    pub thrown: Option<Dynamic>,
}

impl JobError {
    /// An error of `kind` with no script position (a bad input line, a cancellation).
    pub fn new(kind: JobErrorKind, message: impl Into<String>) -> Self {
        JobError {
            kind,
            message: message.into(),
            line: None,
            column: None,
            thrown: None,
        }
    }

    /// The same error at a script position (0 or `None`: unknown).
    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line.filter(|&l| l > 0);
        self.column = column.filter(|&c| c > 0);
        self
    }
}

/// Equal when kind, message and position are; a thrown value is compared by its text (Rhai's
/// values have no equality of their own).
impl PartialEq for JobError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.message == other.message
            && self.line == other.line
            && self.column == other.column
            && self.thrown.as_ref().map(Dynamic::to_string)
                == other.thrown.as_ref().map(Dynamic::to_string)
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, " (line {line}, column {column})"),
            (Some(line), None) => write!(f, " (line {line})"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for JobError {}
