//! An input item that could not be read, still to get its record.

use rhai::Dynamic;

use crate::record::job::JobError;

/// An input item that could not be read (bad JSON, a ragged CSV row, invalid UTF-8). It still
/// gets a record, `failed`, carrying its raw text and the reason.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UnreadableItem {
    /// The raw input, as well as it could be decoded.
    pub raw: Dynamic,
    /// Why it could not be read, naming its input line.
    pub error: JobError,
}

impl UnreadableItem {
    /// An item that could not be read: its raw input and why.
    pub fn new(raw: impl Into<Dynamic>, error: JobError) -> Self {
        UnreadableItem {
            raw: raw.into(),
            error,
        }
    }
}
