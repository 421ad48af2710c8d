//! The destinations of a run's records, behind one trait: stdout, the job log, the timeline
//! and stderr's progress report. Each is opened before anything runs, so a path that cannot
//! be written fails at once, not after the whole run.

use std::io::{self, BufWriter, StdoutLock};
use std::path::Path;
use std::sync::Arc;

use rsparallel::JobRecord;
use rsparallel::output::{OutputFormat, RecordWriter};
use rsparallel::rhai::Dynamic;

use crate::cli::RunArgs;
use crate::joblog::JobLog;
use crate::reporter::{Progress, Reporter};
use crate::timeline::TimelineFile;

/// One destination of a run's records. `write_records` hands each record to every sink, in
/// the order they were opened, and finishes them in reverse, as a stack unwinds.
pub trait Sink {
    /// Takes a finished record. A sink that writes it out may first turn it into a failure
    /// (an output value with no form in the format); the sinks after it see the failure.
    fn record(&mut self, record: &mut JobRecord) -> io::Result<()>;

    /// The run is about to wait on its jobs: write out what is buffered, so a slow stream of
    /// records shows up as it comes.
    fn idle(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// The run's aggregate (`--end`, `--reduce`), after its last record.
    fn aggregate(&mut self, _values: &[Dynamic]) -> io::Result<()> {
        Ok(())
    }

    /// The run has ended: write out what was kept for the end.
    fn finish(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    /// Whether the sink writes where a reader expects every record (stdout, the job log):
    /// once one such write fails, nobody reads what is left, and these sinks are not called
    /// again.
    fn is_output(&self) -> bool {
        false
    }
}

/// Opens every sink the flags ask for: stdout, then the job log, the timeline and stderr.
pub fn open(args: &RunArgs, reporter: &Arc<Reporter>) -> anyhow::Result<Vec<Box<dyn Sink>>> {
    if stdout_is_closed() {
        anyhow::bail!(
            "stdout is closed, so the output would be lost; nothing was run (to discard \
             the output, send it to /dev/null: >/dev/null)"
        );
    }
    let long = &args.long_run;
    // The timeline is opened before the job log: a path it cannot write should leave an old
    // job log as it is.
    let timeline = long
        .timeline
        .as_deref()
        .map(TimelineFile::open)
        .transpose()?;
    let joblog = match &long.joblog {
        Some(path) => Some(JobLog::open(path, long.resume || long.resume_failed)?),
        None => None,
    };
    let mut sinks: Vec<Box<dyn Sink>> = Vec::with_capacity(4);
    let mut writer = RecordWriter::new(
        BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
        args.output,
    )
    .tagged(long.tag);
    if let Some(columns) = output_columns(args)? {
        writer = writer.columns(columns);
    }
    sinks.push(Box::new(Stdout {
        writer,
        flush_each: joblog.is_some(),
    }));
    if let Some(joblog) = joblog {
        sinks.push(Box::new(joblog));
    }
    if let Some(timeline) = timeline {
        sinks.push(Box::new(timeline));
    }
    // Last, so it is finished first: the bar is cleared before stdout's last flush, which
    // on a terminal would otherwise move the line the bar is drawn on.
    // Only JSON Lines carries failures in its records: the other formats write values alone.
    let name_failures = args.output != OutputFormat::Jsonl;
    sinks.push(Box::new(Progress::new(reporter.clone(), name_failures)));
    Ok(sinks)
}

/// The records on stdout, in `--output` format, buffered for speed.
struct Stdout {
    writer: RecordWriter<BufWriter<StdoutLock<'static>>>,
    /// With a job log, each record's output is flushed before its log line is written: a
    /// killed run's log never claims an item whose output was lost.
    flush_each: bool,
}

impl Sink for Stdout {
    fn record(&mut self, record: &mut JobRecord) -> io::Result<()> {
        self.writer.write(record)?;
        if self.flush_each {
            self.writer.flush()?;
        }
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn aggregate(&mut self, values: &[Dynamic]) -> io::Result<()> {
        self.writer.write_aggregate(values)
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        Ok(self.writer.finish()?)
    }

    fn is_output(&self) -> bool {
        true
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

/// The names `--columns` gives, refused rather than ignored or written as they are when the
/// output has no columns (it is not CSV or TSV), or a name is empty or comes twice (as a CSV
/// input's header with a name twice is refused).
fn output_columns(args: &RunArgs) -> anyhow::Result<Option<Vec<String>>> {
    let Some(list) = &args.columns else {
        return Ok(None);
    };
    if !matches!(args.output, OutputFormat::Csv | OutputFormat::Tsv) {
        anyhow::bail!("--columns is for CSV output: use it with --output csv or --output tsv");
    }
    let names: Vec<String> = list.split(',').map(|c| c.trim().to_string()).collect();
    let mut seen = std::collections::BTreeSet::new();
    for (n, name) in names.iter().enumerate() {
        if name.is_empty() {
            anyhow::bail!("--columns: column {} has no name", n + 1);
        }
        if !seen.insert(name) {
            anyhow::bail!("--columns: the column {name:?} is named twice");
        }
    }
    Ok(Some(names))
}
