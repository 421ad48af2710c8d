//! SIGINT and SIGTERM for `run` and `exec`: the first stops the work in hand (`run` cancels
//! its jobs, each still recorded, and flushes its output; `exec` stops the host script); a
//! second one exits at once.
//!
//! The handler is installed before anything is drawn or started, and told later what to stop:
//! a signal that comes in between (a user who presses Ctrl-C as the bar appears) stops the
//! work as soon as there is work to stop, instead of killing the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::Outcome;

type Stop = Box<dyn Fn() + Send>;

/// The installed handler: whether a signal came, and what it stops.
pub struct Interrupts {
    seen: Arc<AtomicBool>,
    stop: Arc<Mutex<Option<Stop>>>,
}

/// Installs the handler. Until [`Interrupts::on_stop`], a signal is only noted.
pub fn install() -> Interrupts {
    let seen = Arc::new(AtomicBool::new(false));
    let stop: Arc<Mutex<Option<Stop>>> = Arc::default();
    let (handler_seen, handler_stop) = (seen.clone(), stop.clone());
    let result = ctrlc::set_handler(move || {
        if handler_seen.swap(true, Ordering::SeqCst) {
            std::process::exit(Outcome::Interrupted as i32);
        }
        // ctrlc runs this on a thread of its own, not in the signal's context: a lock is fine.
        if let Some(stop) = handler_stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            stop();
        }
    });
    if let Err(err) = result {
        crate::stderr::say(format!("rsparallel: warning: cannot handle Ctrl-C: {err}"));
    }
    Interrupts { seen, stop }
}

impl Interrupts {
    /// What the first signal stops; called at once if a signal came already.
    pub fn on_stop(&self, stop: impl Fn() + Send + 'static) {
        let mut slot = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        let stop = slot.insert(Box::new(stop));
        if self.interrupted() {
            stop();
        }
    }

    /// Whether a signal came.
    pub fn interrupted(&self) -> bool {
        self.seen.load(Ordering::SeqCst)
    }
}
