//! Host script errors as users read them: a message, and the line and column it points at.

use rsparallel::rhai::{EvalAltResult, ParseError, Position};

/// An error in a host script, with its 1-based position when the engine knows it.
pub struct ScriptError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl ScriptError {
    pub fn from_parse(err: &ParseError) -> Self {
        let position = err.position();
        ScriptError {
            message: err.err_type().to_string(),
            line: position.line(),
            column: position.position(),
        }
    }

    pub fn from_eval(mut err: Box<EvalAltResult>) -> Self {
        let position = err.position();
        let message = match (&*err, err.unwrap_inner()) {
            // A thrown value, or an error of the host API: its text is the whole message.
            (EvalAltResult::ErrorRuntime(value, _), _) => value.to_string(),
            // Stopped for nesting too deep (the token says so), or by an interrupt, however
            // deep in calls: named alone, without the thousands of calls that led there.
            (_, EvalAltResult::ErrorTerminated(token, _)) => token
                .read_lock::<rsparallel::rhai::ImmutableString>()
                .filter(|token| token.as_str() == rsparallel::host::STACK_LOW)
                .map_or_else(|| "interrupted".to_string(), |token| token.to_string()),
            _ => {
                // The position is reported apart, in the form the caller chooses.
                err.set_position(Position::NONE);
                err.to_string()
            }
        };
        ScriptError {
            message,
            line: position.line(),
            column: position.position(),
        }
    }

    /// `FILE:LINE:COLUMN: message`, or `FILE: message` without a position.
    pub fn located(&self, file: &str) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{file}:{line}:{column}: {}", self.message),
            (Some(line), None) => format!("{file}:{line}: {}", self.message),
            _ => format!("{file}: {}", self.message),
        }
    }
}
