//! A run's records handed to each of its sinks (see [`crate::sinks`]), and how the run ended.

use std::io;
use std::sync::Arc;

use rsparallel::input::ItemResult;
use rsparallel::{JobStatus, Run, RunCanceller, RunEvent, StatusCounts};

use crate::Outcome;
use crate::interrupt::Interrupts;
use crate::reporter::Reporter;
use crate::sinks::Sink;

/// Writes a run's records, reports the jobs that did not complete on stderr, and says how
/// the run ended.
pub fn write_records<I>(
    run: Run<'_, I>,
    sinks: Vec<Box<dyn Sink>>,
    reporter: &Arc<Reporter>,
    interrupts: Interrupts,
) -> anyhow::Result<Outcome>
where
    I: Iterator<Item = ItemResult>,
{
    let outcome = write_all(run, sinks, reporter, &interrupts);
    // Whatever is still queued for stderr comes before an error the caller reports.
    reporter.close();
    outcome
}

fn write_all<I>(
    mut run: Run<'_, I>,
    mut sinks: Vec<Box<dyn Sink>>,
    reporter: &Arc<Reporter>,
    interrupts: &Interrupts,
) -> anyhow::Result<Outcome>
where
    I: Iterator<Item = ItemResult>,
{
    let on_signal = run.canceller();
    let signal_reporter = reporter.clone();
    // Nothing on this path writes to stderr: a stderr nobody reads cannot hold up Ctrl-C.
    interrupts.on_stop(move || {
        on_signal.cancel();
        signal_reporter.interrupt();
    });
    let canceller = run.canceller();
    let mut counts = StatusCounts::default();
    let mut with_errors = 0_u64;
    let mut write_error = None;
    while let Some(event) = run.next_event() {
        match event {
            RunEvent::Record(mut record) => {
                to_each(&mut sinks, &mut write_error, &canceller, |sink| {
                    sink.record(&mut record)
                });
                counts.add(record.status);
                with_errors += u64::from(record.has_errors());
            }
            RunEvent::Idle => to_each(&mut sinks, &mut write_error, &canceller, |sink| sink.idle()),
            _ => {}
        }
    }
    let stop_reason = run.stop_reason().map(str::to_string);
    // Interrupted, the run has no aggregate worth writing: it would count part of the input.
    let aggregate = run.aggregate().filter(|_| !interrupts.interrupted());
    drop(run);
    let mut aggregate_failed = false;
    match &aggregate {
        Some(Ok(values)) => to_each(&mut sinks, &mut write_error, &canceller, |sink| {
            match sink.aggregate(values) {
                // A value with no form in the output format fails the aggregate, as it fails
                // a job: it is not output that could not be written.
                Err(err) if err.kind() == io::ErrorKind::InvalidData => {
                    let why = format!("output cannot be written: {err}");
                    reporter.error(&format!("rsparallel: the aggregate failed: {why}"));
                    aggregate_failed = true;
                    Ok(())
                }
                written => written,
            }
        }),
        Some(Err(error)) => {
            reporter.error(&format!("rsparallel: the aggregate failed: {error}"));
            aggregate_failed = true;
        }
        None => {}
    }
    match finish_all(&mut sinks, write_error) {
        Ok(()) => {}
        // The reader went away (`rsparallel … | head`): a pipeline's way to end, not an error.
        Err(Failure::Output(err)) if reader_left(&err) => return Ok(Outcome::AllCompleted),
        Err(Failure::Output(err)) => return Err(err.context("cannot write output")),
        Err(Failure::Sink(err)) => return Err(err),
    }
    for line in summary(&counts, with_errors, stop_reason.as_deref()) {
        reporter.line(&format!("rsparallel: {line}"));
    }
    if interrupts.interrupted() && counts.total() == 0 {
        // Stopped before it read an item: no record, but not a silent exit either.
        reporter.line("rsparallel: interrupted before any item was read");
    }
    Ok(if interrupts.interrupted() {
        Outcome::Interrupted
    } else if counts.all_completed() && !aggregate_failed {
        Outcome::AllCompleted
    } else {
        Outcome::SomeNotCompleted
    })
}

/// Calls every sink that still takes calls. The first failure stops the jobs, as nobody reads
/// what is left; the sinks that do not write output still take every record, so that each is
/// counted.
fn to_each(
    sinks: &mut [Box<dyn Sink>],
    write_error: &mut Option<io::Error>,
    canceller: &RunCanceller,
    mut call: impl FnMut(&mut dyn Sink) -> io::Result<()>,
) {
    for sink in sinks {
        if write_error.is_some() && sink.is_output() {
            continue;
        }
        if let Err(err) = call(sink.as_mut())
            && write_error.is_none()
        {
            *write_error = Some(err);
            canceller.cancel();
        }
    }
}

/// Why the records could not all be written.
enum Failure {
    /// Stdout or the job log.
    Output(anyhow::Error),
    /// Another sink, whose error says which.
    Sink(anyhow::Error),
}

/// Finishes the sinks, the last opened first, as a stack unwinds: the progress bar is cleared
/// before stdout's last flush. Every sink that still takes calls is finished; the failure that
/// counts is a write that failed during the run, else the one of the sink nearest the front
/// (stdout's before the timeline's).
fn finish_all(sinks: &mut [Box<dyn Sink>], write_error: Option<io::Error>) -> Result<(), Failure> {
    let mut failure = None;
    for sink in sinks.iter_mut().rev() {
        if write_error.is_some() && sink.is_output() {
            continue;
        }
        if let Err(err) = sink.finish() {
            failure = Some(if sink.is_output() {
                Failure::Output(err)
            } else {
                Failure::Sink(err)
            });
        }
    }
    match (write_error, failure) {
        (Some(err), _) => Err(Failure::Output(err.into())),
        (None, Some(failure)) => Err(failure),
        (None, None) => Ok(()),
    }
}

/// Whether a write failed because its reader went away.
fn reader_left(err: &anyhow::Error) -> bool {
    err.root_cause()
        .downcast_ref::<io::Error>()
        .is_some_and(|err| err.kind() == io::ErrorKind::BrokenPipe)
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
