//! Capabilities: files, the network, processes and the environment for job scripts, each
//! granted by permission, in the manner of Deno's `--allow-*` flags. Nothing is granted unless
//! a [`Permissions`] value says so: the sandbox stays the default.
//!
//! Every function is registered in every runspace whatever is granted, so that a refused call
//! fails its job with a message naming the flag that would allow it:
//! `read access to "/etc/passwd" is not granted (--allow-read=/etc/passwd)`.
//!
//! Every call is bounded by its job: it waits no longer than the job's deadline
//! ([`JobSignal`](crate::JobSignal)), ends soon after the job is cancelled, and reads no more
//! than the job's memory cap allows.

use std::sync::Arc;

use rhai::{EvalAltResult, Position};

use crate::batteries::registrar::Registrar;

mod environment;
#[cfg(feature = "capabilities")]
mod files;
mod grant;
mod help;
#[cfg(feature = "capabilities")]
mod net;
mod net_entry;
#[cfg(feature = "capabilities")]
mod process;
mod programs;

pub use grant::{Capability, Grant, Permissions};
pub use help::FAMILIES;

/// Registers every capability function on `engine`, checked against `permissions`.
pub(crate) fn register(engine: &mut impl Registrar, permissions: &Arc<Permissions>) {
    environment::register(engine, permissions);
    #[cfg(feature = "capabilities")]
    net::register(engine, permissions);
    #[cfg(feature = "capabilities")]
    process::register(engine, permissions);
    #[cfg(feature = "capabilities")]
    files::register(engine, permissions);
}

/// The text of the file at `path`, read as a script's `read_file(path)` is, through
/// `permissions`' read grant: for the files a host script names (a job's script, a function
/// library), which must not reach further than its own `read_file`. `function` names the call
/// in errors.
pub(crate) fn read_granted_text(
    permissions: &Permissions,
    function: &str,
    path: &str,
) -> Result<String, Box<EvalAltResult>> {
    #[cfg(feature = "capabilities")]
    {
        files::read_granted_text(&Arc::new(permissions.clone()), function, path)
    }
    // Without the file functions, only a grant of everything reads, as the process would.
    #[cfg(not(feature = "capabilities"))]
    match permissions.grant(Capability::Read) {
        Grant::Everything => std::fs::read_to_string(path)
            .map_err(|e| failed(function, format!("cannot read {path}: {e}"))),
        _ => Err(refused(Capability::Read, path)),
    }
}

/// The error of a call `permissions` does not allow: `what` (a path, a host, a program, a
/// variable) named, and the flag that would allow it.
pub(crate) fn refused(capability: Capability, what: &str) -> Box<EvalAltResult> {
    let noun = capability.noun();
    // An empty name is never granted, and `--allow-env=` names nothing.
    let message = if what.is_empty() {
        format!("{noun} access to \"\" is not granted (an empty name is never granted)")
    } else {
        format!(
            "{noun} access to {what:?} is not granted ({}={what})",
            capability.flag()
        )
    };
    EvalAltResult::ErrorRuntime(message.into(), Position::NONE).into()
}

/// A capability function's failure (not found, refused by the peer, a non-zero exit made an
/// error): its message starts with the function's name.
pub(crate) fn failed(function: &str, why: impl std::fmt::Display) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(format!("{function}: {why}").into(), Position::NONE).into()
}
