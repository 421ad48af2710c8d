//! `rsparallel run`: build the pool from the flags, open the input, and hand the run to the
//! record writer.

use std::io::{self, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use rsparallel::input::{InputFormat, ItemResult, read_items};
use rsparallel::rhai::{Dynamic, ImmutableString};
use rsparallel::value::json_to_dynamic;
use rsparallel::{
    Error, JobError, JobErrorKind, JobStatus, RunOptions, RunspacePool, SeqFilter, UnreadableItem,
};

use crate::Outcome;
use crate::cli::RunArgs;
use crate::joblog::LogIndex;
use crate::records::{Sinks, write_records};
use crate::reporter::Reporter;
use crate::resume::{Keep, check_resume};

pub fn run(args: RunArgs) -> anyhow::Result<Outcome> {
    // Before anything is drawn or started: Ctrl-C at any moment stops the run, never the
    // process.
    let interrupts = crate::interrupt::install();
    let (script_source, items) = split_args(&args)?;
    let vars = crate::vars::collect(&args.vars, args.vars_file.as_deref())?;
    let long = &args.long_run;
    let input = open_input(&args, items)?;
    let progress = match (long.progress, long.no_progress) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let reporter = Arc::new(Reporter::new(progress, input.total, long.verbose, long.tag));
    // Counting reads the whole file once more: worth it only for a bar that shows the total.
    if let Some(path) = input.count_lines_of.clone()
        && reporter.has_bar()
    {
        count_lines_later(path, args.format, reporter.clone());
    }

    let sink = reporter.clone();
    let mut builder = RunspacePool::builder()
        .threads(args.threads.unwrap_or(0))
        .max_call_depth(args.max_call_depth)
        .on_stream(move |event| sink.stream(event));
    let vm = match args.vm {
        Some(vm) => vm,
        None => crate::cli::vm_from_env()?,
    };
    builder = builder.vm(vm);
    if let Some(timeout) = args.timeout {
        builder = builder.timeout(timeout.into());
    }
    if let Some(ops) = args.max_ops {
        builder = builder.max_operations(ops);
    }
    if let Some(cap) = args.max_memory.0 {
        builder = builder.max_memory(cap);
    }
    if let ScriptSource::File(path) = &script_source {
        builder = builder.module_path(script_folder(Path::new(path)));
    }
    for dir in &args.module_path {
        builder = builder.module_path(dir);
    }
    for (name, value) in vars {
        builder = builder.variable(name, value);
    }
    for lib in &args.functions {
        builder = builder.functions_file(lib);
    }
    let pool = builder.build().map_err(setup_error)?;
    let script = match script_source {
        ScriptSource::File(path) => pool.compile_file(path),
        ScriptSource::Expr(expr) => pool.compile(&expr),
    }
    .map_err(setup_error)?;

    let (select, resume_log) = selection(&args)?;
    let input = match (&resume_log, &select) {
        (Some(log), Some(select)) => check_resume(&args, input, log, select)?,
        _ => input,
    };
    let mut options = RunOptions::default()
        .keep_order(args.keep_order)
        .retries(long.retries)
        .retry_on(long.retry_on.clone());
    options.halt = long.halt;
    options.total_timeout = long.total_timeout.map(Into::into);
    options.select = select
        .clone()
        .map(|keep| SeqFilter::new(move |seq| keep(seq)));
    let sinks = Sinks::open(&args, reporter, interrupts)?;
    match input.items {
        Items::Iter(items) => write_records(pool.run_with(&script, items, options)?, sinks),
        Items::Channel(items) => write_records(pool.run_receiver(&script, items, options)?, sinks),
    }
}

/// Which items this run takes: its shard, less what a resumed job log already has; and the
/// log itself, to check the input against.
fn selection(args: &RunArgs) -> anyhow::Result<(Option<Keep>, Option<Arc<LogIndex>>)> {
    let long = &args.long_run;
    // An item written as JSON can take up to six times its input line (`\u0000`), and no
    // line of ours is much longer than its item: a longer line fails, as soon as it is read
    // that far, though reading it takes no memory.
    let max_line = args
        .max_item_size
        .saturating_mul(6)
        .saturating_add(4096)
        .max(16 << 20);
    let log = match (&long.joblog, long.resume, long.resume_failed) {
        (Some(log), true, _) => Some(LogIndex::read(
            log,
            &[JobStatus::Completed, JobStatus::Failed, JobStatus::TimedOut],
            max_line,
        )?),
        (Some(log), _, true) => Some(LogIndex::read(log, &[JobStatus::Completed], max_line)?),
        _ => None,
    };
    let log = log.map(Arc::new);
    let shard = long.shard;
    if log.is_none() && shard.is_none() {
        return Ok((None, None));
    }
    let done = log.clone();
    let keep: Keep = Arc::new(move |seq| {
        shard.is_none_or(|(k, n)| seq % n == k) && done.as_ref().is_none_or(|d| !d.is_done(seq))
    });
    Ok((Some(keep), log))
}

pub(crate) enum ScriptSource {
    File(String),
    Expr(String),
}

/// The script (a file, or `-e`) and the positional items.
pub(crate) fn split_args(args: &RunArgs) -> anyhow::Result<(ScriptSource, Vec<String>)> {
    match &args.expr {
        Some(expr) => Ok((ScriptSource::Expr(expr.clone()), args.args.clone())),
        None => match args.args.split_first() {
            Some((script, items)) => Ok((ScriptSource::File(script.clone()), items.to_vec())),
            None => bail!("no script: give SCRIPT.rhai or -e 'EXPR'"),
        },
    }
}

/// Modules resolve from the script's own folder.
fn script_folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn setup_error(err: Error) -> anyhow::Error {
    // One line: the message already says what its source says (`cannot read FILE: …`), and
    // a compile error is already `FILE:LINE:COLUMN: message`.
    anyhow::anyhow!("{err}")
}

/// ITEM arguments as items, in `--format`: strings (lines), or JSON values (jsonl), so that
/// `-e 'item * 2' 1 2 3` can be asked for numbers. An argument that is not JSON fails its
/// own job, as a bad input line does.
pub(crate) fn argument_items(
    items: Vec<String>,
    format: InputFormat,
) -> anyhow::Result<impl Iterator<Item = ItemResult> + use<>> {
    if format == InputFormat::Csv {
        bail!(
            "--format csv cannot be used with ITEM arguments: csv needs a header row (give the rows with --input)"
        );
    }
    Ok(items.into_iter().enumerate().map(move |(i, text)| {
        if format == InputFormat::Lines {
            return Ok(Dynamic::from(ImmutableString::from(text)));
        }
        serde_json::from_str(&text)
            .map(json_to_dynamic)
            .map_err(|err| {
                let error = JobError::new(
                    JobErrorKind::UnreadableInput,
                    format!("argument {}: invalid JSON: {err}", i + 1),
                );
                UnreadableItem::new(ImmutableString::from(text), error)
            })
    }))
}

/// Items from an iterator read on the run's thread, or from a channel a reader thread fills.
pub(crate) enum Items {
    Iter(Box<dyn Iterator<Item = ItemResult>>),
    Channel(crossbeam_channel::Receiver<ItemResult>),
}

pub(crate) struct Input {
    pub(crate) items: Items,
    /// How many items there are, when known up front (arguments, ranges).
    pub(crate) total: Option<u64>,
    /// A regular file whose lines can be counted for the progress bar, by reading it again.
    /// Never a pipe, a FIFO or a device: a second reader would take items from the run.
    pub(crate) count_lines_of: Option<PathBuf>,
}

/// The one source of items the flags name; stdin when none is named and it is not a terminal.
fn open_input(args: &RunArgs, items: Vec<String>) -> anyhow::Result<Input> {
    let named: Vec<&str> = [
        (!items.is_empty(), "ITEM arguments"),
        (args.input.is_some(), "--input"),
        (args.range.is_some(), "--range"),
    ]
    .into_iter()
    .filter_map(|(given, name)| given.then_some(name))
    .collect();
    if let [first, second, ..] = named[..] {
        bail!("{first} and {second} cannot be used together: give items one way");
    }
    if !items.is_empty() {
        let total = Some(items.len() as u64);
        let items = argument_items(items, args.format)?;
        return Ok(Input {
            items: Items::Iter(Box::new(items)),
            total,
            count_lines_of: None,
        });
    }
    if let Some(range) = args.range {
        return Ok(Input {
            items: Items::Iter(Box::new(range.items())),
            total: Some(range.len()),
            count_lines_of: None,
        });
    }
    let max_item_size = usize::try_from(args.max_item_size).unwrap_or(usize::MAX);
    let stdin_named = args.input.as_ref().is_some_and(|p| p.as_os_str() == "-");
    match &args.input {
        Some(path) if !stdin_named => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open --input {}", path.display()))?;
            let kind = file
                .metadata()
                .with_context(|| format!("cannot read --input {}", path.display()))?
                .file_type();
            if kind.is_dir() {
                bail!(
                    "--input {} is a folder, not a file of items",
                    path.display()
                );
            }
            let reader = BufReader::with_capacity(64 * 1024, file);
            let items = read_items(reader, args.format, max_item_size);
            if kind.is_file() {
                // A regular file never blocks for long: read it on this thread, with no
                // hand-off cost.
                return Ok(Input {
                    items: Items::Iter(items),
                    total: None,
                    count_lines_of: Some(path.clone()),
                });
            }
            // A FIFO, `/dev/stdin`, a process substitution: it may go silent like stdin, and
            // it can be read only once.
            Ok(Input {
                items: Items::Channel(crate::background::read_in_background(items)),
                total: None,
                count_lines_of: None,
            })
        }
        _ if stdin_named || !io::stdin().is_terminal() => {
            let reader = BufReader::with_capacity(64 * 1024, io::stdin());
            let items = read_items(reader, args.format, max_item_size);
            // Stdin may go silent: read it on a thread, so the run never blocks on it.
            Ok(Input {
                items: Items::Channel(crate::background::read_in_background(items)),
                total: None,
                count_lines_of: None,
            })
        }
        _ => bail!("no items: give ITEM arguments, --input FILE, --range A..B, or pipe them in"),
    }
}

/// Counts a file's lines on a thread of its own and gives the progress bar its total.
fn count_lines_later(
    path: PathBuf,
    format: rsparallel::input::InputFormat,
    reporter: Arc<Reporter>,
) {
    let _ = std::thread::Builder::new()
        .name("rsparallel-count".into())
        .spawn(move || {
            // Streamed through a fixed buffer: the count costs no memory however big the file.
            let Ok(mut file) = std::fs::File::open(&path) else {
                return;
            };
            let mut buffer = vec![0_u8; 256 * 1024];
            let (mut lines, mut last) = (0_u64, b'\n');
            loop {
                match std::io::Read::read(&mut file, &mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        lines += buffer[..n].iter().filter(|b| **b == b'\n').count() as u64;
                        last = buffer[n - 1];
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
            if last != b'\n' {
                lines += 1;
            }
            if format == rsparallel::input::InputFormat::Csv {
                lines = lines.saturating_sub(1);
            }
            reporter.set_total(lines);
        });
}
