//! Writing to stderr, which may be full (`2>/dev/full`), closed or a pipe nobody reads: a
//! message that cannot be written is lost, never a panic, and the exit status still says
//! how the jobs went. During a run, what goes to stderr is written by a thread of its own,
//! so that no worker and not the run's thread ever waits on stderr once Ctrl-C came.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// Writes one line to stderr, or nothing if it cannot be written.
pub fn say(text: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Chunks of text waiting for the writer thread; a bound keeps memory flat when stderr is
/// slow, and makes writers wait for it, as a direct write would.
const QUEUED: usize = 256;

/// How long a run that was interrupted still waits for stderr to take what is queued.
const GRACE: Duration = Duration::from_millis(200);

/// Stderr, written by a thread of its own in the order text is queued.
pub struct StderrQueue {
    chunks: Mutex<Option<Sender<Vec<u8>>>>,
    /// Dropped when the run is interrupted: from then on, nothing waits for stderr.
    gate: Mutex<Option<Sender<()>>>,
    opened: Receiver<()>,
    /// Disconnected when the writer thread has written everything queued.
    written: Receiver<()>,
}

impl StderrQueue {
    pub fn new() -> Self {
        let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(QUEUED);
        let (gate, opened) = crossbeam_channel::bounded(0);
        let (done, written) = crossbeam_channel::bounded::<()>(0);
        let spawned = std::thread::Builder::new()
            .name("rsparallel-stderr".into())
            .spawn(move || {
                let _done = done;
                for chunk in rx {
                    let _ = io::stderr().lock().write_all(&chunk);
                }
            });
        StderrQueue {
            // Without the thread, text is written where it is queued.
            chunks: Mutex::new(spawned.ok().map(|_| tx)),
            gate: Mutex::new(Some(gate)),
            opened,
            written,
        }
    }

    /// Queues `text` for stderr, waiting while the queue is full, unless the run was
    /// interrupted: then text that does not fit is dropped.
    pub fn write(&self, text: impl Into<Vec<u8>>) {
        let text = text.into();
        let chunks = self
            .chunks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(chunks) = chunks else {
            let _ = io::stderr().lock().write_all(&text);
            return;
        };
        let text = match chunks.try_send(text) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => return,
            Err(TrySendError::Full(text)) => text,
        };
        crossbeam_channel::select! {
            send(chunks, text) -> _ => {}
            recv(self.opened) -> _ => {}
        }
    }

    /// The run was interrupted: stop waiting for stderr.
    pub fn interrupt(&self) {
        self.gate.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Waits until everything queued is written; after an interrupt, for a moment at most.
    pub fn close(&self) {
        self.chunks.lock().unwrap_or_else(|p| p.into_inner()).take();
        crossbeam_channel::select! {
            recv(self.written) -> _ => return,
            recv(self.opened) -> _ => {}
        }
        let _ = self.written.recv_timeout(GRACE);
    }
}

/// The progress bar's terminal: stderr through the queue, so that drawing the bar never
/// blocks the run. The escapes are those `console::Term` writes.
#[derive(Debug)]
pub struct QueuedTerm {
    queue: Arc<StderrQueue>,
    pending: Mutex<Vec<u8>>,
}

impl std::fmt::Debug for StderrQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StderrQueue")
    }
}

impl QueuedTerm {
    pub fn new(queue: Arc<StderrQueue>) -> Self {
        QueuedTerm {
            queue,
            pending: Mutex::new(Vec::new()),
        }
    }

    fn put(&self, text: &[u8]) -> io::Result<()> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(text);
        Ok(())
    }

    fn cursor(&self, n: usize, code: char) -> io::Result<()> {
        if n > 0 {
            self.put(format!("\x1b[{n}{code}").as_bytes())?;
        }
        Ok(())
    }
}

impl indicatif::TermLike for QueuedTerm {
    fn width(&self) -> u16 {
        console::Term::stderr().size().1
    }

    fn height(&self) -> u16 {
        console::Term::stderr().size().0
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'D')
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.put(s.as_bytes())?;
        self.put(b"\n")
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.put(s.as_bytes())
    }

    fn clear_line(&self) -> io::Result<()> {
        self.put(b"\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        let frame = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if !frame.is_empty() {
            self.queue.write(frame);
        }
        Ok(())
    }
}
