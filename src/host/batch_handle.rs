//! The batch value host scripts hold: what `new_runspace_job` returns.

use std::fmt;

use crate::BatchId;

/// A batch as a Rhai value (`RunspaceJob` in scripts): what `new_runspace_job` returns.
#[derive(Clone, Debug)]
pub(crate) struct BatchHandle {
    pub(crate) id: BatchId,
    pub(crate) script: String,
}

impl fmt::Display for BatchHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RunspaceJob(batch: {}, script: {})",
            self.id, self.script
        )
    }
}
