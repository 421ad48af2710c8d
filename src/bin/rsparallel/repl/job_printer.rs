//! What jobs `print` and `debug`, shown while the user types: above the prompt, not through it.

use std::sync::mpsc::{self, Sender};

use rsparallel::StreamEvent;
use rustyline::Editor;
use rustyline::ExternalPrinter;
use rustyline::history::FileHistory;

use crate::repl::helper::ReplHelper;

/// Hands job output to a thread of its own that writes it through the line editor. The line
/// editor's printer can block until the next prompt drains it; workers must never wait on
/// that, or a host script waiting for their jobs would wait for ever.
pub struct JobPrinter {
    /// `None` without a terminal: there is no prompt to protect, and stderr does.
    lines: Option<Sender<String>>,
}

impl JobPrinter {
    pub fn new(editor: &mut Editor<ReplHelper, FileHistory>) -> Self {
        let Ok(mut printer) = editor.create_external_printer() else {
            return JobPrinter { lines: None };
        };
        let (tx, rx) = mpsc::channel::<String>();
        let spawned = std::thread::Builder::new()
            .name("rsparallel-job-printer".into())
            .spawn(move || {
                // Ends when the last pool, and with it the last sender, is gone.
                for text in rx {
                    if printer.print(text.clone()).is_err() {
                        let _ = std::io::Write::write_all(
                            &mut std::io::stderr().lock(),
                            text.as_bytes(),
                        );
                    }
                }
            });
        JobPrinter {
            lines: spawned.ok().map(|_| tx),
        }
    }

    /// Called on a worker's thread, while its job runs.
    pub fn print(&self, event: &StreamEvent<'_>) {
        let text = format!("{}\n", event.format(false));
        let sent = self
            .lines
            .as_ref()
            .is_some_and(|lines| lines.send(text.clone()).is_ok());
        if !sent {
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
        }
    }
}
