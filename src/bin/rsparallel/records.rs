//! Where a run's records go: stdout (text or jsonl), the job log, the timeline, the reporter;
//! and how the run ended.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rsparallel::input::ItemResult;
use rsparallel::output::{OutputFormat, RecordWriter};
use rsparallel::{JobStatus, Run, RunEvent, StatusCounts};

use crate::Outcome;
use crate::cli::RunArgs;
use crate::interrupt::Interrupts;
use crate::joblog::JobLog;
use crate::reporter::Reporter;
use crate::timeline::Timeline;

/// Every destination of a run's records, opened before the run starts.
pub struct Sinks {
    format: OutputFormat,
    tag: bool,
    joblog: Option<JobLog>,
    timeline: Option<(PathBuf, File, Timeline)>,
    reporter: Arc<Reporter>,
    interrupts: Interrupts,
}

impl Sinks {
    pub fn open(
        args: &RunArgs,
        reporter: Arc<Reporter>,
        interrupts: Interrupts,
    ) -> anyhow::Result<Sinks> {
        if stdout_is_closed() {
            anyhow::bail!(
                "stdout is closed, so the output would be lost; nothing was run (to discard \
                 the output, send it to /dev/null: >/dev/null)"
            );
        }
        let long = &args.long_run;
        // The timeline is drawn at the end of the run: open its file now, so that a path that
        // cannot be written fails before anything runs, not after the whole run. It is opened
        // first, as a failure here should leave an old job log as it is.
        let timeline = match &long.timeline {
            Some(path) => Some((path.clone(), open_timeline(path)?, Timeline::new())),
            None => None,
        };
        let joblog = match &long.joblog {
            Some(path) => Some(JobLog::open(path, long.resume || long.resume_failed)?),
            None => None,
        };
        Ok(Sinks {
            format: args.output,
            tag: long.tag,
            joblog,
            timeline,
            reporter,
            interrupts,
        })
    }
}

/// Whether the shell closed stdout (`>&-`). Writes to a closed descriptor would fail, but
/// Rust's runtime reopens a closed stdout on /dev/null, read-write, before `main`, so the
/// output would vanish and the run report success. That is what is looked for: /dev/null
/// open for reading and writing, where a shell's `>/dev/null` opens it write-only. (Linux
/// only, through /proc; elsewhere a closed stdout is not noticed.)
fn stdout_is_closed() -> bool {
    if !std::fs::read_link("/proc/self/fd/1").is_ok_and(|target| target == Path::new("/dev/null")) {
        return false;
    }
    let info = std::fs::read_to_string("/proc/self/fdinfo/1").unwrap_or_default();
    info.lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .and_then(|flags| u32::from_str_radix(flags.trim(), 8).ok())
        .is_some_and(|flags| flags & 0o3 == 0o2)
}

/// Opens (creating it) the file `--timeline` names, for writing once the run ends. An old
/// picture stays until then: it is cut when the new one is written.
fn open_timeline(path: &Path) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot write --timeline {}", path.display()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        anyhow::bail!("cannot write --timeline {}: it is a folder", path.display());
    }
    Ok(file)
}

fn write_timeline(mut file: File, timeline: &Timeline) -> io::Result<()> {
    if file.metadata()?.is_file() {
        file.set_len(0)?;
    }
    file.write_all(timeline.to_svg().as_bytes())?;
    file.flush()
}

/// Writes a run's records, reports the jobs that did not complete on stderr, and says how
/// the run ended.
pub fn write_records<I>(run: Run<'_, I>, sinks: Sinks) -> anyhow::Result<Outcome>
where
    I: Iterator<Item = ItemResult>,
{
    let reporter = sinks.reporter.clone();
    let outcome = write_all(run, sinks);
    // Whatever is still queued for stderr comes before an error the caller reports.
    reporter.close();
    outcome
}

fn write_all<I>(mut run: Run<'_, I>, mut sinks: Sinks) -> anyhow::Result<Outcome>
where
    I: Iterator<Item = ItemResult>,
{
    let stdout = io::stdout().lock();
    let mut writer = RecordWriter::new(
        io::BufWriter::with_capacity(64 * 1024, stdout),
        sinks.format,
    )
    .tagged(sinks.tag);
    let on_signal = run.canceller();
    let signal_reporter = sinks.reporter.clone();
    // Nothing on this path writes to stderr: a stderr nobody reads cannot hold up Ctrl-C.
    sinks.interrupts.on_stop(move || {
        on_signal.cancel();
        signal_reporter.interrupt();
    });
    let canceller = run.canceller();
    let mut counts = StatusCounts::default();
    let mut with_errors = 0_u64;
    let mut write_error = None;
    while let Some(event) = run.next_event() {
        let mut record = match event {
            RunEvent::Record(record) => record,
            // Output is buffered for speed, and flushed whenever the run waits on its jobs,
            // so a slow stream of records still shows up as it comes.
            RunEvent::Idle => {
                if write_error.is_none()
                    && let Err(err) = writer.flush()
                {
                    write_error = Some(err);
                    canceller.cancel();
                }
                continue;
            }
            _ => continue,
        };
        if write_error.is_none() {
            // Writing may turn the record into a failure (a value with no form in the format).
            let mut written = writer.write(&mut record);
            if let Some(log) = sinks.joblog.as_mut() {
                // The output first, then its log line: a killed run's log never claims an
                // item whose output was lost.
                written = written
                    .and_then(|()| writer.flush())
                    .and_then(|()| log.write(&record));
            }
            if let Err(err) = written {
                write_error = Some(err);
                // Nobody reads what is left: stop the jobs, but still account for every record.
                canceller.cancel();
            }
        }
        counts.add(record.status);
        with_errors += u64::from(record.has_errors());
        if let Some((_, _, timeline)) = sinks.timeline.as_mut() {
            timeline.add(&record);
        }
        let name_failures = sinks.format == OutputFormat::Text;
        sinks.reporter.record(&record, &counts, name_failures);
    }
    let stop_reason = run.stop_reason().map(str::to_string);
    drop(run);
    sinks.reporter.finish();
    let write_error = write_error.or_else(|| writer.flush().err());
    if let Some(err) = write_error {
        if err.kind() == io::ErrorKind::BrokenPipe {
            return Ok(Outcome::AllCompleted);
        }
        return Err(err).context("cannot write output");
    }
    if let Some((path, file, timeline)) = sinks.timeline.take() {
        write_timeline(file, &timeline)
            .with_context(|| format!("cannot write --timeline {}", path.display()))?;
    }
    for line in summary(&counts, with_errors, stop_reason.as_deref()) {
        sinks.reporter.line(&format!("rsparallel: {line}"));
    }
    if sinks.interrupts.interrupted() && counts.total() == 0 {
        // Stopped before it read an item: no record, but not a silent exit either.
        sinks
            .reporter
            .line("rsparallel: interrupted before any item was read");
    }
    Ok(if sinks.interrupts.interrupted() {
        Outcome::Interrupted
    } else if counts.all_completed() {
        Outcome::AllCompleted
    } else {
        Outcome::SomeNotCompleted
    })
}

/// When anything did not go as planned, one line: counts per status (by the names records
/// give them), and why the run stopped; a run where every job completed says nothing.
fn summary(counts: &StatusCounts, with_errors: u64, stop_reason: Option<&str>) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(reason) = stop_reason {
        parts.push(format!("stopped early: {reason}"));
    }
    if !counts.all_completed() || stop_reason.is_some() {
        let skipped = counts.get(JobStatus::Skipped) + counts.get(JobStatus::Cancelled);
        let mut line = format!("{counts} (of {})", plural(counts.total(), "job"));
        if skipped > 0 {
            line.push_str(&format!("; {skipped} never finished, each with its record"));
        }
        parts.push(line);
    }
    if with_errors > 0 {
        let jobs = plural(with_errors, "job");
        parts.push(format!("{jobs} reported errors with error(..)"));
    }
    parts
}

/// `1 job`, `2 jobs`.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
