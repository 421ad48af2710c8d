//! Records: what one job produced (its outputs and stream lines) and how it ended (its status
//! and error), the one shape every face of rsparallel hands out.

pub(crate) mod error;
pub(crate) mod job;
pub(crate) mod output;
pub(crate) mod streams;
pub(crate) mod tag;
#[cfg(feature = "serde")]
pub(crate) mod typed_output;
