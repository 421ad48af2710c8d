//! Everything `run` says on stderr: the progress bar, the lines jobs write, one line per job
//! that did not complete, and the summary. Lines go above the bar, never through it.

use std::io::{self, IsTerminal};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use rsparallel::value::describe_item;
use rsparallel::{JobRecord, JobStatus, StatusCounts, StreamEvent, StreamKind};

use crate::sinks::Sink;
use crate::stderr::{QueuedTerm, StderrQueue};

pub struct Reporter {
    /// Everything, the bar too, goes to stderr through this queue: a stderr nobody reads
    /// holds up the run, as it would a direct write, but never past Ctrl-C.
    stderr: Arc<StderrQueue>,
    bar: Option<ProgressBar>,
    verbose: bool,
    tag: bool,
    /// Failed and timed-out counts shown on the bar, updated when they change.
    shown: Mutex<(u64, u64)>,
    /// `--quiet`: no line at all.
    quiet: std::sync::atomic::AtomicBool,
}

impl Reporter {
    /// A reporter with a bar when `progress` says so, or by default when stderr is a terminal.
    pub fn new(progress: Option<bool>, total: Option<u64>, verbose: bool, tag: bool) -> Self {
        let show = progress.unwrap_or_else(|| std::io::stderr().is_terminal());
        let stderr = Arc::new(StderrQueue::new());
        let bar = show.then(|| {
            // Asked for explicitly, the bar draws even where stderr is not a terminal.
            let term = QueuedTerm::new(stderr.clone());
            let target = ProgressDrawTarget::term_like_with_hz(Box::new(term), 20);
            let bar = ProgressBar::with_draw_target(total, target);
            bar.set_style(style(total.is_some()));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Reporter {
            stderr,
            bar,
            verbose,
            tag,
            shown: Mutex::new((0, 0)),
            quiet: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// From now on no line is written (`--quiet`); the bar, if asked for, still is.
    pub fn quiet(&self) {
        self.quiet.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a progress bar is shown.
    pub fn has_bar(&self) -> bool {
        self.bar.is_some()
    }

    /// The total became known (a file's lines were counted).
    pub fn set_total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_style(style(true));
        }
    }

    /// Prints a line on stderr, above the bar.
    pub fn line(&self, text: &str) {
        if self.quiet.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        self.error(text);
    }

    /// Prints a line about the run itself going wrong (its aggregate failed), above the bar:
    /// even with `--quiet`, which silences what is about jobs.
    pub fn error(&self, text: &str) {
        self.write_line(format!("{text}\n"));
    }

    /// Writes `text`, a line with its newline, above the bar.
    fn write_line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.suspend(|| self.stderr.write(text)),
            None => self.stderr.write(text),
        }
    }

    /// A line a job wrote, forwarded live from its worker.
    pub fn stream(&self, event: &StreamEvent<'_>) {
        if event.line.kind == StreamKind::Verbose && !self.verbose {
            return;
        }
        if self.quiet.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        // One copy of what may be a 64 MiB line, made on the job's time.
        let mut text = event.format(self.tag);
        text.push('\n');
        self.write_line(text);
    }

    /// A finished record: advance the bar; name a job that did not complete.
    pub fn record(&self, record: &JobRecord, counts: &StatusCounts, name_failures: bool) {
        // Cancelled and skipped jobs are counted in the summary, which says why: a line each
        // would flood the terminal when a long run stops early.
        let failed = matches!(record.status, JobStatus::Failed | JobStatus::TimedOut);
        if name_failures && failed {
            let mut error = record
                .error
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_default();
            if let Some(hint) = string_item_hint(record) {
                error.push_str(hint);
            }
            self.line(&format!(
                "rsparallel: seq {} (item {}) {}: {error}",
                record.seq,
                describe_item(&record.item),
                record.status
            ));
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
            let now = (
                counts.get(JobStatus::Failed),
                counts.get(JobStatus::TimedOut),
            );
            let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
            if *shown != now {
                *shown = now;
                bar.set_message(format!("failed {} · timed_out {}", now.0, now.1));
            }
        }
    }

    /// Removes the bar, leaving the terminal clean for the summary.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Ctrl-C or SIGTERM: the bar goes, and from now on nothing waits for stderr.
    pub fn interrupt(&self) {
        // The gate first: a frame waiting for a full stderr holds the bar's lock.
        self.stderr.interrupt();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Waits until what was queued for stderr is written (after an interrupt, a moment at
    /// most).
    pub fn close(&self) {
        self.stderr.close();
    }
}

/// The records as stderr reports them: the bar advances, and a job that did not complete is
/// named (with `--output text` only: jsonl records say it themselves).
pub struct Progress {
    reporter: Arc<Reporter>,
    /// The bar's failed and timed-out counts.
    counts: StatusCounts,
    name_failures: bool,
}

impl Progress {
    pub fn new(reporter: Arc<Reporter>, name_failures: bool) -> Self {
        Progress {
            reporter,
            counts: StatusCounts::default(),
            name_failures,
        }
    }
}

impl Sink for Progress {
    fn record(&mut self, record: &mut JobRecord) -> io::Result<()> {
        self.counts.add(record.status);
        self.reporter
            .record(record, &self.counts, self.name_failures);
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.reporter.finish();
        Ok(())
    }
}

/// Items from lines and arguments are strings, and so are CSV fields: a job that uses one as a
/// number fails with `Function not found: * (&str | ImmutableString | String, i64)`, which
/// does not say why. The hint is given when the item, or one of a row's fields, reads as a
/// number: a function not found for another reason (`"a" * 2`) says nothing of the item.
fn string_item_hint(record: &JobRecord) -> Option<&'static str> {
    use rsparallel::rhai::{Array, ImmutableString, Map};
    let error = record.error.as_ref()?;
    let signature = error.message.strip_prefix("Function not found: ")?;
    if !signature.contains("String") {
        return None;
    }
    let numeric = |value: &rsparallel::rhai::Dynamic| {
        value
            .read_lock::<ImmutableString>()
            .is_some_and(|text| text.trim().parse::<f64>().is_ok())
    };
    let item = &record.item;
    if numeric(item) {
        return Some(
            " (hint: the item is a string; --format jsonl reads items as JSON values, so \
             numbers are numbers, or convert it with parse_int(item) or parse_float(item))",
        );
    }
    let row_holds_number = item
        .read_lock::<Map>()
        .map(|row| row.values().any(numeric))
        .or_else(|| item.read_lock::<Array>().map(|row| row.iter().any(numeric)))?;
    row_holds_number.then_some(
        " (hint: the item's fields are strings; --csv-types reads CSV fields that are numbers as \
         numbers, or convert one with parse_int(..) or parse_float(..))",
    )
}

fn style(known_total: bool) -> ProgressStyle {
    let template = if known_total {
        "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {rate} ETA {eta} {msg}"
    } else {
        "{spinner} {elapsed_precise} {pos} done {rate} {msg}"
    };
    ProgressStyle::with_template(template)
        .expect("the template is valid")
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&rate(state.per_sec()));
            },
        )
        .progress_chars("=> ")
}

/// Items a second as the bar shows them: whole numbers from 10 up (`18732/s`), one decimal
/// below (`2.5/s`).
fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() {
        "-/s".to_string()
    } else if per_sec >= 10.0 {
        format!("{per_sec:.0}/s")
    } else {
        format!("{per_sec:.1}/s")
    }
}
