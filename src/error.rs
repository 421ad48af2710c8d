//! Errors in setting up a pool or compiling a script. A job that fails is not an error here:
//! it is a [`JobRecord`](crate::JobRecord) with a status.

use std::fmt;
use std::path::PathBuf;

/// A script or function library that does not compile, with the place of the first problem.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileError {
    /// The script's name: its file path, or a label such as `-e` for inline source.
    pub source_name: String,
    /// 1-based line of the problem, 0 when unknown.
    pub line: usize,
    /// 1-based column of the problem, 0 when unknown.
    pub column: usize,
    /// What the compiler said.
    pub message: String,
}

impl fmt::Display for CompileError {
    /// `FILE:LINE:COLUMN: message`, the form editors and terminals link to.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.source_name, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for CompileError {}

impl CompileError {
    pub(crate) fn from_parse(source_name: &str, err: &rhai::ParseError) -> Self {
        let position = err.position();
        CompileError {
            source_name: source_name.to_string(),
            line: position.line().unwrap_or(0),
            column: position.position().unwrap_or(0),
            message: err.err_type().to_string(),
        }
    }
}

/// Why a pool could not be built or a script not prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A script or function library does not compile.
    #[error("{0}")]
    Compile(CompileError),
    /// A file the pool needs (a script, a function library) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// An option has a value the pool cannot use.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A worker thread could not be started.
    #[error("cannot start a worker thread: {0}")]
    Spawn(std::io::Error),
    /// The pool has been shut down and takes no more work.
    #[error("the pool is shut down")]
    Closed,
    /// The pool has as many submitted batches in flight as it takes
    /// ([`RunspacePoolBuilder::max_batches`](crate::RunspacePoolBuilder::max_batches)): take
    /// one's records, or drop one, and submit again.
    #[error("the pool already has {0} batches in flight; wait for one to finish or drop one")]
    Busy(usize),
}

impl Error {
    /// Whether this is a compile error in a script or function library.
    pub fn is_compile(&self) -> bool {
        matches!(self, Error::Compile(_))
    }

    /// Whether a file could not be read.
    pub fn is_io(&self) -> bool {
        matches!(self, Error::Io { .. })
    }

    /// Whether an option's value was rejected.
    pub fn is_invalid_option(&self) -> bool {
        matches!(self, Error::InvalidOption(_))
    }

    /// Whether the pool was already shut down.
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed)
    }

    /// The compile error, when this is one.
    pub fn as_compile(&self) -> Option<&CompileError> {
        match self {
            Error::Compile(e) => Some(e),
            _ => None,
        }
    }
}
