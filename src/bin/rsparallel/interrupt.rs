//! SIGINT and SIGTERM: the first cancels the run (every job still gets its record, and the
//! output is flushed); a second one exits at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rsparallel::RunCanceller;

use crate::Outcome;

/// Installs the handler for this run; the flag it returns says whether it fired.
pub fn on_interrupt(canceller: RunCanceller) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = flag.clone();
    let result = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::SeqCst) {
            std::process::exit(Outcome::Interrupted as i32);
        }
        canceller.cancel();
    });
    if let Err(err) = result {
        eprintln!("rsparallel: warning: cannot handle Ctrl-C: {err}");
    }
    flag
}
