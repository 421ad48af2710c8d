//! What one job came to, in a form the reference interpreter and a record both give, and how
//! two such outcomes differ.

use rsparallel::JobRecord;
use rsparallel::rhai::{Array, Dynamic, Map};

/// How the records of one script on two interpreters differ, the worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Difference {
    /// Another status or another output.
    Output,
    /// The same status and outputs; another error message.
    Message,
    /// The same status, outputs and messages; another line or column.
    Position,
}

/// What one job came to, in a form both the reference and a record give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: String,
    pub output: Vec<String>,
    pub message: Option<String>,
    pub position: (Option<usize>, Option<usize>),
}

impl Outcome {
    pub fn compile_error(message: String, line: Option<usize>, column: Option<usize>) -> Self {
        Outcome {
            status: "compile error".into(),
            output: Vec::new(),
            message: Some(message),
            position: (line, column),
        }
    }

    pub fn of_record(r: &JobRecord) -> Self {
        let error = r.error.as_deref();
        Outcome {
            status: r.status.as_str().to_string(),
            output: r.output.iter().map(canonical).collect(),
            message: error.map(|e| e.message.clone()),
            position: error.map_or((None, None), |e| (e.line, e.column)),
        }
    }

    pub fn differs_from(&self, other: &Outcome) -> Option<Difference> {
        if self.status != other.status || self.output != other.output {
            Some(Difference::Output)
        } else if self.message != other.message {
            Some(Difference::Message)
        } else if self.position != other.position {
            Some(Difference::Position)
        } else {
            None
        }
    }
}

/// A value as text: nested arrays and maps spelled out, shared values read through, each leaf
/// in its debug form (which tells `1` from `1.0`, `"a"` and `'a'`).
pub fn canonical(value: &Dynamic) -> String {
    let value = value.flatten_clone();
    if let Some(array) = value.read_lock::<Array>() {
        let items: Vec<String> = array.iter().map(canonical).collect();
        return format!("[{}]", items.join(", "));
    }
    if let Some(map) = value.read_lock::<Map>() {
        let entries: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{k:?}: {}", canonical(v)))
            .collect();
        return format!("#{{{}}}", entries.join(", "));
    }
    format!("{}:{value:?}", value.type_name())
}
