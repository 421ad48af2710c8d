//! What bounds a job: its clock (deadline, alarm and cancel, read on every operation), the
//! signal natives wait on, the native stack guard, the memory cap and the sizes it is given in,
//! and the timer that stamps each job's start and end.

pub(crate) mod clock;
pub(crate) mod copies;
pub(crate) mod memory;
pub(crate) mod signal;
pub(crate) mod size;
pub(crate) mod stack;
pub(crate) mod stop;
pub(crate) mod timer;
