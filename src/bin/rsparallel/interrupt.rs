//! SIGINT and SIGTERM for `run` and `exec`: the first stops the work in hand (`run` cancels
//! its jobs, each still recorded, and flushes its output; `exec` stops the host script); a
//! second one exits at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Outcome;

/// Installs the handler, calling `stop` on the first signal; the flag it returns says whether
/// a signal came.
pub fn on_interrupt(stop: impl Fn() + Send + 'static) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = flag.clone();
    let result = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::SeqCst) {
            std::process::exit(Outcome::Interrupted as i32);
        }
        stop();
    });
    if let Err(err) = result {
        crate::stderr::say(format!("rsparallel: warning: cannot handle Ctrl-C: {err}"));
    }
    flag
}
